"""Seat holds: one claim per seat per flight, enforced by the database.

Taking a seat is a single INSERT ... ON CONFLICT DO UPDATE whose WHERE clause only lets
it replace a hold that has expired (or that is already ours). Two travellers racing for
one seat therefore cannot both win, whatever the interleaving.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, delete, or_, select, update

from ..extensions import db, upsert_insert
from ..models import SeatHold


def claim(flight_id: int, seat_code: str, booking_id: int, passenger_id: int | None,
          expires_at: datetime | None, now: datetime) -> bool:
    """Hold `seat_code` for the booking until `expires_at` (None = sold). True if we hold it."""
    stmt = upsert_insert(SeatHold).values(
        flight_id=flight_id, seat_code=seat_code, booking_id=booking_id,
        passenger_id=passenger_id, expires_at=expires_at,
    )
    existing = SeatHold.__table__.c
    stmt = stmt.on_conflict_do_update(
        index_elements=["flight_id", "seat_code"],
        set_={"booking_id": booking_id, "passenger_id": passenger_id, "expires_at": expires_at},
        where=and_(
            existing.expires_at.is_not(None),
            or_(existing.expires_at < now, existing.booking_id == booking_id),
        ),
    ).returning(SeatHold.id)
    return db.session.execute(stmt).first() is not None


def release(booking_id: int, seat_codes: list[str] | None = None) -> None:
    """Give back a booking's unsold holds (all of them, or just `seat_codes`)."""
    stmt = delete(SeatHold).where(SeatHold.booking_id == booking_id, SeatHold.expires_at.is_not(None))
    if seat_codes is not None:
        stmt = stmt.where(SeatHold.seat_code.in_(seat_codes))
    db.session.execute(stmt)


def extend(booking_id: int, expires_at: datetime | None) -> None:
    """Move the expiry of a booking's holds (None makes them sold)."""
    db.session.execute(
        update(SeatHold).where(SeatHold.booking_id == booking_id, SeatHold.expires_at.is_not(None))
        .values(expires_at=expires_at)
    )


def unavailable_seats(flight_id: int, booking_id: int | None, now: datetime) -> set[str]:
    """Seats sold or held by someone else right now."""
    rows = db.session.execute(
        select(SeatHold.seat_code).where(
            SeatHold.flight_id == flight_id,
            or_(SeatHold.expires_at.is_(None), SeatHold.expires_at >= now),
            or_(SeatHold.booking_id.is_(None), SeatHold.booking_id != (booking_id or -1)),
        )
    ).scalars()
    return set(rows)
