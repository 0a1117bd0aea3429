"""Amending a submitted booking: contact details until departure, names only until paid.

Used by the bookings API and manage-my-booking (and open to the staff console). The values
are checked by bookings/passengers.py (the same rules and messages as step 2); the rules for
when a change is allowed are here.
"""
from __future__ import annotations

from datetime import datetime

from .. import audit
from ..clock import utcnow
from ..extensions import db
from ..models import Booking, BookingStatus
from .service import BookingError, Contact, lock_booking


class AmendmentRefused(BookingError):
    """The booking is in a state where this change cannot be made (HTTP 409)."""


def amendment_problem(booking: Booking, now: datetime, names: bool = False) -> str | None:
    """Why this booking cannot be amended now (None when it can)."""
    if booking.status not in (BookingStatus.PENDING_PAYMENT, BookingStatus.CONFIRMED):
        return f"A {booking.status.lower().replace('_', ' ')} booking cannot be changed."
    if booking.flight.departs_at <= now:
        return "The flight has departed, so the booking can no longer be changed."
    if names and booking.status != BookingStatus.PENDING_PAYMENT:
        return ("Passenger names can only be changed before payment. The ticket is issued in these names; "
                "please contact support to correct a name.")
    return None


def amend(booking_id: int, actor: str, *, contact: Contact | None = None,
          names: list[tuple[str, str]] | None = None, now: datetime | None = None) -> Booking:
    """Change the contact and/or the passengers' names (by position) and audit it.

    Locks the booking row and re-checks the rules under the lock; raises AmendmentRefused
    (nothing changed) when they forbid it. Commits. A change to the same values is not audited.
    """
    now = now or utcnow()
    booking = lock_booking(booking_id)
    problem = amendment_problem(booking, now, names=names is not None)
    if problem is None and names is not None and len(names) != len(booking.passengers):
        problem = f"This booking has {len(booking.passengers)} passengers; give a name for each, in order."
    if problem:
        db.session.rollback()
        raise AmendmentRefused(problem)
    before = audit.snapshot(booking)
    if contact is not None:
        booking.contact_email, booking.contact_phone = contact.email, contact.phone
    if names is not None:
        for passenger, (first, last) in zip(booking.passengers, names):
            passenger.first_name, passenger.last_name = first, last
    after = audit.snapshot(booking)
    if after != before:
        booking.updated_at = now
        changed = [key for key in after if after[key] != before[key]]
        audit.record(actor, "amend_booking", booking, before, after, detail=f"changed {', '.join(changed)}", now=now)
    db.session.commit()
    return booking
