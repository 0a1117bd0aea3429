"""Payments against a real localstripe process: create, reuse, confirm, 3-D Secure,
decline, refund, expiry and late payment. Our records follow Stripe, exactly once."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from checkout.bookings import seat_holds
from checkout.clock import utcnow
from checkout.extensions import db
from checkout.models import (BookingStatus, BookingTransition, OutboxEmail, Refund, SeatHold)
from checkout.payments import fulfilment, gateway
from checkout.payments import service as payments
from checkout.payments.sweeper import sweep
from tests.payments_support import authenticate, bookable_flight, pay_at_stripe, pending_booking
from tests.seats_support import free_seat


def emails(booking, kind):
    return db.session.execute(select(func.count()).select_from(OutboxEmail).where(
        OutboxEmail.booking_id == booking.id, OutboxEmail.kind == kind)).scalar()


def confirmations(booking):
    return db.session.execute(select(func.count()).select_from(BookingTransition).where(
        BookingTransition.booking_id == booking.id, BookingTransition.to_status == "CONFIRMED")).scalar()


def test_one_payment_intent_per_attempt_for_the_frozen_total(app_ctx):
    booking = pending_booking()
    first = payments.start_payment(booking.id)
    again = payments.start_payment(booking.id)
    assert again.attempt.payment_intent_id == first.attempt.payment_intent_id
    assert again.client_secret == first.client_secret
    intent = gateway.retrieve_payment_intent(first.attempt.payment_intent_id)
    assert (intent.amount, intent.currency, intent.reference) == (booking.total_amount, "usd", booking.reference)


def test_a_successful_card_confirms_once_with_brand_and_last4(app_ctx):
    seat = free_seat(bookable_flight("FA200"))
    booking = pending_booking(number="FA200", seat=seat)
    started = payments.start_payment(booking.id)
    assert pay_at_stripe(started.attempt.payment_intent_id, "4242424242424242").status == "succeeded"
    outcome = payments.reconcile(started.attempt.payment_intent_id)
    assert (outcome.booking_status, outcome.attempt_status) == ("CONFIRMED", "succeeded")
    for _ in range(3):  # any number of further calls change nothing
        payments.reconcile(started.attempt.payment_intent_id)
    db.session.refresh(booking)
    attempt = booking.paid_attempt
    assert (attempt.card_brand, attempt.card_last4) == ("visa", "4242")
    assert confirmations(booking) == 1 and emails(booking, "confirmation") == 1
    hold = db.session.execute(select(SeatHold).where(SeatHold.booking_id == booking.id)).scalar_one()
    assert hold.seat_code == seat and hold.expires_at is None  # sold
    with pytest.raises(payments.PaymentRefused, match="already paid"):
        payments.start_payment(booking.id)


def test_three_d_secure_completed_confirms(app_ctx):
    booking = pending_booking()
    started = payments.start_payment(booking.id)
    assert pay_at_stripe(started.attempt.payment_intent_id, "4000002760003184").status == "requires_action"
    assert payments.reconcile(started.attempt.payment_intent_id).attempt_status == "requires_action"
    authenticate(started.attempt.payment_intent_id, started.client_secret, success=True)
    assert payments.reconcile(started.attempt.payment_intent_id).booking_status == "CONFIRMED"
    db.session.refresh(booking)
    assert booking.paid_attempt.used_3ds


def test_three_d_secure_failed_then_another_card_works(app_ctx):
    booking = pending_booking()
    first = payments.start_payment(booking.id)
    pay_at_stripe(first.attempt.payment_intent_id, "4000002760003184")
    authenticate(first.attempt.payment_intent_id, first.client_secret, success=False)
    outcome = payments.reconcile(first.attempt.payment_intent_id)  # no event is sent for this: we must ask
    assert (outcome.booking_status, outcome.attempt_status) == ("PENDING_PAYMENT", "failed")
    db.session.refresh(first.attempt)
    assert "authenticate" in first.attempt.failure_message
    assert emails(booking, "payment_failed") == 0  # the traveller may still retry: told when final
    second = payments.start_payment(booking.id)
    assert second.attempt.number == 2 and second.attempt.payment_intent_id != first.attempt.payment_intent_id
    pay_at_stripe(second.attempt.payment_intent_id, "4242424242424242")
    assert payments.reconcile(second.attempt.payment_intent_id).booking_status == "CONFIRMED"


@pytest.mark.parametrize("card,code,words", [
    ("4000000000000002", "generic_decline", "declined"),
    ("4000000000009995", "insufficient_funds", "insufficient funds"),
    ("4000000000000341", "generic_decline", "declined"),  # attaches fine, declines when charged
])
def test_declines_fail_the_attempt_with_what_to_do_and_allow_a_retry(app_ctx, card, code, words):
    booking = pending_booking()
    started = payments.start_payment(booking.id)
    with pytest.raises(gateway.CardDeclined) as declined:
        pay_at_stripe(started.attempt.payment_intent_id, card)
    assert words in declined.value.message.lower()
    outcome = payments.reconcile(started.attempt.payment_intent_id)
    assert (outcome.booking_status, outcome.attempt_status) == ("PENDING_PAYMENT", "failed")
    db.session.refresh(started.attempt)
    assert started.attempt.failure_code == code
    assert emails(booking, "payment_failed") == 0  # the traveller may still retry: told when final
    assert payments.can_retry(booking)


def test_a_failure_never_overwrites_a_success(app_ctx):
    booking = pending_booking()
    started = payments.start_payment(booking.id)
    pay_at_stripe(started.attempt.payment_intent_id, "4242424242424242")
    payments.reconcile(started.attempt.payment_intent_id)
    from checkout.payments.gateway import CardDeclined
    payments.record_card_error(started.attempt.id, CardDeclined("declined", "card_declined"))
    db.session.refresh(started.attempt)
    assert started.attempt.status == "succeeded"


def test_payment_stops_after_five_failed_attempts(app_ctx):
    booking = pending_booking()
    for _ in range(5):
        started = payments.start_payment(booking.id)
        with pytest.raises(gateway.CardDeclined):
            pay_at_stripe(started.attempt.payment_intent_id, "4000000000000002")
        payments.reconcile(started.attempt.payment_intent_id)
    with pytest.raises(payments.PaymentRefused) as refused:
        payments.start_payment(booking.id)
    assert refused.value.code == "too_many_attempts" and "contact support" in refused.value.message


def test_refunds_partial_and_never_more_than_paid(app_ctx):
    booking = pending_booking()
    started = payments.start_payment(booking.id)
    pay_at_stripe(started.attempt.payment_intent_id, "4242424242424242")
    payments.reconcile(started.attempt.payment_intent_id)
    db.session.refresh(booking)
    attempt, now = booking.paid_attempt, utcnow()
    fulfilment.reserve_refund(booking, attempt, 1000, "seat fee", "test", now, idempotency_key="t-1")
    [part] = fulfilment.send_refunds("test")
    assert part.status == "succeeded" and part.stripe_refund_id.startswith("re_")
    again = fulfilment.reserve_refund(booking, attempt, 1000, "seat fee", "test", now, idempotency_key="t-1")
    assert again.id == part.id and fulfilment.send_refunds("test") == []  # same key, same refund: no double refund
    assert fulfilment.reserve_refund(booking, attempt, booking.total_amount, "too much", "test", now, "t-2") is None
    db.session.commit()
    refunds = gateway.list_refunds(attempt.payment_intent_id)
    assert [r.amount for r in refunds] == [1000]


def test_expiry_cancels_the_intent_and_frees_the_seats(app_ctx):
    seat = free_seat(bookable_flight("FA200"))
    booking = pending_booking(number="FA200", seat=seat)
    started = payments.start_payment(booking.id)
    report = sweep(now=booking.hold_expires_at + timedelta(seconds=1))
    assert booking.reference in report.expired
    db.session.refresh(booking)
    assert booking.status == BookingStatus.EXPIRED
    assert gateway.retrieve_payment_intent(started.attempt.payment_intent_id).status == "canceled"
    assert seat not in seat_holds.unavailable_seats(booking.flight_id, None, utcnow())
    with pytest.raises(payments.PaymentRefused, match="run out"):
        payments.start_payment(booking.id)


def test_payment_that_beat_the_sweeper_confirms_instead_of_expiring(app_ctx):
    booking = pending_booking()
    started = payments.start_payment(booking.id)
    pay_at_stripe(started.attempt.payment_intent_id, "4242424242424242")  # the webhook was lost
    sweep(now=booking.hold_expires_at + timedelta(seconds=1))
    db.session.refresh(booking)
    assert booking.status == BookingStatus.CONFIRMED and emails(booking, "confirmation") == 1


def _expire_without_cancelling(booking):
    """The hold lapses while the traveller is still on Stripe's 3-D Secure page."""
    from checkout.bookings import states
    states.transition(booking, BookingStatus.EXPIRED, "test")
    seat_holds.release(booking.id)
    db.session.commit()


