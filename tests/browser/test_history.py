"""Back and Forward through the checkout land on whole pages (issue 19): htmx pushes each
step's URL, and a page restored from history is fetched whole (never an htmx fragment put
in place of the page), with the choices made so far."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.flow import fill_passenger, search, select_first_flight

pytestmark = pytest.mark.browser


def whole_page(page: Page, heading: str) -> None:
    """The site's header and footer, one h1, the step's heading, and the page's own title."""
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
    expect(page.get_by_role("banner")).to_contain_text("Fly2Any")
    expect(page.locator("h1")).to_have_count(1)
    assert page.title().endswith("· Fly2Any"), page.title()


def test_back_and_forward_through_every_step_land_on_whole_pages_with_choices_kept(page: Page):
    search(page)
    results_url = page.url
    whole_page(page, "Where are you flying?")
    select_first_flight(page)
    expect(page.get_by_role("heading", name=re.compile("^Customise"))).to_be_visible()
    page.get_by_role("radio", name="Standard", exact=True).check()
    expect(page.get_by_role("radio", name="Standard", exact=True)).to_be_checked()
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.get_by_role("heading", name="Who is travelling?")).to_be_visible()
    fill_passenger(page)
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.get_by_role("heading", name="Review your booking")).to_be_visible()

    page.go_back()  # review -> passengers, what was typed kept (saved on Continue)
    whole_page(page, "Who is travelling?")
    expect(page.get_by_label("First name")).not_to_have_value("")
    page.go_back()  # -> customise, Standard still chosen
    expect(page.get_by_role("heading", name=re.compile("^Customise"))).to_be_visible()
    expect(page.get_by_role("banner")).to_contain_text("Fly2Any")
    expect(page.get_by_role("radio", name="Standard", exact=True)).to_be_checked()
    page.go_back()  # -> the results, with the search form above them
    assert page.url == results_url
    whole_page(page, "Where are you flying?")
    expect(page.get_by_role("combobox", name="From")).to_have_value("JFK")
    expect(page.get_by_role("button", name="Select").first).to_be_visible()

    page.go_forward()
    expect(page.get_by_role("heading", name=re.compile("^Customise"))).to_be_visible()
    expect(page.get_by_role("banner")).to_contain_text("Fly2Any")
    expect(page.get_by_role("radio", name="Standard", exact=True)).to_be_checked()
    page.go_forward()
    whole_page(page, "Who is travelling?")
    page.go_forward()
    whole_page(page, "Review your booking")
