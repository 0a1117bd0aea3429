"""Refunds on PostgreSQL and a real localstripe (issue 16 #11): a payment for an amount
changed at Stripe goes back once, in full; every refund is recorded under the booking lock
but asked of Stripe with no lock held; concurrent refunds never give back more than was
paid; a refund Stripe never answered is asked again by the sweeper with the same key."""
import threading
import time
import uuid
from datetime import timedelta

import psycopg
from flask import current_app
import pytest
from sqlalchemy import func, select

from checkout.bookings.service import BookingError
from checkout.clock import utcnow
from checkout.extensions import db
from checkout.models import Booking, OutboxEmail, Refund
from checkout.payments import booking_changes, gateway
from checkout.payments import service as payments
from checkout.payments.sweeper import sweep
from checkout.staff import refunds
from checkout.staff.actions import ActionRefused
from tests.payments_support import event, pay_at_stripe, payment_intent_object, pending_booking, post_event
from tests.staff_support import free_standard_seat, paid_booking, seat_line


def _emails(booking_id, kind):
    return db.session.execute(select(OutboxEmail).where(OutboxEmail.booking_id == booking_id,
                                                        OutboxEmail.kind == kind)).scalars().all()


def _stripe_refunds(payment_intent_id) -> list[int]:
    return sorted(r.amount for r in gateway.list_refunds(payment_intent_id))


# -- (d) a PaymentIntent whose amount was changed at Stripe, then paid ------------------

def test_a_payment_for_an_amount_changed_at_stripe_is_refunded_once_in_full_and_both_are_told(app_ctx, client):
    booking = pending_booking()
    booking_id, reference, price = booking.id, booking.reference, booking.total_amount
    pi = payments.start_payment(booking_id).attempt.payment_intent_id
    charged = price // 2 + 1  # someone with our secret key lowered it at Stripe
    gateway.client().v1.payment_intents.update(pi, params={"amount": charged})
    assert pay_at_stripe(pi, "4242424242424242").status == "succeeded"
    paid = payment_intent_object(pi, "succeeded", charged, reference)
    # Stripe's delivery, its retry of the same event, and a second event about the payment:
    # each one reconciles (the last two after the first has committed its refund).
    first = event("payment_intent.succeeded", paid)
    for evt in (first, first, event("payment_intent.succeeded", paid)):
        assert post_event(client, evt).status_code == 200
    payments.reconcile(pi, actor="return url")
    sweep(now=utcnow() + payments.claim_patience() + timedelta(seconds=1))  # nothing left for it to send again

    assert _stripe_refunds(pi) == [charged]  # once, all of what was charged (not the booking's price)
    db.session.expire_all()
    booking = db.session.get(Booking, booking_id)
    [refund] = booking.refunds
    assert (refund.amount, refund.status, refund.idempotency_key) == (charged, "succeeded", f"{pi}-mismatch-refund")
    assert booking.status == "PENDING_PAYMENT" and booking.confirmed_at is None and booking.paid_attempt is None
    assert "refunded in full, not confirmed" in booking.attention_reason
    [told] = _emails(booking_id, "payment_refunded")
    assert told.to_address == booking.contact_email
    assert told.subject == f"Your payment for booking {reference} has been refunded"
    [ops] = _emails(booking_id, "ops_alert")
    assert ops.to_address == current_app.config["OPS_EMAIL"] and f"PaymentIntent {pi} was paid {charged} USD" in ops.body
    assert _emails(booking_id, "confirmation") == []
    # What the traveller reads: what happened, that nothing is kept, what to do next.
    from checkout.notifications.sender import render_body
    body, _ = render_body(told, utcnow())
    assert "not for the amount this booking" in body and "We have refunded all of it and kept nothing" in body
    assert "It is not confirmed" in body and "you can pay the booking's own price" in body
    # ... and may: the next attempt is a new PaymentIntent for the booking's own price.
    again = payments.start_payment(booking_id)
    assert again.attempt.payment_intent_id != pi and again.attempt.number == 2
    assert gateway.retrieve_payment_intent(again.attempt.payment_intent_id).amount == price


# -- (e) no lock while Stripe refunds ----------------------------------------------------

def _lock_nowait(app, booking_id) -> str:
    """From another connection: take the booking row's lock without waiting. "locked" or the error."""
    url = app.config["SQLALCHEMY_DATABASE_URI"].replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, autocommit=False) as conn:
        conn.execute("SET lock_timeout = '1s'")
        try:
            conn.execute("SELECT id FROM bookings WHERE id = %s FOR UPDATE NOWAIT", (booking_id,))
        except psycopg.errors.LockNotAvailable as err:
            return f"refused: {err}"
        conn.rollback()
    return "locked"


