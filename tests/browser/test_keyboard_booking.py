"""A whole booking with the keyboard alone (issue 11, "Proved by"): search, a flight, a fare,
extra bags, a particular seat reached with the arrow keys, the passenger, the notices, the
card, and "You're booked". Only page.keyboard is used (Tab, Shift+Tab, arrows, Enter, Space
and typing); the test reads the page to decide what to press, and never clicks.

After every htmx swap on the way (results, each customise change, boosted page loads) the
keyboard focus must be somewhere, never on <body>: a person using a keyboard or a screen
reader would otherwise start again from the top of the page.
"""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import _new_page
from tests.browser.flow import (ACCEPT, REFERENCE, TRAVELLER, search, select_first_flight, shown_total,
                                total_element)
from tests.browser.test_payment_flow import SUCCEEDS, expect_confirmed

pytestmark = pytest.mark.browser

# Runs in every document before its own scripts: after each htmx swap has settled (and
# checkout.js has put the focus back), note where the focus is.
WATCH_FOCUS = """
window.__swaps = [];
document.addEventListener("htmx:afterSettle", (evt) => {
  const target = evt.detail.target;
  setTimeout(() => {
    const el = document.activeElement;
    window.__swaps.push({page: location.pathname, target: target === document.body ? "body" : (target.id || target.tagName),
                         focus: !el || el === document.body ? "body" : el.outerHTML.slice(0, 100)});
  }, 0);
});
"""
IS_FOCUSED = "el => el === document.activeElement"
FOCUSED = "() => { const el = document.activeElement; return el ? el.outerHTML.slice(0, 100) : null; }"


@pytest.fixture
def keyboard_page(browser, live_server):
    """A desktop browser with the US date format, so the date fields take mm dd yyyy as typed."""
    context, page = _new_page(browser, live_server, locale="en-US", viewport={"width": 1280, "height": 800})
    context.add_init_script(WATCH_FOCUS)
    try:
        yield page
    finally:
        context.close()


def tab_to(page: Page, target: Locator, key: str = "Tab", limit: int = 60) -> None:
    """Press Tab (or Shift+Tab) until `target` has the focus, as a person would watch for it."""
    passed = []
    for _ in range(limit):
        if target.evaluate(IS_FOCUSED):
            return
        page.keyboard.press(key)
        passed.append(page.evaluate(FOCUSED))
    raise AssertionError(f"{key} never reached {target}; it went through:\n" + "\n".join(map(str, passed[-15:])))


def type_into(page: Page, target: Locator, text: str) -> None:
    tab_to(page, target)
    page.keyboard.type(text)


class Swaps:
    """The focus after each htmx swap the page has settled so far (see WATCH_FOCUS)."""

    def __init__(self, page: Page):
        self.page, self.seen = page, []

    def collect(self) -> None:
        self.seen += self.page.evaluate("() => { const s = window.__swaps || []; window.__swaps = []; return s; }")

    def assert_focus_kept(self) -> None:
        self.collect()
        lost = [swap for swap in self.seen if swap["focus"] == "body"]
        assert not lost, f"focus on <body> after these swaps: {lost}"


FOCUSED_SEAT = "() => document.activeElement.matches('.seat-map input') ? document.activeElement.value : null"


def row_and_column(code: str) -> tuple[int, str]:
    number, letter = re.fullmatch(r"(\d+)([A-K])", code).groups()
    return int(number), letter


def arrow_to_seat(page: Page, target: str) -> int:
    """From the seat that has the focus, arrow keys to `target`: up and down to its row,
    then left and right along it. Returns the number of presses."""
    want_row, want_letter = row_and_column(target)
    for presses in range(120):
        here = page.evaluate(FOCUSED_SEAT)
        assert here, f"the focus left the seat map: {page.evaluate(FOCUSED)}"
        row, letter = row_and_column(here)
        if (row, letter) == (want_row, want_letter):
            return presses
        if row != want_row:
            page.keyboard.press("ArrowDown" if row < want_row else "ArrowUp")
        else:
            page.keyboard.press("ArrowRight" if letter < want_letter else "ArrowLeft")
    raise AssertionError(f"arrow keys never reached {target}; stuck at {page.evaluate(FOCUSED_SEAT)}")


def wait_for_new_total(page: Page, before: int) -> int:
    expect(total_element(page)).not_to_have_attribute("data-total", str(before))
    return shown_total(page)


