"""The dashboard's payment figures from a real payment in Chromium: a 3-D Secure card the
traveller authenticates counts in the 3-D Secure rate, and the payment time starts at the
Pay click, not when the page loaded."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from checkout.extensions import db
from checkout.models import Booking, PaymentAttempt
from checkout.staff.auth import create_staff
from tests.browser.flow import to_pending_booking
from tests.browser.test_payment_flow import NEEDS_3DS, expect_confirmed, pay_with, three_d_secure
from tests.staff_support import PASSWORD, staff_email

pytestmark = pytest.mark.browser


def test_an_authenticated_3d_secure_payment_counts_on_the_dashboard(page: Page, app):
    reference = to_pending_booking(page, destination="LAX")
    pay_with(page, NEEDS_3DS)
    three_d_secure(page).get_by_role("button", name="Complete authentication").click()
    expect_confirmed(page, reference)

    with app.app_context():
        attempt = db.session.execute(select(PaymentAttempt).join(Booking).where(Booking.reference == reference)
                                     ).scalar_one()
        assert (attempt.status, attempt.used_3ds) == ("succeeded", True)
        # The Pay click, as our server heard it: after the page made the attempt, before the success.
        assert attempt.created_at < attempt.confirm_requested_at <= attempt.succeeded_at
        email = staff_email("agent")
        create_staff(email, PASSWORD, "agent")

    page.goto("/staff/login?next=/staff/dashboard?period=today")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Monitoring dashboard")).to_be_visible()
    three_ds = page.locator("#metric-3ds")
    expect(three_ds.locator(".metric-value")).to_have_text("100.0%")
    expect(three_ds).to_contain_text("1 of 1 finished attempts used 3-D Secure")
    expect(three_ds).to_contain_text("Expected 10–20%")
    timing = page.locator("#metric-payment-time")
    expect(timing.locator(".metric-value")).to_have_text(re.compile(r"^p50 \d+\.\d s · p95 \d+\.\d s$"))
    expect(timing).to_contain_text("from the Pay click to success")
    expect(timing).to_contain_text("over 1 payment")