def _staff_refund(booking_id):
    booking = db.session.get(Booking, booking_id)
    quote = refunds.quote_refund(booking, [seat_line(booking).id], full=False)
    return refunds.confirm_refund(booking_id, [seat_line(booking).id], False, quote.amount, quote.key, "sup@fly2any.test")


def _cancellation(booking_id):
    return booking_changes.cancel_booking(booking_id, "traveller")


def _mismatch_refund(booking_id):
    booking = db.session.get(Booking, booking_id)
    pi = booking.payment_attempts[-1].payment_intent_id
    return payments.reconcile(pi, actor="webhook")


@pytest.mark.parametrize("make_refund", [_staff_refund, _cancellation, _mismatch_refund])
def test_stripe_is_asked_for_the_refund_with_no_row_lock_held(app, monkeypatch, make_refund):
    with app.app_context():
        if make_refund is _mismatch_refund:
            booking = pending_booking()
            pi = payments.start_payment(booking.id).attempt.payment_intent_id
            gateway.client().v1.payment_intents.update(pi, params={"amount": 5000})
            pay_at_stripe(pi, "4242424242424242")
        else:
            booking = paid_booking(seat=free_standard_seat())
        booking_id = booking.id
    in_flight, answer = threading.Event(), threading.Event()
    real, outcome = gateway.create_refund, []

    def slow_stripe(**kwargs):
        in_flight.set()
        assert answer.wait(20)
        return real(**kwargs)

    monkeypatch.setattr(gateway, "create_refund", slow_stripe)

    def run():
        with app.app_context():
            outcome.append(make_refund(booking_id))

    worker = threading.Thread(target=run)
    worker.start()
    try:
        assert in_flight.wait(20)
        seen = _lock_nowait(app, booking_id)  # while Stripe is still answering
    finally:
        answer.set()
        worker.join(30)
    assert seen == "locked" and outcome
    with app.app_context():
        [refund] = db.session.get(Booking, booking_id).refunds
        assert refund.status == "succeeded" and refund.stripe_refund_id


# -- (e) concurrent refunds never exceed what was paid ----------------------------------

ROUNDS, THREADS = 10, 8


def test_concurrent_refunds_and_cancellations_never_give_back_more_than_was_paid(app, monkeypatch):
    real = gateway.create_refund

    def slowish_stripe(**kwargs):  # keeps calls in flight while others reserve
        time.sleep(0.05)
        return real(**kwargs)

    monkeypatch.setattr(gateway, "create_refund", slowish_stripe)
    for _ in range(ROUNDS):
        with app.app_context():
            booking = paid_booking(seat=free_standard_seat())
            booking_id, paid, pi = booking.id, booking.paid_attempt.amount, booking.paid_attempt.payment_intent_id
            line = seat_line(booking)
            full_quote = refunds.quote_refund(booking, [], full=True)
        barrier, unexpected = threading.Barrier(THREADS, timeout=30), []

        def one(n):
            with app.app_context():
                try:
                    barrier.wait()
                    if n % 4 == 0:
                        booking_changes.cancel_booking(booking_id, f"traveller {n}")
                    elif n % 4 == 1:  # the same line, each with its own quote
                        refunds.confirm_refund(booking_id, [line.id], False, line.amount, uuid.uuid4().hex, f"s{n}")
                    else:  # everything, as quoted before any of them ran
                        refunds.confirm_refund(booking_id, [], True, full_quote.amount, uuid.uuid4().hex, f"s{n}")
                except (ActionRefused, BookingError):
                    db.session.rollback()
                except Exception as err:  # noqa: BLE001
                    unexpected.append(repr(err))

        threads = [threading.Thread(target=one, args=(n,)) for n in range(THREADS)]
        [t.start() for t in threads]
        [t.join(60) for t in threads]
        assert unexpected == []
        with app.app_context():
            given_back = _stripe_refunds(pi)
            rows = db.session.execute(select(Refund).where(Refund.booking_id == booking_id)).scalars().all()
            assert sum(given_back) <= paid
            assert sorted(r.amount for r in rows if r.status != "failed") == given_back
            assert all(r.stripe_refund_id for r in rows)
            assert db.session.execute(select(func.count()).select_from(OutboxEmail).where(
                OutboxEmail.booking_id == booking_id, OutboxEmail.kind == "cancellation")).scalar() <= 1


# -- (e) a refund Stripe never answered ---------------------------------------------------

