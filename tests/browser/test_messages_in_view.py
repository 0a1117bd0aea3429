"""After every action its message is in view and announced (issue 19): the page may be
scrolled to a form far below the top when the answer comes, and the message is drawn at the
top of the new page; it is scrolled into view and focused, and the error summary likewise."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.flow import search, select_first_flight
from tests.manage_support import confirmed_booking

pytestmark = pytest.mark.browser


def customising_on_a_phone(page: Page) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    search(page)
    select_first_flight(page)


def in_view_and_focused(message) -> None:
    expect(message).to_be_in_viewport()
    expect(message).to_be_focused()


def test_saving_contact_details_shows_its_message_in_view(page: Page, app):
    page.set_viewport_size({"width": 390, "height": 844})
    with app.app_context():
        reference = confirmed_booking().reference
    page.goto("/manage")
    page.get_by_label("Booking reference").fill(reference)
    page.get_by_label("Last name or email").fill("Lovelace")
    page.get_by_role("button", name="Find my booking").click()
    page.get_by_label("Phone").fill("+44 20 7946 0000")
    page.get_by_role("button", name="Save contact details").click()
    in_view_and_focused(page.get_by_role("status").filter(has_text="contact details"))


def test_holding_for_longer_shows_its_message_in_view(page: Page):
    customising_on_a_phone(page)
    extend = page.get_by_role("button", name="Need more time? Hold for 15 more minutes (once)")
    extend.scroll_into_view_if_needed()
    page.mouse.wheel(0, 2000)  # the traveller has read on down the page
    extend.click()
    in_view_and_focused(page.get_by_role("status").filter(has_text="held for longer"))


def test_passenger_errors_scroll_the_summary_into_view(page: Page):
    customising_on_a_phone(page)
    page.get_by_role("button", name="Continue", exact=True).click()
    page.get_by_role("button", name="Continue", exact=True).click()  # nothing typed
    in_view_and_focused(page.locator("[data-error-summary]"))
