"""Refunds by whole price line (one seat fee...) or in full: quote, then confirm.

The quote moves no money and carries a one-time key; confirming records the refund under
the booking lock, then refunds at Stripe with that key and no lock held, so a
double-submitted form refunds once. Never more than was paid minus what
was already given back, and a line already refunded cannot be refunded twice (the lines
each staff refund covered are kept in its audit entry).
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from .. import audit, notifications, payments
from ..bookings import cancellation
from ..bookings.cancellation import refundable_left
from ..bookings.service import lock_booking
from ..clock import utcnow
from ..extensions import db
from ..models import AuditEntry, Booking, BookingPriceLine, BookingStatus, Refund, RefundStatus
from ..formatting import money
from .actions import ActionRefused

ACTION = "refund"


@dataclass(frozen=True)
class RefundQuote:
    booking: Booking
    lines: list[BookingPriceLine]  # what the refund covers
    amount: int
    full: bool
    key: str  # one-time idempotency key, made at quote time

    @property
    def line_ids(self) -> str:
        return ",".join(str(line.id) for line in self.lines)

    @property
    def left_after(self) -> int:
        return refundable_left(self.booking) - self.amount

    @property
    def cancels(self) -> bool:
        """A refund of everything left cancels a confirmed booking."""
        return self.left_after == 0 and self.booking.status == BookingStatus.CONFIRMED


def quote_refund(booking: Booking, line_ids: list[int], full: bool, key: str | None = None) -> RefundQuote:
    """What refunding these lines (or everything left) would give back. Moves no money."""
    paid = booking.paid_attempt
    if paid is None:
        raise ActionRefused("Nothing has been paid for this booking, so there is nothing to refund.")
    left = refundable_left(booking)
    if left <= 0:
        raise ActionRefused(f"All {money(paid.amount, paid.currency)} paid has already been refunded.")
    already = cancellation.refunded_line_ids(booking)
    if full:
        lines = [line for line in booking.price_lines if line.id not in already]
        return RefundQuote(booking, lines, left, True, key or uuid.uuid4().hex)
    if not line_ids:
        raise ActionRefused("Tick the price lines to refund, or choose “Full refund”.", 422)
    by_id = {line.id: line for line in booking.price_lines}
    if any(line_id not in by_id for line_id in line_ids):
        raise ActionRefused("A chosen price line is not on this booking. Please choose again.", 422)
    lines = [by_id[line_id] for line_id in sorted(set(line_ids), key=lambda i: by_id[i].position)]
    twice = [line.description for line in lines if line.id in already]
    if twice:
        raise ActionRefused(f"“{twice[0]}” has already been refunded; a line can be refunded once.")
    amount = sum(line.amount for line in lines)
    if amount <= 0:
        raise ActionRefused("The chosen lines add up to nothing to refund.", 422)
    if amount > left:
        raise ActionRefused(f"That is {money(amount, booking.currency)}, more than the {money(left, booking.currency)} "
                            f"still refundable ({money(paid.amount, paid.currency)} paid, less refunds already made).")
    return RefundQuote(booking, lines, amount, False, key or uuid.uuid4().hex)


@dataclass(frozen=True)
class RefundDone:
    refund: Refund
    repeated: bool  # this key had already refunded: nothing more was given back
    cancelled: bool
    waiting: bool = False  # Stripe has not answered yet: recorded, and the sweeper asks again


def confirm_refund(booking_id: int, line_ids: list[int], full: bool, amount: int, key: str, actor: str,
                   reason: str | None = None, now: datetime | None = None) -> RefundDone:
    """Refund exactly the quoted `amount` at Stripe, once per `key`.

    Three steps, so no row lock is held while Stripe answers: under the booking lock the
    refund is recorded PENDING with its idempotency key (that reserves the amount and the
    lines: a second submission, another refund or a cancellation meanwhile sees them) and
    committed; Stripe is asked; under the lock again its answer is recorded. Refunding
    everything left on a confirmed booking also cancels it (seats released, cancellation
    email) once Stripe has made it. Unanswered, the refund stays recorded and the sweeper
    asks again with the same key.
    """
    now = now or utcnow()
    try:
        return _confirm(lock_booking(booking_id), line_ids, full, amount, key, actor, reason, now)
    except ActionRefused:
        db.session.rollback()  # let go of the row lock; a failed refund was committed before raising
        raise


def _confirm(booking: Booking, line_ids: list[int], full: bool, amount: int, key: str, actor: str,
             reason: str | None, now: datetime) -> RefundDone:
    db.session.expire(booking, ["refunds", "payment_attempts", "price_lines"])
    idempotency_key = f"staff-{key}"
    existing = db.session.execute(select(Refund).where(Refund.idempotency_key == idempotency_key)).scalar_one_or_none()
    if existing is not None:
        if existing.status == RefundStatus.FAILED:
            raise ActionRefused("This refund failed at the payment provider. Ask for a new quote to try again.")
        db.session.commit()
        return RefundDone(existing, True, False)
    quote = quote_refund(booking, line_ids, full, key)
    if quote.amount != amount:
        raise ActionRefused(f"The refund was quoted at {money(amount, booking.currency)} but is now "
                            f"{money(quote.amount, booking.currency)}. Please review the new quote.")
    cancels = quote.cancels  # read before the refund below counts as given back
    before = audit.snapshot(booking)
    covers = "full refund" if full else "; ".join(line.description for line in quote.lines)
    refund = payments.reserve_refund(booking, booking.paid_attempt, amount,
                                     f"Staff refund ({covers})" + (f": {reason}" if reason else ""),
                                     actor, now, idempotency_key=idempotency_key)
    if refund is None:  # unreachable after the checks above, unless Stripe-side refunds raced us
        raise ActionRefused("That is more than is left to refund.")
    if not cancels:  # a refund that cancels the booking is told by the cancellation email
        notifications.queue_refund_made(booking, refund, now)
    after = {"amount": amount, "currency": booking.currency, "lineIds": [line.id for line in quote.lines],
             "full": full, "refundId": refund.id, "stripeRefundId": None, "reason": reason}
    # Recorded with the refund: its lineIds are what stops a second refund of the same lines.
    entry = audit.record(actor, ACTION, booking, before, {**audit.snapshot(booking), **after},
                         detail=f"Refunded {amount} {booking.currency}: {covers}", now=now)
    db.session.flush()
    refund_id, entry_id = refund.id, entry.id
    db.session.commit()
    payments.send_refunds(actor)
    booking = lock_booking(booking.id)
    refund = db.session.get(Refund, refund_id, populate_existing=True)
    entry = db.session.get(AuditEntry, entry_id)
    if refund.status == RefundStatus.FAILED:
        audit.record(actor, "refund_failed", booking, before, {**audit.snapshot(booking), **after, "lineIds": []},
                     detail=f"Refund of {amount} {booking.currency} failed at Stripe", now=now)
        db.session.commit()
        raise ActionRefused("The payment provider refused the refund. Nothing was refunded; the booking is flagged.")
    cancelled = cancels and booking.status == BookingStatus.CANCELLED
    entry.after = json.dumps({**json.loads(entry.after), "stripeRefundId": refund.stripe_refund_id,
                              "cancelled": cancelled, "status": booking.status})
    db.session.commit()
    return RefundDone(refund, False, cancelled, waiting=refund.stripe_refund_id is None)
