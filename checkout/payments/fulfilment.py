"""What a payment outcome means for a booking: confirm, fail, refund, cancel.

Every function here runs inside reconcile's transaction with the booking row locked;
none of them commits. Money that arrives when it cannot buy the
booking any more (late, twice, or after cancellation) is refunded automatically and the
booking is flagged for staff, and operators are alerted: money never silently stays.
"""
from __future__ import annotations

from datetime import datetime

from flask import current_app

from .. import monitoring, notifications
from ..bookings import seat_holds, states
from ..bookings.cancellation import cancel_confirmed
from ..extensions import db
from ..models import AttemptStatus, Booking, BookingStatus, PaymentAttempt, Refund, RefundStatus
from . import gateway


def flag(booking: Booking, reason: str, now: datetime) -> None:
    """Ask a person to look at this booking (shown on the staff console)."""
    booking.attention_reason = reason[:300]
    booking.updated_at = now
    notifications.queue_ops_alert(
        subject=f"Booking {booking.reference} needs attention",
        body_key=f"attention:{booking.id}:{reason[:60]}",
        text=f"Booking {booking.reference}: {reason}",
        booking_id=booking.id,
    )


def _retake_seats(booking: Booking, now: datetime) -> bool:
    """Make every chosen seat, and every passenger's place, sold to this booking, if still free. All or nothing."""
    with db.session.begin_nested() as savepoint:
        if not seat_holds.hold_places(booking, None, now, reassign_lost_seats=False).complete:
            savepoint.rollback()
            return False
    return True


def payment_succeeded(booking: Booking, attempt: PaymentAttempt, actor: str, now: datetime) -> None:
    if booking.status == BookingStatus.PENDING_PAYMENT or booking.status == BookingStatus.EXPIRED:
        late = booking.status == BookingStatus.EXPIRED or booking.hold_expires_at <= now
        if _retake_seats(booking, now):
            states.transition(booking, BookingStatus.CONFIRMED, actor,
                              note=f"paid {attempt.amount} {attempt.currency} ({attempt.payment_intent_id})"
                                   + (", after the hold had expired; seats still free" if late else ""))
            booking.confirmed_at = now
            notifications.queue_confirmation(booking)
            monitoring.record_payment_completed(booking, now)
            return
        refund_in_full(booking, attempt, "Payment arrived after the hold expired and the seats were taken", actor, now)
        if booking.status == BookingStatus.PENDING_PAYMENT:
            states.transition(booking, BookingStatus.EXPIRED, actor, note="hold expired before payment")
        states.transition(booking, BookingStatus.CANCELLED, actor, note="late payment refunded: seats no longer free")
        flag(booking, "Late payment refunded automatically: the seats had been taken", now)
        notifications.queue_cancellation(booking, attempt.amount)
        return
    # Already confirmed by another attempt, or cancelled: this money must go back.
    refund_in_full(booking, attempt, f"Payment received while the booking was {booking.status}", actor, now)
    flag(booking, f"A second payment ({attempt.payment_intent_id}) arrived for a {booking.status} booking "
                  "and was refunded automatically", now)


MAX_FAILED_ATTEMPTS = 5


def failed_attempts(booking: Booking) -> int:
    return sum(1 for a in booking.payment_attempts if a.status == AttemptStatus.FAILED)


def payment_failed(booking: Booking, attempt: PaymentAttempt, now: datetime) -> None:
    states.record(booking, booking.status, booking.status, actor="payment",
                  note=f"attempt {attempt.number} failed: {attempt.failure_code or 'declined'}")
    # A decline is usually followed by another card on the same page within seconds: an email
    # now would land next to the confirmation (issue 11 #8). Only the last allowed attempt is
    # final here; otherwise hold_lapsed_unpaid tells the traveller when the hold runs out.
    if failed_attempts(booking) >= MAX_FAILED_ATTEMPTS:
        notify_payment_not_completed(booking)


def hold_lapsed_unpaid(booking: Booking) -> None:
    """The sweeper expired the booking: if a payment was tried and failed, say so now."""
    notify_payment_not_completed(booking)


def notify_payment_not_completed(booking: Booking) -> None:
    """The one "Payment not completed" email, about the last failed attempt. Its key holds the
    attempt id, so the 5th failure and the expiry after it send one email, not two."""
    failed = [a for a in booking.payment_attempts if a.status == AttemptStatus.FAILED]
    if failed:
        notifications.queue_payment_failed(booking, max(failed, key=lambda a: a.number))


