"""Staff actions on a booking other than line refunds: resend the confirmation, cancel,
reveal a passport number.

Each takes the booking's row lock, changes what it changes, and records an audit entry
(who, when, what, before, after). Refusals raise ActionRefused with a message to show.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from .. import audit, payments
from ..bookings import cancellation
from ..bookings.service import BookingError, lock_booking
from ..clock import utcnow
from ..extensions import db
from ..models import Booking, BookingStatus, OutboxEmail, Passenger
from ..notifications import Kind, enqueue


class ActionRefused(Exception):
    """The action cannot be done now; `status` is the HTTP answer (409 conflict, 422 bad input)."""

    def __init__(self, message: str, status: int = 409):
        super().__init__(message)
        self.message, self.status = message, status


def resend_confirmation(booking_id: int, actor: str, now: datetime | None = None) -> str:
    """Queue the confirmation email again (a new dedupe key per resend). Returns the address."""
    now = now or utcnow()
    booking = lock_booking(booking_id)
    if booking.status != BookingStatus.CONFIRMED or not booking.contact_email:
        db.session.rollback()
        raise ActionRefused("Only a confirmed booking has a confirmation to resend."
                            if booking.status != BookingStatus.CONFIRMED else "This booking has no contact email.")
    prefix = f"confirmation:{booking.id}:resend:"
    earlier = db.session.execute(select(func.count()).select_from(OutboxEmail)
                                 .where(OutboxEmail.dedupe_key.like(prefix + "%"))).scalar_one()
    key = f"{prefix}{earlier + 1}"
    before = audit.snapshot(booking)
    enqueue(Kind.CONFIRMATION, booking.contact_email, f"Your flight is booked: {booking.reference}", key, booking.id, now)
    audit.record(actor, "resend_confirmation", booking, before, {**audit.snapshot(booking), "emailKey": key},
                 detail=f"Confirmation resent to {booking.contact_email}", now=now)
    db.session.commit()
    return booking.contact_email


def cancellation_quote(booking: Booking, now: datetime | None = None) -> cancellation.CancellationTerms:
    """What cancelling now would refund, per the fare rules. Moves no money."""
    terms = cancellation.cancellation_terms(booking, now)
    if booking.status == BookingStatus.CANCELLED:
        raise ActionRefused("This booking is already cancelled.")
    if not terms.allowed:
        raise ActionRefused(terms.explanation)
    return terms


def cancel_booking(booking_id: int, actor: str, expected_refund: int, now: datetime | None = None) -> tuple[Booking, int]:
    """Cancel per the fare rules, refunding exactly the quoted amount (or nothing happens).

    Returns (booking, refunded). The cancellation service commits its own transaction;
    the audit entry follows in a second one.
    """
    now = now or utcnow()
    booking = lock_booking(booking_id)
    if booking.status == BookingStatus.CANCELLED:
        db.session.rollback()
        raise ActionRefused("This booking is already cancelled.")
    db.session.expire(booking, ["refunds", "payment_attempts"])
    before = audit.snapshot(booking)
    try:
        booking, refunded = payments.cancel_booking(booking.id, actor, now=now, expected_refund=expected_refund)
    except BookingError as err:
        db.session.rollback()
        raise ActionRefused(err.message) from err
    audit.record(actor, "cancel", booking, before, {**audit.snapshot(booking), "refundAmount": refunded},
                 detail=f"Cancelled; {refunded} {booking.currency} refunded", now=now)
    db.session.commit()
    return booking, refunded


def reveal_passport_number(booking_id: int, position: int, actor: str, now: datetime | None = None) -> str:
    """The full passport number of one passenger, for the person who asked, audited (who, when, whose).

    Agents and supervisors alike may look (correcting a number with an airline needs it);
    every look is an audit entry on the booking's timeline, committed before the number
    is returned, so nobody sees a number without leaving a trace.
    """
    passenger = db.session.execute(select(Passenger).where(
        Passenger.booking_id == booking_id, Passenger.position == position)).scalar_one_or_none()
    if passenger is None or not passenger.passport_number:
        db.session.rollback()
        raise ActionRefused("This passenger has no passport number on file"
                            + (" (travel documents are removed after travel)." if passenger else "."), 404)
    audit.record(actor, "reveal_passport_number", passenger.booking,
                 detail=f"Passport number of passenger {position + 1} ({passenger.full_name or 'no name'}) shown",
                 now=now)
    db.session.commit()
    return passenger.passport_number
