"""What a payment outcome means for a booking: confirm, fail, refund, cancel.

Every function here runs inside reconcile's transaction with the booking row locked;
none of them commits, but for the three that ask Stripe for a refund after that commit
(send_refunds, send_refund, resend_stale_refunds): a refund is recorded under the lock,
then asked for with no lock held. Money that arrives when it cannot buy the
booking any more (late, twice, or after cancellation) is refunded automatically and the
booking is flagged for staff, and operators are alerted: money never silently stays.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from .. import monitoring, notifications
from ..bookings import seat_holds, states
from ..bookings.cancellation import cancel_confirmed
from ..bookings.service import lock_booking
from ..clock import utcnow
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


def mismatched_payment_succeeded(booking: Booking, attempt: PaymentAttempt, intent: gateway.PaymentIntentView,
                                 actor: str, now: datetime) -> None:
    """Stripe took money on this attempt's PaymentIntent, but not what we asked for (its amount,
    currency or reference was changed at Stripe). It cannot pay for the booking: all of what
    was charged goes back, the traveller and operations are told, and the attempt is closed.

    The booking is not confirmed and stays as it was (PENDING_PAYMENT while its hold lasts),
    so the traveller may pay again, on a new attempt for the booking's own price. The refund's
    key is the PaymentIntent's: any number of reconciles record one refund and send it once.
    """
    refund = reserve_refund(booking, attempt, intent.amount,
                            f"Charged {intent.amount} {intent.currency.upper()} on a PaymentIntent changed at Stripe",
                            actor, now, idempotency_key=f"{intent.id}-mismatch-refund", charged=intent.amount,
                            currency=intent.currency)
    if attempt.status in AttemptStatus.OPEN:
        attempt.status, attempt.updated_at = AttemptStatus.CANCELED, now
        states.record(booking, booking.status, booking.status, actor=actor,
                      note=f"attempt {attempt.number} paid {intent.amount} {intent.currency.upper()}, not "
                           f"{attempt.amount} {attempt.currency}: not accepted, refunded in full")
    flag(booking, f"PaymentIntent {intent.id} was paid {intent.amount} {intent.currency.upper()} after being changed "
                  f"at Stripe (the booking asked {attempt.amount} {attempt.currency}); refunded in full, not confirmed", now)
    if refund is not None:
        notifications.queue_payment_refunded(booking, refund)


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


def refund_in_full(booking: Booking, attempt: PaymentAttempt, reason: str, actor: str, now: datetime) -> Refund | None:
    already = sum(r.amount for r in booking.refunds
                  if r.payment_attempt_id == attempt.id and r.status != RefundStatus.FAILED)
    return reserve_refund(booking, attempt, attempt.amount - already, reason, actor, now,
                          idempotency_key=f"{booking.reference}-attempt-{attempt.number}-refund-full")


def reserve_refund(booking: Booking, attempt: PaymentAttempt, amount: int, reason: str, actor: str, now: datetime,
                   idempotency_key: str, charged: int | None = None, currency: str | None = None) -> Refund | None:
    """Record a refund of `amount` of this attempt, PENDING with its idempotency key, for
    send_refunds() to ask Stripe after the caller commits. Moves no money.

    Caller holds the booking lock (the row it adds is what reserves the amount: a second
    refund, a cancellation, sees it and cannot give back more than was paid) and commits.
    Never more than `charged` (what Stripe took; the attempt's amount unless the caller knows
    better) less what is already refunded or on its way. The same key again is the same
    refund (returned, not sent again); after a refusal at Stripe, a new try gets a key of its own.
    """
    tries = db.session.query(Refund).filter(
        (Refund.idempotency_key == idempotency_key) | Refund.idempotency_key.startswith(f"{idempotency_key}-retry-")
    ).all()
    done = next((r for r in tries if r.status != RefundStatus.FAILED), None)
    if done is not None:
        return done  # the same request again: the same refund
    if tries:  # every earlier try was refused at Stripe: this is a new try, with a key of its own
        idempotency_key = f"{idempotency_key}-retry-{len(tries)}"
    charged = attempt.amount if charged is None else charged
    refunded = sum(r.amount for r in booking.refunds if r.payment_attempt_id == attempt.id and r.status != RefundStatus.FAILED)
    if amount <= 0 or amount > charged - refunded:
        return None
    refund = Refund(booking_id=booking.id, payment_attempt_id=attempt.id, amount=amount,
                    currency=(currency or attempt.currency).upper(), status=RefundStatus.PENDING, reason=reason[:200],
                    idempotency_key=idempotency_key, created_by=actor, created_at=now, updated_at=now)
    booking.refunds.append(refund)
    db.session.flush()
    _reserved_here().append(refund.id)
    return refund


def _reserved_here() -> list[int]:
    """Refunds this session reserved and has not sent yet (sent after its commit)."""
    return db.session.info.setdefault("refunds_to_send", [])


def unsent(refund: Refund) -> bool:
    """Recorded, Stripe not yet asked (or its answer never came)."""
    return refund.status == RefundStatus.PENDING and refund.stripe_refund_id is None


def send_refunds(actor: str, cancel_when_full: bool = True) -> list[Refund]:
    """Ask Stripe for every refund this session reserved: after the commit, no lock held.

    Only the caller that reserved a refund sends it (a second reconcile finds the row and
    sends nothing; localstripe ignores idempotency keys, so our rows keep it at one), and the
    sweeper sends those whose sender never heard back (resend_stale_refunds).
    """
    sent = []
    while _reserved_here():
        refund = send_refund(_reserved_here().pop(0), actor, cancel_when_full=cancel_when_full)
        if refund is not None:
            sent.append(refund)
    return sent


def send_refund(refund_id: int, actor: str, now: datetime | None = None, cancel_when_full: bool = True) -> Refund | None:
    """Ask Stripe for one recorded refund with its own idempotency key, then record the answer.

    Commits the caller's transaction first, so no row lock is held while Stripe answers
    (a slow answer must not hold up the webhook, the return URL or staff behind the
    booking's lock). Then, under the booking lock:
    - Stripe made it -> its id and status (succeeded, or pending at Stripe);
    - Stripe refused it -> FAILED (the amount is free again), the booking flagged;
    - no answer (timeout, Stripe down, no free slot) -> left PENDING without a Stripe id: it
      may have been made, so only the same key may ask again; the sweeper does.
    A refund fully giving back a confirmed booking's payment cancels it (seats released,
    cancellation email), unless the caller cancels itself (`cancel_when_full=False`). Returns the refund as recorded, None if it is not ours to send.
    """
    db.session.commit()
    refund = db.session.get(Refund, refund_id, populate_existing=True)
    if refund is None or not unsent(refund):
        db.session.commit()
        return refund
    attempt = db.session.get(PaymentAttempt, refund.payment_attempt_id)
    booking_id, reference = refund.booking_id, db.session.get(Booking, refund.booking_id).reference
    ask = dict(payment_intent_id=attempt.payment_intent_id, amount=refund.amount,
               idempotency_key=refund.idempotency_key, reference=reference)
    db.session.commit()
    try:
        result = gateway.create_refund(**ask)
    except gateway.GatewayUnavailable as err:
        db.session.rollback()
        current_app.logger.warning("Refund %s for %s not answered (%s): the sweeper asks again with the same key",
                                   refund_id, reference, err.code)
        return db.session.get(Refund, refund_id)
    except gateway.PaymentError as err:
        booking = _lock(booking_id)
        refund = db.session.get(Refund, refund_id, populate_existing=True)
        if unsent(refund):
            refund.status, refund.updated_at = RefundStatus.FAILED, now or utcnow()
            current_app.logger.error("Refund for %s failed: %s", reference, err.message)
            flag(booking, f"Refund of {refund.amount} failed: {err.message}", now or utcnow())
        db.session.commit()
        return refund
    now = now or utcnow()
    booking = _lock(booking_id)
    refund = db.session.get(Refund, refund_id, populate_existing=True)
    if unsent(refund):
        refund.stripe_refund_id = result.id
        refund.status = RefundStatus.SUCCEEDED if result.status == "succeeded" else RefundStatus.PENDING
        refund.updated_at = now
        if cancel_when_full:
            _cancel_if_fully_refunded(booking, actor, now)
    db.session.commit()
    return refund


def _lock(booking_id: int) -> Booking:
    booking = lock_booking(booking_id)  # its payment attempts are read afresh under the lock
    db.session.expire(booking, ["refunds"])
    return booking


def _cancel_if_fully_refunded(booking: Booking, actor: str, now: datetime) -> None:
    """A confirmed booking whose payment Stripe has given back in full is cancelled (re-checked
    under the lock: whoever records the last of the money does it, once)."""
    paid = booking.paid_attempt
    if booking.status != BookingStatus.CONFIRMED or paid is None:
        return
    given_back = sum(r.amount for r in booking.refunds if r.payment_attempt_id == paid.id
                     and r.stripe_refund_id is not None and r.status != RefundStatus.FAILED)
    if given_back >= paid.amount:
        cancel_confirmed(booking, actor, now, note=f"fully refunded ({given_back} {paid.currency})")
        notifications.queue_cancellation(booking, given_back)


def resend_stale_refunds(now: datetime, patience: timedelta) -> list[int]:
    """The sweeper: refunds recorded but never answered by Stripe (a timeout, a crash between
    the commit and the answer) are asked again, with the same idempotency key.

    Only those untouched for `patience` (longer than any Stripe call of their sender can
    last), and each claimed under the booking lock first (updated_at), so two sweepers, or
    a sweeper and a sender still waiting, never ask twice."""
    stale = db.session.execute(
        select(Refund.id, Refund.booking_id).where(Refund.status == RefundStatus.PENDING,
                                                   Refund.stripe_refund_id.is_(None),
                                                   Refund.updated_at < now - patience)
    ).all()
    sent = []
    for refund_id, booking_id in stale:
        try:
            lock_booking(booking_id)
            refund = db.session.get(Refund, refund_id, populate_existing=True)
            if refund is None or not unsent(refund) or refund.updated_at >= now - patience:
                db.session.commit()
                continue
            refund.updated_at = utcnow()  # claimed: nobody else asks for the next `patience`
            db.session.commit()
            send_refund(refund_id, actor="sweeper", now=now)
            sent.append(refund_id)
        except Exception:  # noqa: BLE001 - one bad row must not stop the rest; the next sweep tries again
            db.session.rollback()
            current_app.logger.exception("could not resend refund %s", refund_id)
    return sent


def sync_refunds(booking: Booking, attempt: PaymentAttempt, stripe_refunds: list[gateway.RefundView], actor: str,
                 now: datetime) -> None:
    """Copy Stripe's refunds of this attempt (ours and any made in Stripe's dashboard),
    as listed by gateway.list_refunds before the lock was taken.

    Fully refunded and confirmed -> CANCELLED, seats released, cancellation email.
    """
    known = {r.stripe_refund_id: r for r in booking.refunds if r.stripe_refund_id}
    waiting = {r.idempotency_key: r for r in booking.refunds if unsent(r)}
    for stripe_refund in stripe_refunds:
        status = {"succeeded": RefundStatus.SUCCEEDED, "failed": RefundStatus.FAILED,
                  "canceled": RefundStatus.FAILED}.get(stripe_refund.status, RefundStatus.PENDING)
        row = known.get(stripe_refund.id)
        mine = waiting.get(stripe_refund.metadata.get("refund_key"))
        if row is None and mine is not None:  # ours, whose answer never reached us: now we know
            mine.stripe_refund_id, mine.status, mine.updated_at = stripe_refund.id, status, now
        elif row is None:
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
