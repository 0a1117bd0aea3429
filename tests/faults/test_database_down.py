"""PostgreSQL stops while Stripe tells us a booking was paid.

The webhook answers 503 so Stripe delivers again; the redelivery, once the database is
back, confirms the booking exactly once and queues exactly one confirmation email.
"""
from __future__ import annotations

from sqlalchemy import func, select

from checkout.extensions import db
from checkout.models import BookingStatus, BookingTransition, OutboxEmail, WebhookEvent
from checkout.payments import gateway
from checkout.payments import service as payments
from tests.payments_support import event, pay_at_stripe, payment_intent_object, pending_booking, post_event


def _paid_at_stripe(app):
    """A pending booking whose PaymentIntent has succeeded at Stripe; our side not told yet."""
    with app.app_context():
        booking = pending_booking()
        started = payments.start_payment(booking.id)
        intent = pay_at_stripe(started.attempt.payment_intent_id, "4242424242424242")
        assert intent.status == "succeeded"
        succeeded = event("payment_intent.succeeded",
                          payment_intent_object(intent.id, "succeeded", booking.total_amount, booking.reference))
        return booking.id, succeeded


def _counts(app, booking_id):
    with app.app_context():
        confirmations = db.session.execute(select(func.count()).select_from(BookingTransition).where(
            BookingTransition.booking_id == booking_id, BookingTransition.to_status == BookingStatus.CONFIRMED)).scalar()
        emails = db.session.execute(select(func.count()).select_from(OutboxEmail).where(
            OutboxEmail.booking_id == booking_id, OutboxEmail.kind == "confirmation")).scalar()
        return confirmations, emails


def _redeliveries_confirm_once(app, client, booking_id, succeeded, deliveries_seen: int):
    again = post_event(client, succeeded)
    assert again.status_code == 200, again.get_data(as_text=True)
    assert again.get_json()["status"] == "processed"
    assert _counts(app, booking_id) == (1, 1)
    third = post_event(client, succeeded)
    assert (third.status_code, third.get_json()["status"]) == (200, "duplicate")
    assert _counts(app, booking_id) == (1, 1)
    with app.app_context():
        row = db.session.execute(select(WebhookEvent).where(WebhookEvent.stripe_event_id == succeeded["id"])).scalar_one()
        assert (row.status, row.deliveries) == ("processed", deliveries_seen + 2)


def test_database_down_when_the_webhook_arrives_answers_503_and_the_redelivery_confirms_once(app, client, postgres):
    booking_id, succeeded = _paid_at_stripe(app)

    postgres.stop()
    try:
        answer = post_event(client, succeeded)
    finally:
        postgres.start()
    assert answer.status_code == 503  # Stripe keeps the event and delivers it again
    assert answer.get_json()["error"]["code"] == "retry_later"
    assert _counts(app, booking_id) == (0, 0)

    _redeliveries_confirm_once(app, client, booking_id, succeeded, deliveries_seen=0)  # nothing was written


def test_database_lost_halfway_through_the_webhook_answers_503_and_the_redelivery_confirms_once(
        app, client, postgres, monkeypatch):
    """The event is recorded, then the database goes while we ask Stripe about the payment."""
    booking_id, succeeded = _paid_at_stripe(app)
    real_retrieve = gateway.retrieve_payment_intent

    def database_goes_first(payment_intent_id):
        postgres.stop()
        return real_retrieve(payment_intent_id)

    monkeypatch.setattr(gateway, "retrieve_payment_intent", database_goes_first)
    try:
        answer = post_event(client, succeeded)
    finally:
        monkeypatch.setattr(gateway, "retrieve_payment_intent", real_retrieve)
        postgres.start()
    assert answer.status_code == 503
    assert _counts(app, booking_id) == (0, 0)

    # The first delivery was recorded before the database went; its outcome could not be.
    _redeliveries_confirm_once(app, client, booking_id, succeeded, deliveries_seen=1)
