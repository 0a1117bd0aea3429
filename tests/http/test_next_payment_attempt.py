"""POST /booking/<reference>/next-attempt: what the payment page asks for after a decline
instead of reloading (issue 11 #7, "a decline clears the card fields").

The page keeps its card form and confirms the next attempt with a new PaymentIntent, made by
our server: one attempt, one PaymentIntent, at most five failed attempts, the same notice the
page itself shows. Declines are made as the Stripe.js stand-in makes them (a card token from
localstripe, attached through /offline/stripe/attach).
"""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from checkout.extensions import db
from checkout.models import Booking, OutboxEmail, PaymentAttempt
from checkout.payments import MAX_FAILED_ATTEMPTS
from tests.conftest import Checkout
from tests.payments_support import card_token

DECLINED = "4000000000000002"


def _next_attempt(checkout, reference, csrf=True):
    headers = {"X-CSRFToken": checkout.csrf} if csrf else {}
    return checkout.client.post(f"/booking/{reference}/next-attempt", json={}, headers=headers)


def _page_attempt(checkout, reference) -> tuple[str, str]:
    html = checkout.get(f"/booking/{reference}").get_data(as_text=True)
    return (re.search(r'data-payment-intent="(pi_[^"]+)"', html).group(1),
            re.search(r'data-client-secret="([^"]+)"', html).group(1))


def _decline(checkout, app, payment_intent_id, client_secret) -> None:
    with app.app_context():
        token = card_token(DECLINED)
    answer = checkout.client.post("/offline/stripe/attach", headers={"X-CSRFToken": checkout.csrf},
                                  json={"paymentIntentId": payment_intent_id, "clientSecret": client_secret,
                                        "token": token})
    assert answer.get_json()["error"]["decline_code"] == "generic_decline"


def _attempts(app, reference) -> list[tuple[str, str | None]]:
    with app.app_context():
        booking = db.session.execute(select(Booking).where(Booking.reference == reference)).scalar_one()
        return [(a.status, a.payment_intent_id) for a in db.session.execute(
            select(PaymentAttempt).where(PaymentAttempt.booking_id == booking.id).order_by(PaymentAttempt.number)
        ).scalars()]


def test_after_a_decline_the_page_gets_a_new_payment_intent_and_the_notice(checkout, app):
    reference = checkout.to_pending()
    first, secret = _page_attempt(checkout, reference)

    # Nothing declined yet: the page's own PaymentIntent, no notice, no second intent.
    answer = _next_attempt(checkout, reference)
    assert answer.status_code == 200
    assert answer.get_json()["paymentIntentId"] == first and answer.get_json()["notice"].strip() == ""

    _decline(checkout, app, first, secret)
    answer = _next_attempt(checkout, reference)
    body = answer.get_json()
    assert answer.status_code == 200, body
    second = body["paymentIntentId"]
    assert second != first and body["clientSecret"].startswith(f"{second}_secret_")
    with app.app_context():
        total = db.session.execute(select(Booking.total_amount).where(Booking.reference == reference)).scalar_one()
    assert (body["amount"], body["currency"]) == (total, "usd")
    notice = body["notice"]
    assert "<html" not in notice and 'id="last-failure"' in notice
    for words in ("Your payment did not go through.", "Please use another card or contact your bank.",
                  "You have not been charged.", "4 attempts left."):
        assert words in notice, words

    # Asked again (a double click, a retry): the same attempt, not a third PaymentIntent.
    assert _next_attempt(checkout, reference).get_json()["paymentIntentId"] == second
    assert _attempts(app, reference) == [("failed", first), ("created", second)]


def test_after_the_last_allowed_decline_it_refuses_and_says_whom_to_contact(checkout, app):
    reference = checkout.to_pending()
    payment_intent_id, secret = _page_attempt(checkout, reference)
    for number in range(1, MAX_FAILED_ATTEMPTS + 1):
        _decline(checkout, app, payment_intent_id, secret)
        answer = _next_attempt(checkout, reference)
        body = answer.get_json()
        if number < MAX_FAILED_ATTEMPTS:
            assert answer.status_code == 200, body
            left = MAX_FAILED_ATTEMPTS - number
            assert f"{left} attempt{'s' if left != 1 else ''} left." in body["notice"]
            payment_intent_id, secret = body["paymentIntentId"], body["clientSecret"]

    assert answer.status_code == 409
    assert body["error"]["code"] == "too_many_attempts" and "clientSecret" not in body
    assert "Payment has failed 5 times" in body["notice"] and app.config["SUPPORT_EMAIL"] in body["notice"]
    assert "attempts left" not in body["notice"] and "Your payment did not go through." in body["notice"]
    attempts = _attempts(app, reference)
    assert [status for status, _ in attempts] == ["failed"] * MAX_FAILED_ATTEMPTS
    assert len({pi for _, pi in attempts}) == MAX_FAILED_ATTEMPTS  # one PaymentIntent each
    with app.app_context():  # one "Payment not completed" email, after the last allowed attempt, as before
        assert db.session.execute(select(func.count()).select_from(OutboxEmail).where(
            OutboxEmail.kind == "payment_failed")).scalar() == 1


def test_when_the_hold_has_run_out_it_refuses_without_a_payment_intent(checkout, app):
    reference = checkout.to_pending()
    first, _ = _page_attempt(checkout, reference)
    with app.app_context():
        booking = db.session.execute(select(Booking).where(Booking.reference == reference)).scalar_one()
        booking.hold_expires_at = booking.hold_expires_at - timedelta(hours=2)
        db.session.commit()
    answer = _next_attempt(checkout, reference)
    assert answer.status_code == 409
    assert answer.get_json()["error"]["code"] == "hold_expired"
    assert "The time to pay for this booking has run out" in answer.get_json()["notice"]
    assert _attempts(app, reference) == [("created", first)]


def test_only_the_browser_that_booked_it_and_only_with_its_csrf_token(checkout, app):
    reference = checkout.to_pending()
    first, _ = _page_attempt(checkout, reference)
    assert _next_attempt(checkout, reference, csrf=False).status_code == 400
    stranger = Checkout(app.test_client())
    stranger.get("/")  # a session and a CSRF token of its own
    assert _next_attempt(stranger, reference).status_code == 404
    assert checkout.client.post("/booking/FLY2A-ZZZZZZ/next-attempt", json={},
                                headers={"X-CSRFToken": checkout.csrf}).status_code == 404
    assert _attempts(app, reference) == [("created", first)]
