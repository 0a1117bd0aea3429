"""Payment attempts and the one reconcile function.

"Prepare" moves no money: start_payment() creates (or reuses) one PaymentIntent per
attempt, for the amount pricing froze on the booking. Only Stripe moves money, and only
reconcile() decides what that means for the booking: the return URL, the webhook,
POST /api/payments/confirm and the sweeper all call it, as often and as concurrently
as they like.

Stripe is never called while the booking row is locked: a slow answer would hold up the
webhook and the return URL behind it. Refunds too: a transition that must give money back
records the refund under the lock, and fulfilment.send_refunds asks Stripe after the commit. Each function reads what it needs, lets go, asks
Stripe, then locks again to record the answer, and recording is idempotent.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from ..bookings.service import lock_booking
from ..clock import utcnow
from ..extensions import db
from ..models import AttemptStatus, Booking, BookingStatus, PaymentAttempt
from . import fulfilment, gateway
from .fulfilment import MAX_FAILED_ATTEMPTS, failed_attempts
from .gateway import PaymentError

# How often a caller that finds the next attempt claimed by another looks again.
CLAIM_POLL_SECONDS = 0.05
# Rounds of "ask Stripe, record the answer" one start_payment makes before giving up
# (each round settles an attempt for good, so a normal start needs at most two).
MAX_ROUNDS = 6


class PaymentRefused(Exception):
    """The booking cannot be paid now; `status` is the HTTP status that says why."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class PaymentStart:
    attempt: PaymentAttempt
    client_secret: str


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
    """The PaymentIntent to pay this booking with: the open attempt's while Stripe can still
    take it, otherwise a new attempt's. The amount is the booking's frozen total.

    An open intent that Stripe has declined (or that succeeded or was cancelled meanwhile) is
    recorded first, so its failure counts and is told. A new attempt closes every earlier
    intent at Stripe before its own is made: an old tab cannot pay a stale one.

    No lock is held while Stripe is asked. The attempt number is claimed under the booking
    lock and committed (a row without a PaymentIntent), then Stripe creates the intent with
    the key `<reference>-attempt-<n>-create`, then the id is recorded under the lock again.
    A caller that finds the attempt claimed waits for that answer instead of asking for a
    second intent: localstripe ignores idempotency keys, so our rows keep it at one. A claim
    whose maker never came back (a crashed worker) is taken over after claim_patience().

    While a traveller waits, it first takes one of the process's Stripe slots (the
    bulkhead, gateway.stripe_slot): with none free it raises GatewayBusy at once, before
    claiming anything, so a refusal costs no write and no wait.
    """
    with gateway.stripe_slot("payment start"):
        return _start_payment(booking_id, now)


def _start_payment(booking_id: int, now: datetime | None) -> PaymentStart:
    now = now or utcnow()
    rounds = 0
    while rounds < MAX_ROUNDS:
        booking = lock_booking(booking_id)
        check_payable(booking, now)
        attempt = open_attempt(booking)
        if attempt is None:
            attempt = _claim_next_attempt(booking, now)
        elif attempt.payment_intent_id is None:
            if attempt.updated_at > utcnow() - claim_patience():
                db.session.commit()  # another caller is asking Stripe for it: let it finish
                time.sleep(CLAIM_POLL_SECONDS)
                continue
            attempt.updated_at = utcnow()  # its maker never came back: carry on in its place
            db.session.commit()
        else:
            rounds += 1
            payment_intent_id, attempt_id = attempt.payment_intent_id, attempt.id
            db.session.commit()
            intent = gateway.retrieve_payment_intent(payment_intent_id)
            if not _settled(intent):
                return PaymentStart(db.session.get(PaymentAttempt, attempt_id), intent.client_secret)
            _record(booking_id, attempt_id, intent, actor="payment start", now=now)
            continue
        rounds += 1
        started = _create_intent(booking_id, attempt.id, now)
        if started is not None:
            return started
    raise PaymentRefused(409, "payment_unavailable", "We couldn't set up the payment for this booking. "
                                                     "Nothing was charged. Please contact support.")


def claim_patience() -> timedelta:
    """How long a claimed attempt may wait for its PaymentIntent before another caller
    takes it over: its maker's Stripe call ends (answered, retried or timed out) well before."""
    timeout = float(current_app.config.get("STRIPE_TIMEOUT_SECONDS") or 10)
    return timedelta(seconds=2 * timeout * (gateway.network_retries() + 1) + 1)


def _settled(intent: gateway.PaymentIntentView) -> bool:
    """Stripe is done with this PaymentIntent for our purposes: paid, cancelled, or declined."""
    declined = intent.status == "requires_payment_method" and bool(intent.failure_code or intent.failure_message)
    return intent.status in ("succeeded", "canceled") or declined