def test_a_refund_stripe_did_not_answer_is_sent_again_by_the_sweeper_with_the_same_key(app_ctx, monkeypatch):
    booking = paid_booking(seat=free_standard_seat())
    booking_id, pi, paid = booking.id, booking.paid_attempt.payment_intent_id, booking.paid_attempt.amount
    quote = refunds.quote_refund(booking, [], full=True)
    keys, real = [], gateway.create_refund

    def times_out(**kwargs):
        keys.append(kwargs["idempotency_key"])
        raise gateway.GatewayUnavailable(gateway.UNREACHABLE_MESSAGE, "gateway_unavailable")

    monkeypatch.setattr(gateway, "create_refund", times_out)
    done = refunds.confirm_refund(booking_id, [], True, quote.amount, quote.key, "sup@fly2any.test")
    assert done.waiting and not done.cancelled
    db.session.expire_all()
    booking = db.session.get(Booking, booking_id)
    [refund] = booking.refunds
    assert (refund.status, refund.stripe_refund_id, refund.amount) == ("pending", None, paid)
    assert booking.status == "CONFIRMED"  # not before Stripe has made it
    # The amount stays reserved: nothing more can be refunded meanwhile.
    with pytest.raises(ActionRefused, match="already been refunded"):
        refunds.quote_refund(booking, [], full=True)
    db.session.rollback()
    sweep(now=utcnow())  # too soon: its sender might still be waiting for Stripe
    assert keys == [f"staff-{quote.key}"] and _stripe_refunds(pi) == []

    def answers(**kwargs):
        keys.append(kwargs["idempotency_key"])
        return real(**kwargs)

    monkeypatch.setattr(gateway, "create_refund", answers)
    report = sweep(now=utcnow() + payments.claim_patience() + timedelta(seconds=1))
    assert report.refunds_resent == [refund.id]
    sweep(now=utcnow() + payments.claim_patience() + timedelta(seconds=1))  # and only once
    assert keys == [f"staff-{quote.key}"] * 2 and _stripe_refunds(pi) == [paid]
    db.session.expire_all()
    booking = db.session.get(Booking, booking_id)
    assert booking.refunds[0].status == "succeeded" and booking.status == "CANCELLED"
    assert len(_emails(booking_id, "cancellation")) == 1


def test_a_cancellation_whose_refund_was_not_answered_is_cancelled_and_refunded_by_the_sweeper(app_ctx, monkeypatch):
    booking = paid_booking(seat=free_standard_seat())
    booking_id, pi = booking.id, booking.paid_attempt.payment_intent_id
    real = gateway.create_refund

    def times_out(**kwargs):
        raise gateway.GatewayUnavailable(gateway.UNREACHABLE_MESSAGE, "gateway_unavailable")

    monkeypatch.setattr(gateway, "create_refund", times_out)
    booking, refunded = booking_changes.cancel_booking(booking_id, "traveller")
    assert booking.status == "CANCELLED" and refunded > 0 and _stripe_refunds(pi) == []
    monkeypatch.setattr(gateway, "create_refund", real)
    sweep(now=utcnow() + payments.claim_patience() + timedelta(seconds=1))
    assert _stripe_refunds(pi) == [refunded]
    db.session.expire_all()
    assert [r.status for r in db.session.get(Booking, booking_id).refunds] == ["succeeded"]


def test_a_refund_made_whose_answer_was_lost_is_recognised_from_stripes_list_and_not_sent_again(app_ctx, monkeypatch):
    """Stripe made the refund but its answer never reached us; Stripe's charge.refunded then
    lists it. It is our pending row (its key is in the refund's metadata), not a second refund
    "made in Stripe", and the sweeper has nothing left to send."""
    booking = paid_booking(seat=free_standard_seat())
    booking_id, pi = booking.id, booking.paid_attempt.payment_intent_id
    line = seat_line(booking)
    real = gateway.create_refund

    def answer_lost(**kwargs):
        real(**kwargs)
        raise gateway.GatewayUnavailable(gateway.UNREACHABLE_MESSAGE, "gateway_unavailable")

    monkeypatch.setattr(gateway, "create_refund", answer_lost)
    quote = refunds.quote_refund(booking, [line.id], full=False)
    assert refunds.confirm_refund(booking_id, [line.id], False, quote.amount, quote.key, "sup@fly2any.test").waiting
    monkeypatch.setattr(gateway, "create_refund", real)
    payments.reconcile(pi, actor="webhook charge.refunded", refunds=True)
    sweep(now=utcnow() + payments.claim_patience() + timedelta(seconds=1))
    assert _stripe_refunds(pi) == [line.amount]
    db.session.expire_all()
    [refund] = db.session.get(Booking, booking_id).refunds
    assert refund.status == "succeeded" and refund.stripe_refund_id and refund.idempotency_key == f"staff-{quote.key}"
