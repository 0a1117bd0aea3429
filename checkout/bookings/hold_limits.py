"""How many seat holds one caller may keep open: every API booking holds seats for the hold
time, so an address or an email with too many unpaid, unexpired bookings must wait for one
to be paid or to lapse. The figures are config (API_OPEN_HOLDS_PER_ADDRESS / _PER_EMAIL).

Counted before a booking is created, without a lock: parallel calls can pass the check
together, so the cap may be exceeded by the calls in flight, which the per-minute rate on
POST /api/bookings bounds.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from ..extensions import db
from ..models import Booking, BookingStatus

OPEN = (BookingStatus.DRAFT, BookingStatus.PENDING_PAYMENT)


@dataclass(frozen=True)
class TooManyHolds:
    message: str
    retry_after: int  # seconds until the oldest of these holds lapses


def _open_holds(now: datetime, condition) -> tuple[int, datetime | None]:
    count, first_expiry = db.session.execute(select(func.count(), func.min(Booking.hold_expires_at)).where(
        condition, Booking.status.in_(OPEN), Booking.hold_expires_at > now)).one()
    return count, first_expiry


def too_many_holds(address: str, email: str, now: datetime, per_address: int, per_email: int) -> TooManyHolds | None:
    """Why this caller may not hold more seats now, or None when it may."""
    for condition, limit, whose in (
            (Booking.client_address == address, per_address, "from your network"),
            (func.lower(Booking.contact_email) == email.strip().lower(), per_email, "for this email")):
        count, first_expiry = _open_holds(now, condition)
        if count >= limit:
            wait = max(1, int((first_expiry - now).total_seconds()) + 1)
            return TooManyHolds(
                f"There are already {count} unpaid bookings {whose} holding seats (at most {limit}). "
                f"Pay for one, cancel one, or wait about {max(1, wait // 60)} minutes for a hold to lapse.", wait)
    return None
