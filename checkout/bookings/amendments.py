"""Amending a submitted booking: contact details until departure, names only until paid.

Used by the bookings API and manage-my-booking (and open to the staff console). The values
are checked by bookings/passengers.py (the same rules and messages as step 2); the rules for
when a change is allowed are here.

The contact email of a paid booking is where its e-ticket and every later email go: only
the traveller who proved the booking or a supervisor may change it (not an agent), and the
old address is always told.
"""
from __future__ import annotations

from datetime import datetime

from .. import audit
from ..clock import utcnow
from ..extensions import db
from ..models import Booking, BookingStatus
from ..notifications import outbox
from .service import BookingError, Contact, lock_booking


class AmendmentRefused(BookingError):
    """The booking is in a state where this change cannot be made (HTTP 409)."""


class AmendmentForbidden(AmendmentRefused):
    """This person may not make this change (HTTP 403): an agent redirecting a paid booking."""


PAID_EMAIL_SUPERVISORS_ONLY = ("Only a supervisor can change the email of a paid booking: its e-ticket and every "
                               "later email go there. Ask a supervisor, or the traveller can change it in "
                               "Manage my booking.")


def _email_changes(booking: Booking, contact: Contact | None) -> bool:
    return contact is not None and (contact.email or "").casefold() != (booking.contact_email or "").casefold()


def amendment_problem(booking: Booking, now: datetime, names: bool = False) -> str | None:
    """Why this booking cannot be amended now (None when it can)."""
    if booking.status not in (BookingStatus.PENDING_PAYMENT, BookingStatus.CONFIRMED):
        return f"A {booking.status.lower().replace('_', ' ')} booking cannot be changed."
    if booking.first_departure <= now:
        return "The flight has departed, so the booking can no longer be changed."
    if names and booking.status != BookingStatus.PENDING_PAYMENT:
        return ("Passenger names can only be changed before payment. The ticket is issued in these names; "
                "please contact support to correct a name.")
    return None


def amend(booking_id: int, actor: str, *, contact: Contact | None = None,
          names: list[tuple[str, str]] | None = None, may_change_paid_email: bool = False,
          now: datetime | None = None) -> Booking:
    """Change the contact and/or the passengers' names (by position) and audit it.

    Locks the booking row and re-checks the rules under the lock; raises AmendmentRefused
    (nothing changed) when they forbid it, AmendmentForbidden (nothing changed, the attempt
    audited) when the email of a paid booking would change and `may_change_paid_email` is
    False (agents; also the default, so a caller that does not say cannot redirect a ticket). A changed email on a paid booking queues a notice to the old address in
    the same transaction. Commits. A change to the same values is not audited.
    """
    now = now or utcnow()
    booking = lock_booking(booking_id, with_passengers=True)  # names and the audit snapshot read them
    problem = amendment_problem(booking, now, names=names is not None)
    if problem is None and names is not None and len(names) != len(booking.passengers):
        problem = f"This booking has {len(booking.passengers)} passengers; give a name for each, in order."
    if problem:
        db.session.rollback()
        raise AmendmentRefused(problem)
    paid = booking.paid_attempt is not None
    redirects_ticket = paid and _email_changes(booking, contact)
    if redirects_ticket and not may_change_paid_email:
        db.session.rollback()
        audit.record(actor, "amend_refused", db.session.get(Booking, booking_id), now=now,
                     detail=f"not a supervisor: email of a paid booking to {contact.email}")
        db.session.commit()
        raise AmendmentForbidden(PAID_EMAIL_SUPERVISORS_ONLY)
    old_email = booking.contact_email
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
        detail = f"changed {', '.join(changed)}"
        if redirects_ticket and old_email:
            detail += f"; {old_email} was told"
        entry = audit.record(actor, "amend_booking", booking, before, after, detail=detail, now=now)
        if redirects_ticket and old_email:
            db.session.flush()  # the audit entry's id keys the notice: one per change
            outbox.queue_contact_changed(booking, old_email, f"contact_changed:{entry.id}", now)
    db.session.commit()
    return booking