def refund_in_full(booking: Booking, attempt: PaymentAttempt, reason: str, actor: str, now: datetime) -> Refund:
    already = sum(r.amount for r in booking.refunds
                  if r.payment_attempt_id == attempt.id and r.status != RefundStatus.FAILED)
    return create_refund(booking, attempt, attempt.amount - already, reason, actor, now,
                         idempotency_key=f"{booking.reference}-attempt-{attempt.number}-refund-full")


def create_refund(booking: Booking, attempt: PaymentAttempt, amount: int, reason: str, actor: str,
                  now: datetime, idempotency_key: str) -> Refund | None:
    """Refund `amount` of this attempt at Stripe and record it. Never more than was paid."""
    tries = db.session.query(Refund).filter(
        (Refund.idempotency_key == idempotency_key) | Refund.idempotency_key.startswith(f"{idempotency_key}-retry-")
    ).all()
    done = next((r for r in tries if r.status != RefundStatus.FAILED), None)
    if done is not None:
        return done  # the same request again: the same refund
    if tries:  # every earlier try failed at Stripe: this is a new try, with a key of its own
        idempotency_key = f"{idempotency_key}-retry-{len(tries)}"
    refunded = sum(r.amount for r in booking.refunds if r.payment_attempt_id == attempt.id and r.status != RefundStatus.FAILED)
    if amount <= 0 or amount > attempt.amount - refunded:
        return None
    refund = Refund(booking_id=booking.id, payment_attempt_id=attempt.id, amount=amount, currency=attempt.currency,
                    status=RefundStatus.PENDING, reason=reason[:200], idempotency_key=idempotency_key,
                    created_by=actor, created_at=now, updated_at=now)
    booking.refunds.append(refund)
    db.session.flush()
    try:
        result = gateway.create_refund(payment_intent_id=attempt.payment_intent_id, amount=amount,
                                       idempotency_key=idempotency_key, reference=booking.reference)
    except gateway.PaymentError as err:
        refund.status = RefundStatus.FAILED
        current_app.logger.error("Refund for %s failed: %s", booking.reference, err.message)
        flag(booking, f"Refund of {amount} failed: {err.message}", now)
        return refund
    refund.stripe_refund_id = result.id
    refund.status = RefundStatus.SUCCEEDED if result.status == "succeeded" else RefundStatus.PENDING
    return refund


def sync_refunds(booking: Booking, attempt: PaymentAttempt, stripe_refunds: list[gateway.RefundView], actor: str,
                 now: datetime) -> None:
    """Copy Stripe's refunds of this attempt (ours and any made in Stripe's dashboard),
    as listed by gateway.list_refunds before the lock was taken.

    Fully refunded and confirmed -> CANCELLED, seats released, cancellation email.
    """
    known = {r.stripe_refund_id: r for r in booking.refunds if r.stripe_refund_id}
    for stripe_refund in stripe_refunds:
        status = {"succeeded": RefundStatus.SUCCEEDED, "failed": RefundStatus.FAILED,
                  "canceled": RefundStatus.FAILED}.get(stripe_refund.status, RefundStatus.PENDING)
        row = known.get(stripe_refund.id)
        if row is None:
            row = Refund(booking_id=booking.id, payment_attempt_id=attempt.id, stripe_refund_id=stripe_refund.id,
                         amount=stripe_refund.amount, currency=stripe_refund.currency.upper(), status=status,
                         reason="Refunded in Stripe", idempotency_key=f"stripe-{stripe_refund.id}",
                         created_by="stripe", created_at=now, updated_at=now)
            booking.refunds.append(row)
        elif row.status != status:
            row.status, row.updated_at = status, now
    refunded = sum(r.amount for r in booking.refunds if r.payment_attempt_id == attempt.id and r.status == RefundStatus.SUCCEEDED)
    if refunded >= attempt.amount and booking.status == BookingStatus.CONFIRMED and booking.paid_attempt is attempt:
        cancel_confirmed(booking, actor, now, note=f"fully refunded ({refunded} {attempt.currency})")
        notifications.queue_cancellation(booking, refunded)
