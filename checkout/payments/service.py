"""Payment attempts and the one reconcile function.

"Prepare" moves no money: start_payment() creates (or reuses) one PaymentIntent per
attempt, for the amount pricing froze on the booking. Only Stripe moves money, and only
reconcile() decides what that means for the booking: the return URL, the webhook,
POST /api/payments/confirm and the sweeper all call it, as often and as concurrently
as they like.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from ..bookings.service import lock_booking
from ..clock import utcnow
from ..extensions import db
from ..models import AttemptStatus, Booking, BookingStatus, PaymentAttempt
from . import gateway
from .gateway import PaymentError

MAX_FAILED_ATTEMPTS = 5


class PaymentRefused(Exception):
    """The booking cannot be paid now; `status` is the HTTP status that says why."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class PaymentStart:
    attempt: PaymentAttempt
    client_secret: str


def failed_attempts(booking: Booking) -> int:
    return sum(1 for a in booking.payment_attempts if a.status == AttemptStatus.FAILED)


def can_retry(booking: Booking) -> bool:
    return failed_attempts(booking) < MAX_FAILED_ATTEMPTS


def open_attempt(booking: Booking) -> PaymentAttempt | None:
    return next((a for a in booking.payment_attempts if a.status in AttemptStatus.OPEN), None)


def last_failure(booking: Booking) -> PaymentAttempt | None:
    failed = [a for a in booking.payment_attempts if a.status == AttemptStatus.FAILED]
    return failed[-1] if failed else None


def check_payable(booking: Booking, now: datetime | None = None) -> None:
    now = now or utcnow()
    if booking.status == BookingStatus.CONFIRMED:
        raise PaymentRefused(409, "already_paid", "This booking is already paid and confirmed.")
    if booking.status == BookingStatus.EXPIRED or (
            booking.status == BookingStatus.PENDING_PAYMENT and booking.hold_expires_at <= now):
        raise PaymentRefused(409, "hold_expired", "The time to pay for this booking has run out, so nothing can be "
                                                  "charged. Please search again to book.")
    if booking.status != BookingStatus.PENDING_PAYMENT:
        raise PaymentRefused(409, "not_payable", "This booking cannot be paid.")
    if not can_retry(booking):
        raise PaymentRefused(409, "too_many_attempts", "Payment has failed 5 times, so we have stopped trying to "
                                                       "protect your card. Please contact support.")


def start_payment(booking_id: int, now: datetime | None = None) -> PaymentStart:
    """The PaymentIntent to pay this booking with: the open attempt's, or a new attempt's.

    Holds the booking row lock while creating, so two calls never create two intents for
    one attempt. The amount is the booking's frozen total, never the browser's.
    """
    now = now or utcnow()
    booking = lock_booking(booking_id)
    check_payable(booking, now)
    attempt = open_attempt(booking)
    if attempt is not None:
        intent = gateway.retrieve_payment_intent(attempt.payment_intent_id)
        if intent.status not in ("succeeded", "canceled"):
            db.session.commit()
            return PaymentStart(attempt, intent.client_secret)
        _apply(booking, attempt, intent, actor="payment start", now=now)
        db.session.commit()
        booking = lock_booking(booking_id)
        check_payable(booking, now)
    number = max((a.number for a in booking.payment_attempts), default=0) + 1
    intent = gateway.create_payment_intent(
        amount=booking.total_amount, currency=booking.currency, reference=booking.reference,
        attempt_number=number, idempotency_key=f"{booking.reference}-attempt-{number}-create",
    )
    attempt = PaymentAttempt(
        booking_id=booking.id, number=number, payment_intent_id=intent.id, status=AttemptStatus.CREATED,
        amount=intent.amount, currency=booking.currency, created_at=now, updated_at=now,
    )
    db.session.add(attempt)
    db.session.commit()
    return PaymentStart(attempt, intent.client_secret)


def attempt_for_intent(payment_intent_id: str) -> PaymentAttempt | None:
    return db.session.execute(
        select(PaymentAttempt).where(PaymentAttempt.payment_intent_id == payment_intent_id)
    ).scalar_one_or_none()


