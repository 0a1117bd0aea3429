"""The 3-D Secure rate counts every payment the bank challenged, from what Stripe reports:
the intent's charge after the challenge, a failed challenge, or a signed requires_action
event, even when nobody looked while the challenge was open (as in the browser flow)."""
from __future__ import annotations

from sqlalchemy import select

from checkout.clock import utcnow
from checkout.extensions import db
from checkout.models import PaymentAttempt
from checkout.payments import service as payments
from checkout.staff import metrics
from tests.payments_support import (authenticate, event, pay_at_stripe, payment_intent_object, pending_booking,
                                    post_event)

NEEDS_3DS = "4000002760003184"


def _attempt(payment_intent_id: str) -> PaymentAttempt:
    db.session.expire_all()
    return db.session.execute(select(PaymentAttempt).where(PaymentAttempt.payment_intent_id == payment_intent_id)
                              ).scalar_one()


def test_a_challenge_completed_before_we_looked_still_counts(app_ctx):
    """The traveller authenticates in the browser; our first look is the return URL's, at a succeeded intent."""
    booking = pending_booking()
    started = payments.start_payment(booking.id)
    pi = started.attempt.payment_intent_id
    assert pay_at_stripe(pi, NEEDS_3DS).status == "requires_action"
    authenticate(pi, started.client_secret, success=True)
    assert payments.reconcile(pi, actor="return url").booking_status == "CONFIRMED"
    attempt = _attempt(pi)
    assert (attempt.status, attempt.used_3ds) == ("succeeded", True)
    figures = metrics.dashboard(utcnow(), "today").payments
    assert (figures.three_ds, figures.finished, figures.three_ds_rate.text) == (1, 1, "100.0%")


def test_a_failed_challenge_counts_and_a_card_without_one_does_not(app_ctx):
    booking = pending_booking()
    first = payments.start_payment(booking.id)
    pay_at_stripe(first.attempt.payment_intent_id, NEEDS_3DS)
    authenticate(first.attempt.payment_intent_id, first.client_secret, success=False)
    assert payments.reconcile(first.attempt.payment_intent_id).attempt_status == "failed"
    second = payments.start_payment(booking.id)
    pay_at_stripe(second.attempt.payment_intent_id, "4242424242424242")
    assert payments.reconcile(second.attempt.payment_intent_id).booking_status == "CONFIRMED"
    assert [(a.status, a.used_3ds) for a in (_attempt(first.attempt.payment_intent_id),
                                            _attempt(second.attempt.payment_intent_id))] == \
           [("failed", True), ("succeeded", False)]
    assert metrics.dashboard(utcnow(), "today").payments.three_ds_rate.text == "50.0%"


def test_a_signed_requires_action_event_is_recorded_even_after_the_payment_succeeded(app_ctx, client):
    booking = pending_booking()
    started = payments.start_payment(booking.id)
    pi = started.attempt.payment_intent_id
    pay_at_stripe(pi, "4242424242424242")
    payments.reconcile(pi)
    assert _attempt(pi).used_3ds is False
    # Stripe's event came late: by now the intent has succeeded, but the bank did ask.
    waiting = payment_intent_object(pi, "requires_action", booking.total_amount, booking.reference)
    waiting["next_action"] = {"type": "use_stripe_sdk", "use_stripe_sdk": {"type": "three_d_secure_redirect"}}
    response = post_event(client, event("payment_intent.requires_action", waiting))
    assert response.status_code == 200 and response.get_json()["status"] == "processed"
    attempt = _attempt(pi)
    assert (attempt.status, attempt.used_3ds) == ("succeeded", True)
    # A requires_action event for someone else's intent is acknowledged and changes nothing.
    stranger = payment_intent_object("pi_not_ours", "requires_action", 100, "FLY2A-XXXXXX")
    assert post_event(client, event("payment_intent.requires_action", stranger)).get_json()["status"] == "ignored"
