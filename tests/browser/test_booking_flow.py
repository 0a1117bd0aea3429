"""The booking flow in a real browser, driven by visible labels and roles as a person would.

With JavaScript, step 1 updates the running total in place (htmx out-of-band swaps);
without it, the same step works through <noscript> "Update total" buttons and redirects.
"""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from checkout.extensions import db
from checkout.models import Booking, BookingStatus

pytestmark = pytest.mark.browser

REFERENCE = re.compile(r"FLY2A-[A-Z2-9]{6}")
# An economy seat that costs extra on a Standard fare, e.g. "20A, window, Extra legroom, $49.00"
# (Chromium puts a space before the first comma: the visually hidden part is out of flow).
PRICED_ECONOMY_SEAT = re.compile(r"^\d{1,2}[A-K] ?, \w+, (Standard|Preferred|Extra legroom|Exit)[^,]*, \$\d")
ACKNOWLEDGEMENTS = (
    "I have read the fare rules",
    "I have read the baggage",
    "I accept the conditions of carriage",
    "I understand that hazardous materials",
)


def iso(day: date) -> str:
    return day.isoformat()


def years_from_today(years: int) -> date:
    today = date.today()
    try:
        return today.replace(year=today.year + years)
    except ValueError:  # 29 February
        return today.replace(year=today.year + years, day=28)


TRAVELLER = {
    "First name": "Ada",
    "Last name": "Lovelace",
    "Date of birth": "1985-12-10",
    "Passport number": "X1234567",
    "Passport expiry": iso(years_from_today(5)),
    "Email": "ada@example.com",
    "Phone": "+1 212 555 0100",
}


# --- What a person does, step by step -------------------------------------------------

def search(page: Page, origin="JFK", destination="LHR", day: date | None = None, adults=1) -> None:
    page.goto("/")
    page.get_by_label("From").fill(origin)
    page.get_by_label("To", exact=True).fill(destination)
    page.get_by_label("Departure date").fill(iso(day or date.today() + timedelta(days=3)))
    page.get_by_label("Adults").select_option(str(adults))
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("button", name="Select").first).to_be_visible()


def select_first_flight(page: Page) -> None:
    page.get_by_role("button", name="Select").first.click()
    expect(page.get_by_role("heading", name="Customise your trip")).to_be_visible()


def price_summary(page: Page):
    return page.get_by_role("complementary", name="Your price")


def total_element(page: Page):
    return price_summary(page).locator("[data-total]")


def shown_total(page: Page) -> int:
    return int(total_element(page).get_attribute("data-total"))


def cheapest_priced_seat(page: Page):
    """The first economy seat still free that is charged for on this fare."""
    seat_map = page.get_by_role("group", name="Seat map for passenger 1")
    return seat_map.get_by_role("radio", name=PRICED_ECONOMY_SEAT, disabled=False).first


def change_in_place(page: Page, choose) -> int:
    """Make a step-1 choice with htmx on; the total must change without a page load."""
    before = shown_total(page)
    url = page.url
    page.evaluate("window.__sameDocument = true")
    choose()
    expect(total_element(page)).not_to_have_attribute("data-total", str(before))
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"
    assert page.url == url
    return shown_total(page)


def change_and_update(page: Page, choose, button_name: str) -> int:
    """Without JavaScript: choose, press the <noscript> button, and get the page back."""
    before = shown_total(page)
    choose()
    page.get_by_role("button", name=button_name, exact=True).click()
    expect(total_element(page)).not_to_have_attribute("data-total", str(before))
    expect(page.get_by_role("heading", name="Customise your trip")).to_be_visible()
    return shown_total(page)


def fill_passenger(page: Page, skip: tuple[str, ...] = ()) -> None:
    for label, value in TRAVELLER.items():
        if label not in skip:
            page.get_by_label(label, exact=True).fill(value)
    page.get_by_label("Nationality").select_option("GB")


def review_and_submit(page: Page, seat_code: str) -> tuple[int, str]:
    """Check the review page, accept the notices, and go on; returns (total, reference)."""
    expect(page.get_by_role("heading", name="Review your booking")).to_be_visible()
    passenger_row = page.get_by_role("row").filter(has_text="Ada Lovelace")
    expect(passenger_row).to_contain_text(seat_code)
    review_total = shown_total(page)
    pay_button = page.get_by_role("button", name=re.compile(r"^Continue to payment"))
    expect(pay_button).to_contain_text(total_element(page).inner_text())
    for label in ACKNOWLEDGEMENTS:
        page.get_by_role("checkbox", name=re.compile("^" + re.escape(label))).check()
    pay_button.click()
    heading = page.get_by_role("heading", name=re.compile(r"^Booking FLY2A-"))
    expect(heading).to_have_text(re.compile(r"^Booking " + REFERENCE.pattern + "$"))
    expect(page.get_by_text("Awaiting payment")).to_be_visible()
    reference = REFERENCE.search(heading.inner_text()).group(0)
    expect(page.locator(".reference")).to_have_text(reference)
    return review_total, reference