def _claim_next_attempt(booking: Booking, now: datetime) -> PaymentAttempt:
    """Take the next attempt number (caller holds the lock); committed, so the lock goes."""
    number = max((a.number for a in booking.payment_attempts), default=0) + 1
    attempt = PaymentAttempt(booking_id=booking.id, number=number, payment_intent_id=None,
                             status=AttemptStatus.CREATED, amount=booking.total_amount, currency=booking.currency,
                             created_at=now, updated_at=utcnow())  # the wall clock: claim_patience() reads it
    db.session.add(attempt)
    db.session.commit()
    return attempt


def _create_intent(booking_id: int, attempt_id: int, now: datetime) -> PaymentStart | None:
    """Make the claimed attempt's PaymentIntent and record it. None if another caller or a
    cancellation got there first (the caller looks again)."""
    booking = db.session.get(Booking, booking_id)
    attempt = db.session.get(PaymentAttempt, attempt_id)
    reference, number, amount, currency = booking.reference, attempt.number, attempt.amount, attempt.currency
    earlier = [(a.id, a.payment_intent_id, a.number) for a in booking.payment_attempts
               if a.id != attempt_id and a.payment_intent_id and a.status not in (AttemptStatus.SUCCEEDED,
                                                                                   AttemptStatus.CANCELED)]
    db.session.commit()
    try:
        if earlier:
            # A declined PaymentIntent still takes another card at Stripe: close them all first.
            answers = {attempt_id_: gateway.cancel_payment_intent(pi, idempotency_key=f"{reference}-attempt-{n}-cancel")
                       for attempt_id_, pi, n in earlier}
            booking = lock_booking(booking_id)
            for old in booking.payment_attempts:
                if old.id in answers:
                    _apply(booking, old, answers[old.id], actor="payment start", now=now)
            attempt = db.session.get(PaymentAttempt, attempt_id)
            if attempt is None or booking.status != BookingStatus.PENDING_PAYMENT:
                _give_up_claim(attempt)  # an old intent had been paid: nothing new is needed
                db.session.commit()
                fulfilment.send_refunds("payment start")
                return None
            attempt.updated_at = utcnow()  # still at work on this claim
            db.session.commit()
            fulfilment.send_refunds("payment start")
        intent = gateway.create_payment_intent(amount=amount, currency=currency, reference=reference,
                                               attempt_number=number,
                                               idempotency_key=f"{reference}-attempt-{number}-create")
    except PaymentError:
        _release_claim(booking_id, attempt_id)
        raise
    booking = lock_booking(booking_id)
    attempt = db.session.get(PaymentAttempt, attempt_id)
    if attempt is not None:
        db.session.refresh(attempt)
    if attempt is not None and attempt.payment_intent_id == intent.id:  # real Stripe: same key, same intent
        db.session.commit()
        return PaymentStart(attempt, intent.client_secret)
    if (attempt is not None and attempt.payment_intent_id is None and attempt.status == AttemptStatus.CREATED
            and booking.status == BookingStatus.PENDING_PAYMENT):
        attempt.payment_intent_id, attempt.amount, attempt.updated_at = intent.id, intent.amount, now
        db.session.commit()
        return PaymentStart(attempt, intent.client_secret)
    # Somebody else recorded this attempt's intent, or the booking was closed meanwhile:
    # ours must not stay payable.
    db.session.commit()
    gateway.cancel_payment_intent(intent.id, idempotency_key=f"{intent.id}-cancel")
    return None


def _give_up_claim(attempt: PaymentAttempt | None) -> None:
    if attempt is not None and attempt.payment_intent_id is None and attempt.status == AttemptStatus.CREATED:
        attempt.status = AttemptStatus.CANCELED


def _release_claim(booking_id: int, attempt_id: int) -> None:
    """Stripe could not be asked: forget the claim, so a retry claims the same number again
    (and real Stripe answers its idempotency key with whatever a lost answer had made)."""
    db.session.rollback()
    lock_booking(booking_id)
    attempt = db.session.get(PaymentAttempt, attempt_id)
    if attempt is not None and attempt.payment_intent_id is None and attempt.status == AttemptStatus.CREATED:
        db.session.delete(attempt)
    db.session.commit()


