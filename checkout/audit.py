"""The audit trail: every staff action (sign-ins, refunds, cancellations) and every change a
traveller or API client makes to a booking, with the booking's state before and after."""
from __future__ import annotations

import json
from datetime import datetime

from .clock import utcnow
from .extensions import db
from .models import AuditEntry, Booking


def snapshot(booking: Booking) -> dict:
    """What an auditor needs to see of a booking, before or after an action."""
    return {
        "status": booking.status,
        "contactEmail": booking.contact_email,
        "contactPhone": booking.contact_phone,
        "passengers": [p.full_name for p in booking.passengers],
        "refunded": sum(r.amount for r in booking.refunds if r.status != "failed"),
    }


def record(actor: str, action: str, booking: Booking | None = None, before: dict | None = None,
           after: dict | None = None, detail: str | None = None, now: datetime | None = None) -> AuditEntry:
    """Add an audit entry to the current transaction (the caller commits)."""
    entry = AuditEntry(at=now or utcnow(), actor=actor, action=action, booking_id=booking.id if booking else None,
                       before=json.dumps(before) if before is not None else None,
                       after=json.dumps(after) if after is not None else None, detail=(detail or "")[:500] or None)
    db.session.add(entry)
    return entry