def test_a_booking_made_with_the_keyboard_alone(keyboard_page: Page):
    page = keyboard_page
    swaps = Swaps(page)
    page.goto("/")

    # Search: the fields in page order, each reached with Tab.
    type_into(page, page.get_by_label("From"), "JFK")
    type_into(page, page.get_by_label("To", exact=True), "LHR")
    travel = date.today() + timedelta(days=3)
    type_into(page, page.get_by_label("Departure date"), travel.strftime("%m%d%Y"))
    expect(page.get_by_label("Departure date")).to_have_value(travel.isoformat())
    tab_to(page, page.get_by_role("button", name="Search"))
    page.keyboard.press("Enter")
    select = page.get_by_role("button", name="Select").first
    expect(select).to_be_visible()
    swaps.assert_focus_kept()
    tab_to(page, select)
    page.keyboard.press("Enter")

    # Customise: a boosted page load puts the keyboard at the heading.
    heading = page.get_by_role("heading", name="Customise your trip")
    expect(heading).to_be_focused()
    total = shown_total(page)
    # The fare: radios move and choose with the arrow keys (one change, one request).
    basic = page.get_by_role("radio", name="Basic", exact=True)
    tab_to(page, basic)
    page.keyboard.press("ArrowRight")
    total = wait_for_new_total(page, total)
    standard = page.get_by_role("radio", name="Standard", exact=True)
    expect(standard).to_be_checked()
    expect(standard).to_be_focused()
    # One bag more than the fare includes: arrow down on the closed list.
    bags = page.get_by_label("Checked bags, passenger 1 (adult)")
    tab_to(page, bags)
    page.keyboard.press("ArrowDown")
    total = wait_for_new_total(page, total)
    expect(bags).to_be_focused()
    expect(bags).to_have_value("2")
    # Travel insurance: a checkbox, Space.
    insurance = page.get_by_role("checkbox", name=re.compile(r"^Travel insurance"))
    tab_to(page, insurance)
    page.keyboard.press("Space")
    total = wait_for_new_total(page, total)
    expect(insurance).to_be_checked()
    expect(insurance).to_be_focused()
    swaps.assert_focus_kept()

    # The seat: one the map shows as free, well back and not at the start of its row.
    seat_map = page.get_by_role("group", name="Seat for passenger 1")
    free = seat_map.locator(".seat input:not([disabled])").evaluate_all("els => els.map(el => el.value)")
    rows = sorted({row_and_column(code)[0] for code in free})
    far_row = rows[min(len(rows) - 1, 8)]
    in_row = [code for code in free if row_and_column(code)[0] == far_row]
    target = in_row[len(in_row) // 2]
    page.keyboard.press("Tab")
    for _ in range(10):  # past the passenger's tab and the "Remove seat choice" line, into the map
        if page.evaluate(FOCUSED_SEAT):
            break
        page.keyboard.press("Tab")
    presses = arrow_to_seat(page, target)
    assert presses >= 2, f"{target} was where the keyboard entered the map: the test proves nothing"
    expect(seat_map.get_by_role("radio", checked=True)).to_have_count(0)  # moving chose nothing
    page.keyboard.press("Space")
    expect(page.locator("#seat-selected")).to_contain_text(f"Selected: {target}")  # free or not, with Standard
    expect(seat_map.get_by_role("radio", name=re.compile(rf"^{target}, "))).to_be_checked()
    expect(page.locator(f"#choose-{target}")).to_be_focused()
    swaps.assert_focus_kept()

    tab_to(page, page.get_by_role("button", name="Continue", exact=True))
    page.keyboard.press("Enter")

    # Passengers. Continue too early: the error summary has the focus, and its first link
    # takes the keyboard to the field it names.
    expect(page.get_by_role("heading", name="Who is travelling?")).to_be_focused()
    tab_to(page, page.get_by_role("button", name="Continue", exact=True))
    page.keyboard.press("Enter")
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    tab_to(page, summary.get_by_role("link").first)
    page.keyboard.press("Enter")
    expect(page.get_by_label("First name", exact=True)).to_be_focused()
    page.keyboard.type(TRAVELLER["First name"])
    for label in ("Last name",):
        type_into(page, page.get_by_label(label, exact=True), TRAVELLER[label])
    born = date.fromisoformat(TRAVELLER["Date of birth"])
    type_into(page, page.get_by_label("Date of birth"), born.strftime("%m%d%Y"))
    expect(page.get_by_label("Date of birth")).to_have_value(born.isoformat())
    type_into(page, page.get_by_label("Gender", exact=True), "Female")
    expect(page.get_by_label("Gender", exact=True)).to_have_value("F")
    type_into(page, page.get_by_label("Nationality"), "United Kingdom")
    expect(page.get_by_label("Nationality")).to_have_value("GB")
    type_into(page, page.get_by_label("Passport number"), TRAVELLER["Passport number"])
    expires = date.fromisoformat(TRAVELLER["Passport expiry"])
    type_into(page, page.get_by_label("Passport expiry"), expires.strftime("%m%d%Y"))
    expect(page.get_by_label("Passport expiry")).to_have_value(expires.isoformat())
    for label in ("Email", "Phone"):
        type_into(page, page.get_by_label(label, exact=True), TRAVELLER[label])
    tab_to(page, page.get_by_role("button", name="Continue", exact=True))
    page.keyboard.press("Enter")

    # Review: the notices accepted with Space on their one box; Shift+Tab comes back to it.
    expect(page.get_by_role("heading", name="Review your booking")).to_be_focused()
    expect(page.get_by_role("row").filter(has_text="Ada Lovelace")).to_contain_text(target)
    box = page.get_by_role("checkbox", name=re.compile(ACCEPT))
    tab_to(page, page.get_by_role("button", name=re.compile(r"^Continue to payment")))
    tab_to(page, box, key="Shift+Tab")
    page.keyboard.press("Space")
    expect(box).to_be_checked()
    tab_to(page, page.get_by_role("button", name=re.compile(r"^Continue to payment")))
    swaps.collect()  # a full page load follows (the payment page loads Stripe.js)
    page.keyboard.press("Enter")

    # Payment: the card form the payment provider's script puts in the page.
    heading = page.get_by_role("heading", name=re.compile(r"^Pay \$[\d,.]+ to confirm FLY2A-"))
    expect(heading).to_be_visible()
    reference = REFERENCE.search(heading.inner_text()).group(0)
    pay = page.get_by_role("button", name=re.compile(r"^Pay\b"))
    expect(pay).to_be_enabled()
    type_into(page, page.get_by_label("Card number"), SUCCEEDS)
    type_into(page, page.get_by_label("Expiration date"), f"12{(date.today().year + 3) % 100:02d}")
    type_into(page, page.get_by_label("Security code"), "123")
    tab_to(page, pay)
    page.keyboard.press("Enter")

    expect_confirmed(page, reference)
    expect(page.get_by_role("heading", name="You're booked", level=1)).to_be_visible()
    expect(page.get_by_text(f"seat {target}")).to_be_visible()
    swaps.assert_focus_kept()
    assert len(swaps.seen) >= 6, swaps.seen  # results, fare, bags, insurance, seat, two boosted pages


# The focused control, if less of it is on screen above the phone's fixed total bar than could
# be (all of it, or as much as fits above the bar). The bar's own controls are never under it.
HIDDEN_BY_BAR = """() => {
  const el = document.activeElement, bar = document.getElementById("phone-bar");
  if (!el || el === document.body || !bar || bar.contains(el)) return null;
  const box = (el.closest(".seat") || el).getBoundingClientRect(), top = bar.getBoundingClientRect().top;
  const visible = Math.max(0, Math.min(box.bottom, top) - Math.max(box.top, 0));
  return visible + 1 < Math.min(box.height, top) ? el.outerHTML.slice(0, 80) : null;
}"""


def test_on_a_phone_the_total_bar_never_hides_the_focused_control(browser, live_server):
    """WCAG 2.2 2.4.11: Tab through the customise page at 390×844; each control that gets the
    focus is scrolled clear of the fixed total bar at the bottom of the screen."""
    context, page = _new_page(browser, live_server, viewport={"width": 390, "height": 844})
    try:
        search(page)
        select_first_flight(page)
        hidden = []
        for _ in range(40):
            page.keyboard.press("Tab")
            under_bar = page.evaluate(HIDDEN_BY_BAR)
            if under_bar:
                hidden.append(under_bar)
        assert not hidden, hidden
    finally:
        context.close()
