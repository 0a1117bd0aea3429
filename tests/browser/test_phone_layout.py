"""Every page fits the screen it is shown on (issue 11): no sideways scrolling of the page at
320 px (small phones), 390 px (common phones) or 1280 px (laptops).

Wide content (the seat map, comparison tables) may scroll inside its own box; the page
itself never does. One booking is walked through, and each page is measured at each width.
"""
from __future__ import annotations

import pprint

import pyotp
import pytest
from playwright.sync_api import Page, expect

from checkout.staff.auth import create_staff
from tests.browser.flow import TRAVELLER, accept_and_submit, fill_passenger, search, select_first_flight
from tests.browser.test_payment_flow import SUCCEEDS, expect_confirmed, pay_with
from tests.staff_support import PASSWORD, staff_email

pytestmark = pytest.mark.browser

WIDTHS = (320, 390, 1280)


# The outermost elements sticking out on the right: says what to fix when the test fails.
STICKING_OUT = """() => Array.from(document.querySelectorAll('body *')).filter(el =>
    el.getBoundingClientRect().right > innerWidth + 1 && el.parentElement.getBoundingClientRect().right <= innerWidth + 1
).slice(0, 4).map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + '.' + el.className)"""


def overflow(page: Page) -> dict[int, tuple[int, list[str]]]:
    """{viewport width: (page width, what sticks out)} for each width at which the page is
    wider than the screen."""
    too_wide = {}
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        if scroll_width > page.evaluate("window.innerWidth"):
            too_wide[width] = (scroll_width, page.evaluate(STICKING_OUT))
    page.set_viewport_size({"width": 1280, "height": 800})
    return too_wide


def test_no_page_is_wider_than_the_screen(page: Page, app):
    pages: dict[str, dict[int, int]] = {}
    page.goto("/")
    pages["search"] = overflow(page)
    search(page)
    pages["results"] = overflow(page)
    select_first_flight(page)
    pages["customise"] = overflow(page)
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.get_by_role("heading", name="Who is travelling?")).to_be_visible()
    pages["passengers"] = overflow(page)
    fill_passenger(page)
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.get_by_role("heading", name="Review your booking")).to_be_visible()
    pages["review"] = overflow(page)
    reference = accept_and_submit(page)
    expect(page.get_by_label("Card number")).to_be_visible()
    pages["payment"] = overflow(page)
    pay_with(page, SUCCEEDS)
    expect_confirmed(page, reference)
    pages["confirmation"] = overflow(page)

    page.goto("/manage")
    pages["manage"] = overflow(page)
    page.get_by_label("Booking reference").fill(reference)
    page.get_by_label("Last name or email").fill(TRAVELLER["Last name"])
    page.get_by_role("button", name="Find my booking").click()
    expect(page.get_by_role("heading", name=f"Booking {reference}")).to_be_visible()
    pages["manage booking"] = overflow(page)

    with app.app_context():
        email = staff_email("supervisor")
        create_staff(email, PASSWORD, "supervisor")
    page.goto("/staff/login")
    pages["staff sign-in"] = overflow(page)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # A new supervisor sets up two-factor first: the enrolment page (its QR code) must fit too.
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    pages["staff two-factor set-up"] = overflow(page)
    setup_key = page.locator("#setup-key").inner_text().replace(" ", "")
    page.get_by_label("Authentication code").fill(pyotp.TOTP(setup_key).now())
    page.get_by_role("button", name="Turn on two-factor").click()
    expect(page.get_by_role("heading", name="Two-factor sign-in is on")).to_be_visible()
    pages["staff recovery codes"] = overflow(page)
    page.get_by_role("link", name="Continue to the console").click()
    expect(page.get_by_role("heading", name="Bookings", exact=True)).to_be_visible()
    pages["staff bookings"] = overflow(page)
    page.get_by_role("link", name=reference).click()
    expect(page.get_by_role("heading", name=f"Booking {reference}")).to_be_visible()
    pages["staff booking"] = overflow(page)
    page.goto("/staff/dashboard")
    pages["staff dashboard"] = overflow(page)

    too_wide = {name: widths for name, widths in pages.items() if widths}
    assert not too_wide, pprint.pformat(too_wide)
