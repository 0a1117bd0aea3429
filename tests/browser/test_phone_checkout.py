"""The checkout on a phone (issue 11): what a traveller needs stays on screen."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.flow import price_summary, search, select_first_flight, shown_total

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_the_total_and_continue_are_on_screen_while_customising_on_a_phone(page: Page):
    page.set_viewport_size(PHONE)
    search(page)
    select_first_flight(page)
    page.evaluate("window.scrollTo(0, 0)")
    bar = page.locator("#phone-bar")
    total = page.get_by_role("link", name="Total")
    expect(total).to_be_in_viewport()
    expect(total).to_contain_text(price_summary(page).locator("[data-total]").inner_text())
    continue_button = page.get_by_role("button", name="Continue", exact=True)
    expect(continue_button).to_be_in_viewport()
    assert bar.bounding_box()["y"] + bar.bounding_box()["height"] <= PHONE["height"] + 1

    # A change redraws the bar's total with the summary.
    before = shown_total(page)
    page.get_by_role("checkbox", name="Travel insurance").check()
    expect(total).not_to_contain_text(f"{before / 100:,.2f}")
    expect(total).to_contain_text(price_summary(page).locator("[data-total]").inner_text())

    # The total opens the breakdown; Continue goes on.
    total.click()
    expect(page.get_by_role("heading", name="Your price")).to_be_in_viewport()
    continue_button.click()
    expect(page.get_by_role("heading", name="Who is travelling?")).to_be_visible()
