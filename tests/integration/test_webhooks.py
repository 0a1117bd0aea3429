"""Webhooks: signed on the raw body, stored once, processed by re-asking Stripe;
duplicates, disorder and outages leave exactly one right outcome."""
import dataclasses
import re
import threading

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from checkout.extensions import db
from checkout.models import Booking, BookingTransition, OutboxEmail, Refund, WebhookEvent
from checkout.payments import gateway
from checkout.payments import service as payments
from tests.payments_support import (charge_object, event, pay_at_stripe, payment_intent_object, pending_booking,
                                    post_event, signed)


def _count(model, **where):
    stmt = select(func.count()).select_from(model)
    for key, value in where.items():
        stmt = stmt.where(getattr(model, key) == value)
    return db.session.execute(stmt).scalar()


def _paid_booking(card="4242424242424242"):
    """A pending booking whose payment Stripe has, but of which we have not heard yet."""
    booking = pending_booking()
    started = payments.start_payment(booking.id)
    pay_at_stripe(started.attempt.payment_intent_id, card)
    return booking.id, booking.reference, booking.total_amount, started.attempt.payment_intent_id


def _succeeded_event(pi, amount, reference, event_id=None):
    return event("payment_intent.succeeded", payment_intent_object(pi, "succeeded", amount, reference), event_id)


