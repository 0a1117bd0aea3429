"""The booking state machine: the only place a booking's status changes.

Transitions only go forward; applying one that already happened changes nothing.
Every change is recorded (who or what, when, from, to) for the staff timeline.
"""
from __future__ import annotations

from ..clock import utcnow
from ..extensions import db
from ..models import Booking, BookingStatus as S, BookingTransition

ALLOWED = {
    S.DRAFT: {S.PENDING_PAYMENT, S.EXPIRED},
    S.PENDING_PAYMENT: {S.CONFIRMED, S.EXPIRED, S.CANCELLED},
    S.EXPIRED: {S.CONFIRMED, S.CANCELLED},  # a late payment may still confirm
    S.CONFIRMED: {S.CANCELLED},
    S.CANCELLED: set(),
}


class TransitionNotAllowed(Exception):
    def __init__(self, booking: Booking, to_status: str):
        super().__init__(f"Booking {booking.reference or booking.id} cannot go from {booking.status} to {to_status}")
        self.from_status, self.to_status = booking.status, to_status


def record(booking: Booking, from_status: str | None, to_status: str, actor: str, note: str | None = None) -> None:
    db.session.add(BookingTransition(
        booking_id=booking.id, at=utcnow(), from_status=from_status, to_status=to_status,
        actor=actor, note=note,
    ))


def transition(booking: Booking, to_status: str, actor: str, note: str | None = None) -> bool:
    """Move `booking` to `to_status`. Returns False (and changes nothing) if it is already there.

    The caller owns the transaction and should hold the booking row's lock.
    """
    if booking.status == to_status:
        return False
    if to_status not in ALLOWED[booking.status]:
        raise TransitionNotAllowed(booking, to_status)
    record(booking, booking.status, to_status, actor, note)
    booking.status = to_status
    booking.updated_at = utcnow()
    return True
