"""The staff console in a real browser: a supervisor signs in with a code from their
authenticator app, finds a booking by the passenger's surname as they type (htmx, no page
load), and refunds one seat fee; a new supervisor is taken through two-factor enrolment."""
from __future__ import annotations

import re

import pyotp
import pytest
from playwright.sync_api import Page, expect

from checkout.extensions import db
from checkout.payments import gateway
from checkout.staff.auth import create_staff
from tests.payments_support import pending_booking
from tests.staff_support import (
    PASSWORD, authenticator_code, enrol_authenticator, free_standard_seat, paid_booking, seat_line, staff_email,
)

pytestmark = pytest.mark.browser


def test_a_supervisor_finds_a_booking_and_refunds_one_seat_fee(app, page: Page):
    with app.app_context():
        email = staff_email("supervisor")
        create_staff(email, PASSWORD, "supervisor")
        enrol_authenticator(email)
        booking = paid_booking(seat=free_standard_seat())
        seat = seat_line(booking)
        assert seat.amount == 1800
        reference, seat_description = booking.reference, seat.description
        payment_intent_id = booking.paid_attempt.payment_intent_id
        other = pending_booking()
        other.passengers[0].last_name = "Hopper"
        db.session.commit()
        other_reference = other.reference

    page.goto("/staff/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Authentication code").fill(authenticator_code(app, email))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Bookings", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name=other_reference)).to_be_visible()

    # Typing narrows the list in place: no page load, and the URL follows the search.
    page.evaluate("window.__sameDocument = true")
    page.get_by_label("Search bookings").press_sequentially("lovel", delay=40)
    expect(page.get_by_role("link", name=other_reference)).to_have_count(0)
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=reference))
    expect(row).to_contain_text("Ada Lovelace")
    expect(row).to_contain_text("Visa •••• 4242")
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"
    expect(page).to_have_url(re.compile(r"/staff/bookings\?q=lovel"))

    page.get_by_role("link", name=reference).click()
    expect(page.get_by_role("heading", name=f"Booking {reference}")).to_be_visible()
    page.get_by_role("checkbox", name=re.compile("^" + re.escape(seat_description))).check()
    page.get_by_role("button", name="Quote refund").click()
    expect(page.get_by_role("heading", name=f"Refund quote for {reference}")).to_be_visible()
    expect(page.locator("#quote-amount")).to_have_text("$18.00")
    expect(page.get_by_role("row", name=re.compile(re.escape(seat_description)))).to_contain_text("$18.00")

    page.get_by_role("button", name="Confirm refund").click()  # no reason given: asked for one, nothing refunded
    expect(page.get_by_text("Say why this refund is made")).to_be_visible()
    page.get_by_label("Reason (kept in the audit trail)").fill("seat not available on the day")
    page.get_by_role("button", name="Confirm refund").click()
    expect(page.get_by_role("heading", name=f"Booking {reference}")).to_be_visible()
    expect(page.get_by_text("Refunded $18.00.")).to_be_visible()
    refunds_table = page.locator("#refunds")
    expect(refunds_table).to_contain_text("$18.00")
    expect(refunds_table).to_contain_text("succeeded")
    expect(page.get_by_role("row", name=re.compile("^" + re.escape(seat_description)))).to_contain_text("(refunded)")

    with app.app_context():
        assert [r.amount for r in gateway.list_refunds(payment_intent_id)] == [1800]


def test_search_works_without_javascript(app, page_without_js: Page):
    page = page_without_js
    with app.app_context():
        email = staff_email("agent")
        create_staff(email, PASSWORD, "agent")
        wanted, other = pending_booking(), pending_booking()
        wanted.passengers[0].last_name = "Hopper"
        db.session.commit()
        wanted_reference, other_reference = wanted.reference, other.reference

    page.goto(f"/staff/bookings/{wanted_reference}")  # not signed in: to sign-in, then back here
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("don't match an active staff account")
    expect(page.get_by_label("Email")).to_have_value(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=f"Booking {wanted_reference}")).to_be_visible()
    expect(page.get_by_role("button", name="Quote refund")).to_have_count(0)  # agents do not refund

    page.get_by_role("link", name="Bookings", exact=True).click()
    page.get_by_label("Search bookings").fill("HOPPER")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"q=HOPPER"))
    expect(page.get_by_role("link", name=wanted_reference)).to_be_visible()
    expect(page.get_by_role("link", name=other_reference)).to_have_count(0)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Staff sign-in")).to_be_visible()


def test_a_new_supervisor_sets_up_two_factor_before_reaching_the_console(app, page: Page):
    with app.app_context():
        email = staff_email("supervisor")
        create_staff(email, PASSWORD, "supervisor")

    page.goto("/staff/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    page.goto("/staff/bookings")  # nothing else until enrolled
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()

    # The phone: the setup key typed into an authenticator app (here pyotp).
    setup_key = page.locator("#setup-key").inner_text().replace(" ", "")
    page.get_by_label("Authentication code").fill(pyotp.TOTP(setup_key).now())
    page.get_by_role("button", name="Turn on two-factor").click()
    expect(page.get_by_role("heading", name="Two-factor sign-in is on")).to_be_visible()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    page.get_by_role("link", name="Continue to the console").click()
    expect(page.get_by_role("heading", name="Bookings", exact=True)).to_be_visible()