def test_the_same_event_ten_times_in_parallel_makes_one_transition_and_one_email(app):
    with app.app_context():
        booking_id, reference, amount, pi = _paid_booking()
    evt = _succeeded_event(pi, amount, reference, "evt_parallel_1")
    barrier, answers = threading.Barrier(10, timeout=30), []

    def deliver():
        client = app.test_client()
        barrier.wait()
        answers.append(post_event(client, evt).status_code)

    threads = [threading.Thread(target=deliver) for _ in range(10)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert answers == [200] * 10
    with app.app_context():
        assert db.session.get(Booking, booking_id).status == "CONFIRMED"
        assert _count(BookingTransition, booking_id=booking_id, to_status="CONFIRMED") == 1
        assert _count(OutboxEmail, booking_id=booking_id, kind="confirmation") == 1
        assert _count(WebhookEvent, stripe_event_id="evt_parallel_1") == 1
        assert db.session.execute(select(WebhookEvent.deliveries).where(WebhookEvent.stripe_event_id == "evt_parallel_1")).scalar() == 10


def test_a_failed_event_after_success_changes_nothing(app_ctx, client):
    booking_id, reference, amount, pi = _paid_booking()
    assert post_event(client, _succeeded_event(pi, amount, reference)).status_code == 200
    failed = payment_intent_object(pi, "requires_payment_method", amount, reference)
    failed["last_payment_error"] = {"code": "card_declined", "decline_code": "generic_decline", "message": "declined"}
    assert post_event(client, event("payment_intent.payment_failed", failed)).status_code == 200
    db.session.expire_all()
    booking = db.session.get(Booking, booking_id)
    assert booking.status == "CONFIRMED" and booking.paid_attempt is not None
    assert _count(OutboxEmail, booking_id=booking_id, kind="payment_failed") == 0


def test_a_refund_that_arrives_before_the_success_still_ends_cancelled(app_ctx, client):
    booking_id, reference, amount, pi = _paid_booking()
    refund = gateway.create_refund(payment_intent_id=pi, amount=amount, idempotency_key="dash-1", reference=reference)
    assert post_event(client, event("charge.refunded", charge_object(pi, amount, amount))).status_code == 200
    assert post_event(client, _succeeded_event(pi, amount, reference)).status_code == 200
    db.session.expire_all()
    booking = db.session.get(Booking, booking_id)
    assert booking.status == "CANCELLED"
    rows = db.session.execute(select(Refund).where(Refund.booking_id == booking_id)).scalars().all()
    assert [(r.stripe_refund_id, r.amount, r.status) for r in rows] == [(refund.id, amount, "succeeded")]
    assert _count(OutboxEmail, booking_id=booking_id, kind="cancellation") == 1


def test_a_partial_dashboard_refund_is_recorded_without_cancelling(app_ctx, client):
    booking_id, reference, amount, pi = _paid_booking()
    payments.reconcile(pi)
    gateway.create_refund(payment_intent_id=pi, amount=2500, idempotency_key="dash-2", reference=reference)
    assert post_event(client, event("charge.refunded", charge_object(pi, amount, 2500))).status_code == 200
    db.session.expire_all()
    booking = db.session.get(Booking, booking_id)
    assert booking.status == "CONFIRMED" and [r.amount for r in booking.refunds] == [2500]


def test_forged_or_stale_signatures_are_400_and_write_nothing(app_ctx, client):
    booking_id, reference, amount, pi = _paid_booking()
    evt = _succeeded_event(pi, amount, reference, "evt_forged")
    payload, headers = signed(evt, secret="whsec_someone_else")
    assert client.post("/api/payments/webhook", data=payload, headers=headers).status_code == 400
    import time
    payload, headers = signed(evt, timestamp=int(time.time()) - 400)
    assert client.post("/api/payments/webhook", data=payload, headers=headers).status_code == 400
    payload, headers = signed(evt)
    tampered = payload.replace(b'"succeeded"', b'"succeeded" ', 1)
    assert client.post("/api/payments/webhook", data=tampered, headers=headers).status_code == 400
    assert client.post("/api/payments/webhook", data=payload).status_code == 400  # no signature at all
    assert _count(WebhookEvent) == 0
    assert db.session.get(Booking, booking_id).status == "PENDING_PAYMENT"


def test_a_signed_success_for_an_unpaid_intent_confirms_nothing(app_ctx, client):
    booking = pending_booking()
    started = payments.start_payment(booking.id)  # never paid
    evt = _succeeded_event(started.attempt.payment_intent_id, booking.total_amount, booking.reference)
    assert post_event(client, evt).status_code == 200
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == "PENDING_PAYMENT"
    assert _count(OutboxEmail, booking_id=booking.id, kind="confirmation") == 0


def test_database_trouble_answers_5xx_and_the_redelivery_confirms(app_ctx, client, monkeypatch):
    booking_id, reference, amount, pi = _paid_booking()
    evt = _succeeded_event(pi, amount, reference, "evt_retry_me")
    from checkout.payments import webhooks

    def database_down(*args, **kwargs):
        raise OperationalError("UPDATE bookings", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(webhooks, "reconcile", database_down)
    response = post_event(client, evt)
    assert response.status_code == 503 and "retry" in response.get_json()["error"]["message"]
    db.session.expire_all()
    assert db.session.get(Booking, booking_id).status == "PENDING_PAYMENT"
    monkeypatch.undo()
    assert post_event(client, evt).status_code == 200
    db.session.expire_all()
    assert db.session.get(Booking, booking_id).status == "CONFIRMED"
    row = db.session.execute(select(WebhookEvent).where(WebhookEvent.stripe_event_id == "evt_retry_me")).scalar_one()
    assert (row.status, row.deliveries) == ("processed", 2)


def test_unknown_and_foreign_events_are_acknowledged_and_ignored(app_ctx, client):
    assert post_event(client, event("customer.created", {"id": "cus_1", "object": "customer"})).get_json()["status"] == "ignored"
    foreign = payment_intent_object("pi_not_ours", "succeeded", 100, "FLY2A-XXXXXX")
    assert post_event(client, event("payment_intent.succeeded", foreign)).get_json()["status"] == "ignored"
    assert post_event(client, event("payment_intent.created", foreign)).status_code == 200


def test_return_url_and_webhook_racing_a_hundred_times_confirm_once_each(app):
    """The browser coming back and the webhook arriving at the same instant, 100 times."""
    for round_number in range(100):
        with app.app_context():
            booking_id, reference, amount, pi = _paid_booking()
            secret = gateway.retrieve_payment_intent(pi).client_secret  # Stripe puts it in the return URL
        evt = _succeeded_event(pi, amount, reference)
        barrier, answers = threading.Barrier(2, timeout=30), {}

        def browser():
            client = app.test_client()  # a bank's app: not the browser that booked, so the outcome page
            barrier.wait()
            answers["return"] = client.get(f"/payment/return?payment_intent={pi}&payment_intent_client_secret={secret}"
                                           "&redirect_status=succeeded").status_code

        def stripe_webhook():
            client = app.test_client()
            barrier.wait()
            answers["webhook"] = post_event(client, evt).status_code

        threads = [threading.Thread(target=browser), threading.Thread(target=stripe_webhook)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        assert answers == {"return": 200, "webhook": 200}, f"round {round_number}"
        with app.app_context():
            assert db.session.get(Booking, booking_id).status == "CONFIRMED"
            assert _count(BookingTransition, booking_id=booking_id, to_status="CONFIRMED") == 1, f"round {round_number}"
            assert _count(OutboxEmail, booking_id=booking_id, kind="confirmation") == 1, f"round {round_number}"


def _paying(checkout, app) -> tuple[str, str, int]:
    """A booking made in this browser, its payment page open: (reference, PaymentIntent id, amount)."""
    reference = checkout.to_pending()
    html = checkout.get(f"/booking/{reference}").get_data(as_text=True)
    pi = re.search(r'data-payment-intent="(pi_[^"]+)"', html).group(1)
    with app.app_context():
        amount = db.session.execute(select(Booking.total_amount).where(Booking.reference == reference)).scalar_one()
    return reference, pi, amount


def _state(app, reference) -> tuple[str, list[str], list[str], list[str]]:
    """What support sees: booking status, attempt statuses, emails queued, timeline titles."""
    from checkout.staff.bookings import booking_record
    with app.app_context():
        record = booking_record(reference)
        booking = record.booking
        return (booking.status, [a.status for a in booking.payment_attempts],
                [e.kind for e in record.emails], [entry.title for entry in record.timeline])


def test_a_canceled_intent_closes_its_attempt_and_the_traveller_pays_with_a_fresh_one(app, checkout):
    reference, pi, amount = _paying(checkout, app)
    with app.app_context():
        assert gateway.cancel_payment_intent(pi, idempotency_key=f"{reference}-test-cancel").status == "canceled"
    response = post_event(checkout.client, event("payment_intent.canceled",
                                                  payment_intent_object(pi, "canceled", amount, reference)))
    assert response.status_code == 200 and response.get_json()["status"] == "processed"
    status, attempts, emails, timeline = _state(app, reference)
    assert (status, attempts) == ("PENDING_PAYMENT", ["canceled"])
    assert emails == []  # a cancelled intent is not a declined card: no "payment failed" email
    assert "Payment attempt 1 canceled" in timeline and "Webhook payment_intent.canceled: processed" in timeline
    # Back on the payment page: a new PaymentIntent to pay with, no failure notice, no attempt used up.
    html = checkout.get(f"/booking/{reference}").get_data(as_text=True)
    new_pi = re.search(r'data-payment-intent="(pi_[^"]+)"', html).group(1)
    assert new_pi != pi and 'id="last-failure"' not in html and "attempts left" not in html
    assert _state(app, reference)[:2] == ("PENDING_PAYMENT", ["canceled", "created"])


def test_a_processing_intent_shows_the_processing_view_until_the_bank_settles(app, checkout, monkeypatch):
    """localstripe never reports "processing" (a bank debit does): its PaymentIntent, read back
    for real, is reported as processing, as Stripe would while the bank decides."""
    reference, pi, amount = _paying(checkout, app)
    real_retrieve = gateway.retrieve_payment_intent

    def bank_still_deciding(payment_intent_id):
        view = real_retrieve(payment_intent_id)
        return dataclasses.replace(view, status="processing") if payment_intent_id == pi else view

    monkeypatch.setattr(gateway, "retrieve_payment_intent", bank_still_deciding)
    response = post_event(checkout.client, event("payment_intent.processing",
                                                  payment_intent_object(pi, "processing", amount, reference)))
    assert response.status_code == 200 and response.get_json()["status"] == "processed"
    status, attempts, emails, timeline = _state(app, reference)
    assert (status, attempts, emails) == ("PENDING_PAYMENT", ["processing"], [])
    assert "Webhook payment_intent.processing: processed" in timeline
    html = checkout.get(f"/booking/{reference}").get_data(as_text=True)
    assert "Processing your payment" in html and "Please don't pay again" in html.replace("&#39;", "'")
    assert 'id="payment-form"' not in html and 'data-hx-trigger="every 2s"' in html
    # The bank says yes: the success event confirms the booking the traveller was waiting on.
    monkeypatch.undo()
    with app.app_context():
        pay_at_stripe(pi, "4242424242424242")
    assert post_event(checkout.client, _succeeded_event(pi, amount, reference)).status_code == 200
    assert _state(app, reference)[:3] == ("CONFIRMED", ["succeeded"], ["confirmation"])
    assert "Confirmed" in checkout.get(f"/booking/{reference}").get_data(as_text=True)