# --- Tests ----------------------------------------------------------------------------

def test_booking_with_javascript_updates_total_in_place(page: Page, app):
    search(page)
    expect(page.locator("#results")).to_contain_text("$")
    select_first_flight(page)

    totals = [shown_total(page)]
    totals.append(change_in_place(page, lambda: page.get_by_role("radio", name="Standard", exact=True).check()))
    expect(page.get_by_role("radio", name="Standard", exact=True)).to_be_checked()
    # Standard includes one checked bag, so the second is charged.
    totals.append(change_in_place(page, lambda: page.get_by_label("Checked bags, passenger 1 (adult)").select_option("2")))
    seat = cheapest_priced_seat(page)
    seat_code = seat.get_attribute("value")
    totals.append(change_in_place(page, seat.check))
    assert totals[2] > totals[1] and totals[3] > totals[2], totals
    expect(page.get_by_role("link", name=re.compile(rf"Passenger 1 \(adult\): {seat_code}$"))).to_be_visible()

    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.get_by_role("heading", name="Who is travelling?")).to_be_visible()
    fill_passenger(page)
    page.get_by_role("button", name="Continue", exact=True).click()

    review_total, reference = review_and_submit(page, seat_code)
    assert review_total == totals[-1]
    with app.app_context():
        booking = db.session.execute(select(Booking).where(Booking.reference == reference)).scalar_one()
        assert booking.status == BookingStatus.PENDING_PAYMENT
        assert booking.total_amount == review_total


def test_booking_without_javascript(page_without_js: Page):
    page = page_without_js
    search(page)
    select_first_flight(page)
    expect(page.get_by_role("button", name="Update total", exact=True)).to_be_visible()

    start = shown_total(page)
    after_fare = change_and_update(
        page, lambda: page.get_by_role("radio", name="Standard", exact=True).check(), "Update total")
    expect(page.get_by_role("radio", name="Standard", exact=True)).to_be_checked()
    after_bags = change_and_update(
        page, lambda: page.get_by_label("Checked bags, passenger 1 (adult)").select_option("2"), "Update total")
    expect(page.get_by_label("Checked bags, passenger 1 (adult)")).to_have_value("2")
    seat = cheapest_priced_seat(page)
    seat_code = seat.get_attribute("value")
    after_seat = change_and_update(page, seat.check, "Save seat and update total")
    expect(page.get_by_role("group", name="Seat map for passenger 1")
           .get_by_role("radio", name=re.compile(rf"^{seat_code} ?,"))).to_be_checked()
    assert start != after_fare and after_bags > after_fare and after_seat > after_bags

    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.get_by_role("heading", name="Who is travelling?")).to_be_visible()
    fill_passenger(page)
    page.get_by_role("button", name="Continue", exact=True).click()

    review_total, _ = review_and_submit(page, seat_code)
    assert review_total == after_seat


def test_passenger_inline_validation_and_kept_values(page: Page):
    search(page)
    select_first_flight(page)
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.get_by_role("heading", name="Who is travelling?")).to_be_visible()

    url = page.url
    page.evaluate("window.__sameDocument = true")
    first_name = page.get_by_label("First name", exact=True)
    first_name.fill("R2D2")
    first_name.press("Tab")
    # The error is tied to the field (aria-describedby), so it is its description.
    expect(first_name).to_have_accessible_description(re.compile("Use letters only"))
    error = page.locator("#" + first_name.get_attribute("aria-describedby"))
    expect(error).to_be_visible()
    assert page.evaluate("window.__sameDocument === true") and page.url == url

    fill_passenger(page, skip=("First name", "Last name"))
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/passengers")) as posted:
        page.get_by_role("button", name="Continue", exact=True).click()
    assert posted.value.status == 422
    expect(page.get_by_role("alert").filter(has_text="Please correct the highlighted details")).to_be_visible()
    expect(page.get_by_label("Last name", exact=True)).to_have_accessible_description(re.compile("Enter the last name"))

    expect(page.get_by_label("First name", exact=True)).to_have_value("R2D2")
    expect(page.get_by_label("Last name", exact=True)).to_have_value("")
    for label, value in TRAVELLER.items():
        if label not in ("First name", "Last name"):
            expect(page.get_by_label(label, exact=True)).to_have_value(value)
    expect(page.get_by_label("Nationality")).to_have_value("GB")


def test_airport_lookup_fills_datalist(page: Page):
    page.goto("/")
    origin = page.get_by_label("From")
    origin.press_sequentially("Lond")
    options = page.locator(f"datalist#{origin.get_attribute('list')} > option")
    expect(options.and_(page.locator("[value*='LHR']"))).to_have_count(1)
