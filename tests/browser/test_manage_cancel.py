"""A traveller cancels within 24 hours in a real browser and gets everything back.

The booking is made through the services and paid at localstripe (4242), departing 20
days ahead and booked just now, so the US DOT 24-hour rule applies. The cancellation email
goes to a real SMTP server (aiosmtpd), sent by the function the mailer worker runs.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from checkout.extensions import db
from checkout.models import Booking, OutboxEmail
from checkout.payments import gateway
from checkout.presentation import money
from tests.manage_support import far_flight  # noqa: F401 (a fixture)
from tests.manage_support import confirmed_booking

pytestmark = pytest.mark.browser


def test_traveller_cancels_within_24_hours_and_gets_the_refund_and_the_email(page: Page, app, far_flight, live_server, smtp_inbox):
    with app.app_context():
        booking = confirmed_booking(far=True)
        booking_id, reference, total = booking.id, booking.reference, booking.total_amount
        from checkout.notifications.sender import send_due
        send_due()  # the confirmation email goes out first, as the mailer would have sent it
    amount = money(total, "USD")
    smtp_inbox.messages.clear()

    page.goto("/manage")
    page.get_by_label("Booking reference").fill(reference)
    page.get_by_label("Last name or email").fill("Lovelace")
    page.get_by_role("button", name="Find my booking").click()

    expect(page.get_by_role("heading", name=f"Booking {reference}")).to_be_visible()
    expect(page.get_by_text("Confirmed.")).to_be_visible()
    expect(page.get_by_role("link", name="Download e-ticket")).to_be_visible()
    page.get_by_role("button", name="Cancel booking").click()

    expect(page.get_by_role("heading", name=f"Cancel booking {reference}?")).to_be_visible()
    expect(page.get_by_text("you get everything back")).to_be_visible()
    expect(page.locator(".refund-quote")).to_contain_text(f"You get back {amount}")
    page.get_by_role("button", name=f"Yes, cancel and refund {amount}").click()

    expect(page.get_by_role("heading", name=f"Booking {reference}")).to_be_visible()
    expect(page.get_by_text("Cancelled.", exact=False).first).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(f"We are refunding {amount} to your Visa ending in 4242")
    expect(page.get_by_role("button", name="Cancel booking")).to_have_count(0)
    assert page.url.endswith(f"/manage/{reference}")

    with app.app_context():
        stored = db.session.get(Booking, booking_id)
        assert stored.status == "CANCELLED"
        assert [r.amount for r in gateway.list_refunds(stored.paid_attempt.payment_intent_id)] == [total]
        assert send_due() == 1
        email_row = db.session.execute(select(OutboxEmail).where(
            OutboxEmail.booking_id == booking_id, OutboxEmail.kind == "cancellation")).scalar_one()
        assert email_row.status == "sent"
    [(recipients, message)] = smtp_inbox.received
    assert recipients == ["ada@example.com"]
    assert message["Subject"] == f"Booking {reference} cancelled: {amount} refund on its way"
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert f"We are refunding {amount}" in body and re.search(r"has been cancelled", body)
