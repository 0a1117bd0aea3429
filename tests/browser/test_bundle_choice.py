"""Bundles (issue 11 #12): the chosen card looks chosen; the recommended one only wears a badge."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.flow import search, select_first_flight

pytestmark = pytest.mark.browser

BORDER = "el => getComputedStyle(el).borderTopColor + ' ' + getComputedStyle(el).borderTopWidth"
CHOSEN = "rgb(11, 92, 173) 2px"  # the brand colour, thicker


def card(page: Page, name: str):
    return page.locator("label.bundle-option").filter(has=page.get_by_role("radio", name=re.compile("^" + name)))


def test_the_chosen_bundle_looks_chosen_and_the_recommended_one_only_has_a_badge(page: Page):
    search(page)
    select_first_flight(page)
    recommended = page.locator("label.bundle-option").filter(has_text="Recommended")
    expect(recommended).to_have_count(1)
    expect(recommended.locator(".badge")).to_have_text("Recommended")
    chosen = card(page, "No bundle")
    expect(chosen.get_by_role("radio")).to_be_checked()
    assert chosen.evaluate(BORDER) == CHOSEN
    assert recommended.evaluate(BORDER) != CHOSEN  # not chosen, so it must not look it

    recommended.get_by_role("radio").check()
    expect(recommended.get_by_role("radio")).to_be_checked()
    expect(page.locator("#announcer")).to_contain_text("Total now")
    assert card(page, "No bundle").evaluate(BORDER) != CHOSEN
    assert page.locator("label.bundle-option").filter(has_text="Recommended").evaluate(BORDER) == CHOSEN
