"""The booking flow in a real browser, driven by visible labels and roles as a person would.

With JavaScript, step 1 updates the running total in place (htmx out-of-band swaps);
without it, the same step works through <noscript> "Update total" buttons and redirects.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from checkout.extensions import db
from checkout.models import Booking, BookingStatus
from tests.browser.flow import (TRAVELLER, cheapest_priced_seat, change_and_update, change_in_place, fill_passenger,
                                review_and_submit, search, select_first_flight, shown_total)

pytestmark = pytest.mark.browser


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


def test_a_fare_in_another_cabin_brings_that_cabins_seat_map_in_place(page: Page):
    """The fare answer carries a placeholder, not the map; the placeholder fetches the map."""
    search(page)
    select_first_flight(page)
    seat_map = page.get_by_role("group", name="Seat for passenger 1")
    business_seat = seat_map.get_by_role("radio", name=re.compile(r"^\d{1,2}[A-K], .*, unavailable: This seat is in "
                                                                  r"the business cabin")).first
    code = business_seat.get_attribute("value")
    change_in_place(page, lambda: page.get_by_role("radio", name="Business", exact=True).check())
    chosen = page.get_by_role("group", name="Seat for passenger 1").get_by_role(
        "radio", name=re.compile(rf"^{code}, "))
    expect(chosen).to_be_enabled()  # the business cabin's map, fetched after the answer
    expect(page.locator("#seat-panel")).not_to_have_attribute("aria-busy", "true")
    chosen.check()  # and it works as the map always does (seats are included with Business)
    expect(page.get_by_role("link", name=re.compile(rf"Passenger 1 \(adult\): {code}$"))).to_be_visible()


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
    expect(page.get_by_role("group", name="Seat for passenger 1")
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

    # The privacy notice is read before any field (US rules: told before collected).
    notice = page.get_by_role("region", name="Why we ask for these details")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("Secure Flight")
    first_name = page.get_by_label("First name", exact=True)
    assert notice.bounding_box()["y"] + notice.bounding_box()["height"] <= first_name.bounding_box()["y"]

    url = page.url
    page.evaluate("window.__sameDocument = true")
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
    expect(page.get_by_label("Gender", exact=True)).to_have_value("F")
    expect(page.get_by_label("Nationality")).to_have_value("GB")


def test_airport_lookup_fills_datalist(page: Page):
    page.goto("/")
    origin = page.get_by_label("From")
    origin.press_sequentially("Lond")
    options = page.locator(f"datalist#{origin.get_attribute('list')} > option")
    expect(options.and_(page.locator("[value*='LHR']"))).to_have_count(1)
