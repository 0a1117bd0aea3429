""""Payment not completed" goes out when the failure is final (issue 11 #8): the last allowed
attempt failed, or the hold lapsed unpaid after a failure. Never while the traveller may still
be retrying on the page: two such emails used to arrive seconds before the confirmation."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from checkout.extensions import db
from checkout.models import Booking, BookingStatus, OutboxEmail
from checkout.payments import gateway
from checkout.payments import service as payments
from checkout.payments.sweeper import sweep
from tests.payments_support import pay_at_stripe, pending_booking

DECLINED = "4000000000000002"
SUCCEEDS = "4242424242424242"


def not_completed_emails(booking_id: int) -> int:
    return db.session.execute(select(func.count()).select_from(OutboxEmail).where(
        OutboxEmail.booking_id == booking_id, OutboxEmail.kind == "payment_failed")).scalar()


def decline(booking_id: int) -> None:
    started = payments.start_payment(booking_id)
    with pytest.raises(gateway.CardDeclined):
        pay_at_stripe(started.attempt.payment_intent_id, DECLINED)
    assert payments.reconcile(started.attempt.payment_intent_id).attempt_status == "failed"


def let_the_hold_lapse(booking_id: int) -> None:
    """The sweeper runs a second after the hold ends; the booking is then EXPIRED."""
    sweep(now=db.session.get(Booking, booking_id).hold_expires_at + timedelta(seconds=1))
    db.session.expire_all()
    assert db.session.get(Booking, booking_id).status == BookingStatus.EXPIRED


def test_a_decline_then_a_success_sends_no_failure_email(app_ctx):
    booking = pending_booking()
    decline(booking.id)
    assert not_completed_emails(booking.id) == 0
    started = payments.start_payment(booking.id)
    pay_at_stripe(started.attempt.payment_intent_id, SUCCEEDS)
    assert payments.reconcile(started.attempt.payment_intent_id).booking_status == BookingStatus.CONFIRMED
    assert not_completed_emails(booking.id) == 0


def test_the_last_allowed_decline_sends_one_email_and_the_expiry_after_it_no_second(app_ctx):
    booking = pending_booking()
    for _ in range(payments.MAX_FAILED_ATTEMPTS - 1):
        decline(booking.id)
    assert not_completed_emails(booking.id) == 0
    decline(booking.id)
    assert not_completed_emails(booking.id) == 1
    let_the_hold_lapse(booking.id)
    assert not_completed_emails(booking.id) == 1


def test_a_hold_that_lapses_unpaid_after_a_decline_sends_one_email(app_ctx):
    booking = pending_booking()
    decline(booking.id)
    assert not_completed_emails(booking.id) == 0
    let_the_hold_lapse(booking.id)
    assert not_completed_emails(booking.id) == 1


def test_a_hold_that_lapses_with_no_payment_tried_sends_nothing(app_ctx):
    booking = pending_booking()
    let_the_hold_lapse(booking.id)
    assert not_completed_emails(booking.id) == 0