def test_late_payment_retakes_free_seats_and_confirms(app_ctx):
    seat = free_seat(bookable_flight("FA200"))
    booking = pending_booking(number="FA200", seat=seat)
    started = payments.start_payment(booking.id)
    pay_at_stripe(started.attempt.payment_intent_id, "4000002760003184")
    _expire_without_cancelling(booking)
    authenticate(started.attempt.payment_intent_id, started.client_secret, success=True)
    assert payments.reconcile(started.attempt.payment_intent_id).booking_status == "CONFIRMED"
    hold = db.session.execute(select(SeatHold).where(SeatHold.seat_code == seat, SeatHold.flight_id == booking.flight_id)).scalar_one()
    assert hold.booking_id == booking.id and hold.expires_at is None


def test_late_payment_for_seats_now_taken_is_refunded_and_flagged(app_ctx):
    from checkout.bookings import service
    from checkout.catalog.search import Party
    seat = free_seat(bookable_flight("FA200"))
    booking = pending_booking(number="FA200", seat=seat)
    started = payments.start_payment(booking.id)
    pay_at_stripe(started.attempt.payment_intent_id, "4000002760003184")
    _expire_without_cancelling(booking)
    rival = service.create_draft(booking.flight, Party(1))
    service.choose_seat(rival, 0, seat)
    authenticate(started.attempt.payment_intent_id, started.client_secret, success=True)
    outcome = payments.reconcile(started.attempt.payment_intent_id)
    assert outcome.booking_status == "CANCELLED"
    db.session.refresh(booking)
    assert "Late payment refunded" in booking.attention_reason
    refund = db.session.execute(select(Refund).where(Refund.booking_id == booking.id)).scalar_one()
    assert refund.amount == booking.total_amount and refund.status == "succeeded"
    assert [r.amount for r in gateway.list_refunds(started.attempt.payment_intent_id)] == [booking.total_amount]
    assert emails(booking, "cancellation") == 1
    ops = db.session.execute(select(OutboxEmail).where(OutboxEmail.kind == "ops_alert")).scalars().all()
    assert any(booking.reference in o.subject for o in ops)
