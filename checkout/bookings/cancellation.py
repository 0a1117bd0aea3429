"""Cancelling and refunding: the one place that decides how much money goes back.

Used by the staff console, the bookings API and manage-my-booking alike.
Rules, in order:
1. The US DOT 24-hour rule: cancelled within 24 hours of booking, when booked at least
   7 days before departure -> everything paid is refunded.
2. A refundable fare -> everything paid, less the fare's refund fee.
3. Otherwise the fare is kept; government taxes and fees are still refunded.
An unpaid booking is simply cancelled (its PaymentIntents cancelled, seats released).

This module holds the rules and the quote; it moves no money. Cancelling, which may first
stop an open PaymentIntent or refund, is `checkout.payments.cancel_booking`
(payments/booking_changes.py): payments depends on bookings, never the reverse.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete

from ..clock import utcnow
from ..extensions import db
from ..formatting import money
from ..models import Booking, BookingStatus, RefundStatus, SeatHold
from . import states

# Audit actions whose `after.lineIds` list the price lines a refund covered.
LINE_REFUND_ACTIONS = ("refund", "cancellation refund")
DOT_WINDOW = timedelta(hours=24)
DOT_MIN_LEAD = timedelta(days=7)


@dataclass(frozen=True)
class CancellationTerms:
    allowed: bool
    refund_amount: int
    rule: str  # dot_24_hour | refundable_fare | taxes_only | unpaid | not_allowed
    explanation: str


def refundable_left(booking: Booking) -> int:
    """Paid and not yet refunded (pending refunds count as gone)."""
    paid = booking.paid_attempt
    if paid is None:
        return 0
    refunded = sum(r.amount for r in booking.refunds if r.payment_attempt_id == paid.id and r.status != RefundStatus.FAILED)
    return paid.amount - refunded


def refunded_line_ids(booking: Booking) -> set[int]:
    """Price lines already given back, by a staff refund or a cancellation, so none twice."""
    import json

    from sqlalchemy import select

    from ..models import AuditEntry
    afters = db.session.execute(select(AuditEntry.after).where(
        AuditEntry.booking_id == booking.id, AuditEntry.action.in_(LINE_REFUND_ACTIONS))).scalars()
    # A refund's lines are taken when it is recorded, before Stripe is asked; one Stripe
    # refused gives them back.
    refused = {r.id for r in booking.refunds if r.status == RefundStatus.FAILED}
    entries = [json.loads(after) for after in afters if after]
    return {line_id for entry in entries if entry.get("refundId") not in refused for line_id in entry.get("lineIds", [])}


def unrefunded_tax_lines(booking: Booking) -> list:
    already = refunded_line_ids(booking)
    return [line for line in booking.price_lines if line.kind == "tax" and line.id not in already]


def within_24_hour_rule(booking: Booking, now: datetime) -> bool:
    booked_at = booking.submitted_at or booking.created_at
    return now - booked_at <= DOT_WINDOW and booking.first_departure - booked_at >= DOT_MIN_LEAD


def cancellation_terms(booking: Booking, now: datetime | None = None) -> CancellationTerms:
    now = now or utcnow()
    if booking.status == BookingStatus.PENDING_PAYMENT:
        return CancellationTerms(True, 0, "unpaid", "Nothing has been charged, so there is nothing to refund.")
    if booking.status != BookingStatus.CONFIRMED:
        return CancellationTerms(False, 0, "not_allowed", f"A {booking.status.lower().replace('_', ' ')} booking cannot be cancelled.")
    if booking.first_departure <= now:
        return CancellationTerms(False, 0, "not_allowed", "The flight has departed.")
    left = refundable_left(booking)
    if within_24_hour_rule(booking, now):
        return CancellationTerms(True, left, "dot_24_hour",
                                 "You booked less than 24 hours ago and at least 7 days before departure: "
                                 "you get everything back (the 24-hour rule).")
    fare = booking.fare_family
    if fare.refundable:
        amount = max(0, left - fare.refund_fee)
        fee = f", less the {money(fare.refund_fee, booking.currency)} refund fee" if fare.refund_fee else ""
        return CancellationTerms(True, amount, "refundable_fare", f"Your {fare.name} fare is refundable{fee}.")
    taxes = sum(line.amount for line in unrefunded_tax_lines(booking))
    return CancellationTerms(True, min(left, taxes), "taxes_only",
                             f"Your {fare.name} fare is not refundable; taxes and fees are refunded.")


def cancel_confirmed(booking: Booking, actor: str, now: datetime, note: str) -> None:
    """CONFIRMED -> CANCELLED and its sold seats back on sale. Caller holds the lock and commits."""
    states.transition(booking, BookingStatus.CANCELLED, actor, note=note)
    db.session.execute(delete(SeatHold).where(SeatHold.booking_id == booking.id))