def _record(booking_id: int, attempt_id: int, intent: gateway.PaymentIntentView, actor: str,
            now: datetime, stripe_refunds: list[gateway.RefundView] | None = None) -> Outcome:
    """Apply what Stripe said about one attempt, under the booking lock, and commit."""
    booking = lock_booking(booking_id)
    attempt = db.session.get(PaymentAttempt, attempt_id)
    db.session.refresh(attempt)
    outcome = _apply(booking, attempt, intent, actor=actor, now=now)
    if stripe_refunds is not None:
        fulfilment.sync_refunds(booking, attempt, stripe_refunds, actor=actor, now=now)
        outcome = Outcome(booking.status, attempt.status, outcome.message)
    db.session.commit()
    fulfilment.send_refunds(actor)  # money this answer says must go back, asked for with the lock let go
    return outcome


def cancel_open_intents(booking_id: int, actor: str, now: datetime | None = None) -> Booking:
    """Close at Stripe every PaymentIntent of this booking that could still take money.

    For a change that must not race a payment (expiry, cancelling or changing an unpaid
    booking). Commits the caller's transaction first, asks Stripe with no lock held, records
    each answer under the lock (committed: they are facts whatever the caller does next),
    and returns the booking locked. If Stripe says one had just succeeded, that payment
    wins: the booking comes back CONFIRMED, so the caller looks at `booking.status` before
    making its change, then commits. A claimed attempt still waiting for its PaymentIntent
    is marked cancelled in the caller's transaction; its maker then cancels what it gets.
    Raises gateway.PaymentError if Stripe cannot be asked (nothing is closed then).
    """
    now = now or utcnow()
    asked: set[int] = set()
    booking = lock_booking(booking_id)
    for _ in range(3):  # again only for attempts started while we were asking Stripe
        still_open = [(a.id, a.payment_intent_id, a.number) for a in booking.payment_attempts
                      if a.status in AttemptStatus.OPEN and a.payment_intent_id and a.id not in asked]
        if not still_open:
            break
        reference = booking.reference
        db.session.commit()
        answers = {attempt_id: gateway.cancel_payment_intent(pi, idempotency_key=f"{reference}-attempt-{n}-cancel")
                   for attempt_id, pi, n in still_open}
        asked |= answers.keys()
        booking = lock_booking(booking_id)
        for attempt in booking.payment_attempts:
            if attempt.id in answers:
                _apply(booking, attempt, answers[attempt.id], actor=actor, now=now)
        db.session.commit()
        fulfilment.send_refunds(actor)
        booking = lock_booking(booking_id)
    for attempt in booking.payment_attempts:
        _give_up_claim(attempt)
    return booking


def attempt_for_intent(payment_intent_id: str | None) -> PaymentAttempt | None:
    if not payment_intent_id:
        return None
    return db.session.execute(
        select(PaymentAttempt).where(PaymentAttempt.payment_intent_id == payment_intent_id)
    ).scalar_one_or_none()


@dataclass
class Outcome:
    booking_status: str
    attempt_status: str
    message: str | None = None


def reconcile(payment_intent_id: str | None, actor: str = "reconcile", now: datetime | None = None,
              refunds: bool = False) -> Outcome | None:
    """Bring our records in line with what Stripe says about this PaymentIntent.

    Re-fetches the PaymentIntent (never trusting the caller's copy) with no lock held, then
    locks the booking, checks amount, currency and reference, and applies the forward-only
    transition. `refunds=True` (a charge.refunded event) also copies Stripe's refunds of it,
    fetched before the lock too. Safe to call any number of times, concurrently: the second
    caller waits for the lock and then finds nothing left to do. Returns None for a
    PaymentIntent that is not ours. Raises gateway.GatewayUnavailable if Stripe cannot be
    asked (the caller retries later).
    """
    now = now or utcnow()
    attempt = attempt_for_intent(payment_intent_id)
    if attempt is None or payment_intent_id is None:
        return None
    booking_id, attempt_id = attempt.booking_id, attempt.id
    intent = gateway.retrieve_payment_intent(payment_intent_id)
    stripe_refunds = gateway.list_refunds(payment_intent_id) if refunds else None
    return _record(booking_id, attempt_id, intent, actor=actor, now=now, stripe_refunds=stripe_refunds)


def _apply(booking: Booking, attempt: PaymentAttempt, intent: gateway.PaymentIntentView, actor: str,
           now: datetime) -> Outcome:
    """The transition table. Caller holds the booking lock and commits."""
    if (intent.amount, intent.currency.upper(), intent.reference) != (attempt.amount, attempt.currency.upper(), booking.reference):
        current_app.logger.error("PaymentIntent %s does not match booking %s", intent.id, booking.reference)
        if intent.status == "succeeded":
            fulfilment.mismatched_payment_succeeded(booking, attempt, intent, actor, now)
        else:
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
