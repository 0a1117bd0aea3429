"""How many places a flight still has, per cabin: what search shows as seats left or sold out.

Reads the seat holds (owned and written by bookings/seat_holds.py) without changing them, so
the catalogue can show availability without depending on the booking services.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select

from ..extensions import db
from ..models import SeatHold


def live_hold(now: datetime):
    """Sold, or held until now or later: a hold that has not lapsed."""
    return or_(SeatHold.expires_at.is_(None), SeatHold.expires_at >= now)


def places_taken(flight_ids: list[int], now: datetime) -> dict[tuple[int, str], int]:
    """(flight, cabin) -> seats sold or held right now: one GROUP BY for any number of flights."""
    if not flight_ids:
        return {}
    rows = db.session.execute(
        select(SeatHold.flight_id, SeatHold.cabin, func.count())
        .where(SeatHold.flight_id.in_(flight_ids), live_hold(now))
        .group_by(SeatHold.flight_id, SeatHold.cabin)
    ).all()
    return {(flight_id, cabin): count for flight_id, cabin, count in rows}
