"""The payment page's "Pay pressed" beacon: where the dashboard's payment time starts.

The browser posts it (CSRF token in X-CSRFToken) when the traveller presses Pay; our server
stamps it with its own clock on the attempt, only for this browser's booking and only while
the payment is still open. The dashboard's payment time runs from that stamp to success.
"""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select

from checkout.clock import utcnow
from checkout.extensions import db
from checkout.models import Booking, PaymentAttempt
from checkout.payments import service as payments
from checkout.staff import metrics
from tests.conftest import Checkout
from tests.payments_support import pay_at_stripe


def _attempt(app, reference: str) -> PaymentAttempt:
    with app.app_context():
        booking = db.session.execute(select(Booking).where(Booking.reference == reference)).scalar_one()
        attempt = booking.payment_attempts[-1]
        db.session.expunge(attempt)
        return attempt


def _press_pay(checkout: Checkout, html: str, **headers):
    url = re.search(r'data-pay-started-url="([^"]+)"', html).group(1)
    intent = re.search(r'data-payment-intent="([^"]+)"', html).group(1)
    headers.setdefault("X-CSRFToken", checkout.csrf)
    return checkout.client.post(url, json={"paymentIntentId": intent}, headers=headers)


def test_pressing_pay_starts_the_payment_time_and_the_dashboard_counts_from_there(checkout, app):
    reference = checkout.to_pending()
    html = checkout.get(f"/booking/{reference}").get_data(as_text=True)
    assert f'data-pay-started-url="/booking/{reference}/pay-started"' in html
    loaded = _attempt(app, reference)
    assert loaded.confirm_requested_at is None
    response = _press_pay(checkout, html)
    assert response.status_code == 204
    clicked = _attempt(app, reference)
    assert clicked.confirm_requested_at is not None and clicked.confirm_requested_at >= loaded.created_at
    # A second press (the first was refused by the card form) moves the start to the press that paid.
    assert _press_pay(checkout, html).status_code == 204
    pressed = _attempt(app, reference).confirm_requested_at
    assert pressed >= clicked.confirm_requested_at
    with app.app_context():
        pay_at_stripe(clicked.payment_intent_id, "4242424242424242")
        payments.reconcile(clicked.payment_intent_id, actor="return url")
    paid = _attempt(app, reference)
    # Once paid, a late beacon changes nothing: the start is never after the success.
    assert _press_pay(checkout, html).status_code == 204
    assert _attempt(app, reference).confirm_requested_at == pressed
    with app.app_context():
        figures = metrics.dashboard(utcnow(), "today").payments
        seconds = (paid.succeeded_at - pressed).total_seconds()
        expected = Decimal(repr(seconds)).quantize(Decimal("0.1"), ROUND_HALF_UP)
        assert (figures.timed, figures.p50_seconds, figures.p95_seconds) == (1, expected, expected)
        # Not from the page load: that would count the time spent typing the card.
        assert paid.created_at < pressed


def test_the_beacon_needs_the_csrf_token_and_this_browsers_booking(checkout, app):
    reference = checkout.to_pending()
    html = checkout.get(f"/booking/{reference}").get_data(as_text=True)
    assert _press_pay(checkout, html, **{"X-CSRFToken": "forged"}).status_code == 400
    stranger = Checkout(app.test_client())
    stranger.get("/")
    assert _press_pay(stranger, html).status_code == 404  # someone else's booking
    url = re.search(r'data-pay-started-url="([^"]+)"', html).group(1)
    for body in ([1, 2], {"paymentIntentId": "pi_unknown"}):
        response = checkout.client.post(url, json=body, headers={"X-CSRFToken": checkout.csrf})
        assert response.status_code in (400, 404)
    assert _attempt(app, reference).confirm_requested_at is None