@dataclass
class Outcome:
    booking_status: str
    attempt_status: str
    message: str | None = None


def reconcile(payment_intent_id: str, actor: str = "reconcile", now: datetime | None = None) -> Outcome | None:
    """Bring our records in line with what Stripe says about this PaymentIntent.

    Locks the booking row, re-fetches the PaymentIntent (never trusting the caller's copy),
    checks amount, currency and reference, and applies the forward-only transition.
    Safe to call any number of times, concurrently: the second caller waits for the lock
    and then finds nothing left to do. Returns None for a PaymentIntent that is not ours.
    Raises gateway.GatewayUnavailable if Stripe cannot be asked (the caller retries later).
    """
    now = now or utcnow()
    attempt = attempt_for_intent(payment_intent_id)
    if attempt is None:
        return None
    intent = gateway.retrieve_payment_intent(payment_intent_id)
    booking = lock_booking(attempt.booking_id)
    db.session.refresh(attempt)
    outcome = _apply(booking, attempt, intent, actor=actor, now=now)
    db.session.commit()
    return outcome


def _apply(booking: Booking, attempt: PaymentAttempt, intent: gateway.PaymentIntentView, actor: str,
           now: datetime) -> Outcome:
    """The transition table. Caller holds the booking lock and commits."""
    from . import fulfilment
    if (intent.amount, intent.currency.upper(), intent.reference) != (attempt.amount, attempt.currency.upper(), booking.reference):
        current_app.logger.error("PaymentIntent %s does not match booking %s", intent.id, booking.reference)
        fulfilment.flag(booking, f"PaymentIntent {intent.id} amount/currency/reference mismatch", now)
        return Outcome(booking.status, attempt.status, "mismatch")
    if attempt.status == AttemptStatus.SUCCEEDED:
        return Outcome(booking.status, attempt.status)  # a success is final; nothing overwrites it
    attempt.updated_at = now
    if intent.card_last4:
        attempt.card_brand, attempt.card_last4 = intent.card_brand, intent.card_last4
    if intent.used_3ds:
        attempt.used_3ds = True  # once asked for, it stays asked for
    if intent.status == "succeeded":
        attempt.status = AttemptStatus.SUCCEEDED
        attempt.succeeded_at = now
        fulfilment.payment_succeeded(booking, attempt, actor, now)
    elif intent.status == "requires_action":
        attempt.status = AttemptStatus.REQUIRES_ACTION
        attempt.used_3ds = True
    elif intent.status == "processing":
        attempt.status = AttemptStatus.PROCESSING
    elif intent.status == "canceled":
        if attempt.status not in AttemptStatus.FINAL:
            attempt.status = AttemptStatus.CANCELED
    elif intent.status == "requires_payment_method" and (intent.failure_code or intent.failure_message):
        if attempt.status != AttemptStatus.FAILED:
            attempt.status = AttemptStatus.FAILED
            attempt.failure_code = intent.failure_decline_code or intent.failure_code
            attempt.failure_message = gateway.decline_message(intent.failure_code, intent.failure_decline_code)
            fulfilment.payment_failed(booking, attempt, now)
    return Outcome(booking.status, attempt.status)


def record_card_error(attempt_id: int, error: PaymentError, now: datetime | None = None) -> PaymentAttempt:
    """A decline seen before Stripe stored it on the PaymentIntent (offline card attach)."""
    from . import fulfilment
    now = now or utcnow()
    attempt = db.session.get(PaymentAttempt, attempt_id)
    booking = lock_booking(attempt.booking_id)
    db.session.refresh(attempt)
    if attempt.status in AttemptStatus.OPEN:
        attempt.status = AttemptStatus.FAILED
        attempt.failure_code = error.decline_code or error.code
        attempt.failure_message = error.message
        attempt.updated_at = now
        fulfilment.payment_failed(booking, attempt, now)
    db.session.commit()
    return attempt
