"""The small ones of issue 11 #14 that only a browser shows: the skip link, fare prices that
do not pretend to be buttons, and "taxes and fees: $X" read with its space."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.flow import price_summary, search, select_first_flight

pytestmark = pytest.mark.browser


def test_the_first_tab_stop_skips_to_the_main_content(page: Page):
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    skip.press("Enter")
    expect(page.locator("main#main")).to_be_focused()


def test_fare_prices_on_results_are_text_and_the_taxes_line_reads_with_a_space(page: Page):
    search(page)
    chip = page.locator(".fare-chip").first
    looks = chip.evaluate("el => [getComputedStyle(el).borderTopStyle, getComputedStyle(el).cursor]")
    assert looks == ["none", "auto"], looks  # no pill border: nothing suggests it can be clicked
    select_first_flight(page)
    # The floated amount ends the line: a plain space before it was dropped from the text
    # (copied or read as text it said "taxes and fees:$134.80"). The line break is layout.
    text = price_summary(page).locator(".taxes").inner_text().replace("\xa0", " ").replace("\n", "")
    assert "taxes and fees: $" in text, text
