"""The customise step with a keyboard alone (issue 11 #3): the seat map is a grid where arrow
keys move between free seats without choosing one, and Enter chooses; focus stays on the
seat after the page updates. Seats are taken from what the page shows as free."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.flow import search, select_first_flight, shown_total, total_element

pytestmark = pytest.mark.browser

FOCUSED_SEAT = "() => document.activeElement.matches('.seat-map input') ? document.activeElement.value : null"


def row_of(code: str) -> int:
    return int(re.match(r"\d+", code).group(0))


def test_a_seat_is_chosen_with_arrow_keys_and_enter_and_keeps_the_focus(page: Page):
    search(page)
    select_first_flight(page)
    seat_posts = []
    page.on("request", lambda r: seat_posts.append(r.url) if r.method == "POST" and "/customize/seat" in r.url else None)
    seat_map = page.get_by_role("group", name="Seat for passenger 1")
    before = shown_total(page)

    # Tab from the passenger's tab into the map: one tab stop, on a free seat.
    page.get_by_role("link", name=re.compile(r"^Passenger 1 \(adult\)")).focus()
    for _ in range(6):
        page.keyboard.press("Tab")
        if page.evaluate(FOCUSED_SEAT):
            break
    start = page.evaluate(FOCUSED_SEAT)
    assert start, "Tab never reached the seat map"

    # Right: the next seat the page shows as free in the same row.
    row = seat_map.get_by_role("group", name=f"Row {row_of(start)}", exact=True)
    free_in_row = [r.get_attribute("value") for r in row.get_by_role("radio", disabled=False).all()]
    page.keyboard.press("ArrowRight")
    here = page.evaluate(FOCUSED_SEAT)
    following = free_in_row[free_in_row.index(start) + 1:]
    assert here == (following[0] if following else start)
    # Down: a free seat in a row further back.
    page.keyboard.press("ArrowDown")
    target = page.evaluate(FOCUSED_SEAT)
    assert target and row_of(target) > row_of(here)
    expect(seat_map.get_by_role("radio", name=re.compile(rf"^{target}, "))).to_be_enabled()
    # Moving chose nothing and sent nothing.
    assert seat_posts == []
    expect(seat_map.get_by_role("radio", checked=True)).to_have_count(0)

    page.keyboard.press("Enter")
    expect(total_element(page)).not_to_have_attribute("data-total", str(before))
    expect(page.locator("#seat-selected")).to_contain_text(f"Selected: {target}")
    expect(seat_map.get_by_role("radio", name=re.compile(rf"^{target}, "))).to_be_checked()
    assert len(seat_posts) == 1
    # The seat was redrawn by the answer; the keyboard is still on it.
    expect(page.locator(f"#choose-{target}")).to_be_focused()


FOCUSED = "() => { const el = document.activeElement; return el === document.body ? 'body' : el.outerHTML.slice(0, 120); }"


def money_text(cents: int) -> str:
    return f"${cents // 100:,}.{cents % 100:02d}"


def test_focus_stays_with_the_control_used_and_each_change_is_announced(page: Page):
    search(page)
    select_first_flight(page)
    # A new page (boosted): the keyboard starts at its heading.
    expect(page.get_by_role("heading", name="Customise your trip")).to_be_focused()
    announcer = page.locator("#announcer[aria-live=polite]")

    changes = (
        lambda: page.get_by_role("radio", name="Standard", exact=True),
        lambda: page.get_by_role("radio", name=re.compile(r"^Comfort")),
    )
    for control in changes:
        before = shown_total(page)
        control().check()
        expect(total_element(page)).not_to_have_attribute("data-total", str(before))
        expect(control()).to_be_focused()
        after = shown_total(page)
        sign = "+" if after > before else "-"
        expect(announcer).to_have_text(f"Total now {money_text(after)} ({sign}{money_text(abs(after - before))})")

    bags = page.get_by_label("Checked bags, passenger 1 (adult)")
    bags.focus()
    before = shown_total(page)
    bags.select_option("3")
    expect(total_element(page)).not_to_have_attribute("data-total", str(before))
    expect(bags).to_be_focused()
    expect(announcer).to_contain_text(f"Total now {money_text(shown_total(page))} (+")

    # A page that comes back with errors (422): the keyboard goes to the error summary.
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.get_by_role("heading", name="Who is travelling?")).to_be_focused()
    page.get_by_role("button", name="Continue", exact=True).click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    assert page.evaluate(FOCUSED) != "body"


def test_the_passenger_seat_tab_chosen_with_the_keyboard_keeps_the_focus(page: Page):
    """Issue 19 #15: Enter on the "Passenger 2" tab shows that passenger's map, and the focus
    stays on the tab (it fell to the top of the page)."""
    search(page, adults=2)
    select_first_flight(page)
    tab = page.get_by_role("navigation", name="Choose the passenger to seat").get_by_role("link", name=re.compile("2"))
    tab.focus()
    page.keyboard.press("Enter")
    expect(tab).to_have_attribute("aria-current", "true")
    expect(page.locator("#seat-map-title")).to_contain_text("Seat for passenger 2")
    expect(tab).to_be_focused()
