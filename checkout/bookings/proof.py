"""A traveller proving a booking: what counts as proof, and the lock-out against guessing.

Manage my booking (reference + last name or email) and the bookings API (reference +
email headers) share the lock: failed proofs are rows in `login_failures` keyed by the
reference, and 5 failures for one reference in 15 minutes lock it for 15 minutes, whatever
the address, so references cannot be guessed by brute force.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from ..extensions import db
from ..models import Booking, LoginFailure

LOCK_AFTER = 5
LOCK_WINDOW = timedelta(minutes=15)


def normalize_reference(raw: str) -> str:
    """'fly2a-k7m3qx', ' K7M3QX ', 'FLY2A K7M3QX', 'K7M 3QX' -> 'FLY2A-K7M3QX': spaces and
    dashes are how people copy or read out a reference, not part of it."""
    compact = "".join(ch for ch in (raw or "").upper() if not ch.isspace() and ch not in "-‐‑–—")
    if compact.startswith("FLY2A") and len(compact) == 11:
        compact = compact[5:]
    if len(compact) == 6:
        return f"FLY2A-{compact}"
    return "".join((raw or "").split()).upper()


def _failure_key(reference: str) -> str:
    return f"manage:{reference}"


def _lock_key(reference: str) -> str:
    return f"manage-lock:{reference}"


def reference_locked_until(reference: str, now: datetime) -> datetime | None:
    locked_at = db.session.execute(select(func.max(LoginFailure.at)).where(
        LoginFailure.email == _lock_key(reference), LoginFailure.at > now - LOCK_WINDOW)).scalar()
    return locked_at + LOCK_WINDOW if locked_at else None


def record_failure(reference: str, ip_address: str, now: datetime) -> None:
    """Count a failed look-up for this reference; the 5th in 15 minutes locks it for 15. Commits."""
    db.session.add(LoginFailure(email=_failure_key(reference), ip_address=ip_address, at=now))
    db.session.flush()
    failures = db.session.execute(select(func.count()).where(
        LoginFailure.email == _failure_key(reference), LoginFailure.at > now - LOCK_WINDOW)).scalar()
    if failures >= LOCK_AFTER:
        db.session.add(LoginFailure(email=_lock_key(reference), ip_address=ip_address, at=now))
    db.session.commit()


def matches(booking: Booking, secret: str) -> bool:
    """The contact email, or the last name of any passenger on the booking (case-insensitive)."""
    given = " ".join(secret.split()).casefold()
    if "@" in given:
        return (booking.contact_email or "").casefold() == given
    return any(" ".join((p.last_name or "").split()).casefold() == given for p in booking.passengers)
