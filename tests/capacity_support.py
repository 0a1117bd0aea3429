"""Helpers for capacity tests: fill a cabin to a chosen number of free places.

Seats are never hard-coded: the seed sells about a fifth of every flight by a hash of the
date, so the free seats come from the database and the cabin's seats from checkout's own
seat map. Filler seats are sold without a booking, like the seed's, and removed after.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from checkout.bookings import seat_holds
from checkout.catalog.seatmaps import seats_by_code
from checkout.clock import utcnow
from checkout.extensions import db
from checkout.models import Flight, SeatHold
from tests.conftest import travel_day


def flight_on(number: str, days_ahead: int = 3) -> Flight:
    """The seeded flight `number` departing on travel_day(days_ahead)."""
    day = travel_day(days_ahead)
    flights = db.session.execute(
        select(Flight).where(Flight.flight_number == number, Flight.departs_at > utcnow() + timedelta(hours=2))
        .order_by(Flight.departs_at)
    ).scalars().all()
    return next(f for f in flights if f.departure_date == day)


def cabin_seats(flight: Flight, cabin: str) -> list[str]:
    return [code for code, seat in seats_by_code(flight.aircraft).items() if seat.cabin == cabin]


def free_seats(flight: Flight, cabin: str) -> list[str]:
    """Seats of the cabin nobody holds or has bought right now, per the database."""
    taken = seat_holds.unavailable_seats(flight.id, None, utcnow())
    return [code for code in cabin_seats(flight, cabin) if code not in taken]


def live_holds_in_cabin(flight: Flight, cabin: str) -> list[SeatHold]:
    now = utcnow()
    return [h for h in db.session.execute(select(SeatHold).where(SeatHold.flight_id == flight.id)).scalars()
            if h.seat_code in set(cabin_seats(flight, cabin)) and (h.expires_at is None or h.expires_at >= now)]


class CabinFiller:
    """Sells every free seat of a cabin but `leave`, and gives them back after the test."""

    def __init__(self):
        self.sold: list[tuple[int, str]] = []

    def fill(self, flight: Flight, cabin: str, leave: int = 0) -> list[str]:
        seats = free_seats(flight, cabin)
        assert len(seats) >= leave, "the cabin already has fewer free seats than the test needs"
        now = utcnow()
        for code in seats[leave:]:
            # booking None, expires None: sold before we opened sales, like the seed's seats.
            assert seat_holds.claim(flight.id, code, None, None, None, now)
            self.sold.append((flight.id, code))
        db.session.commit()
        return seats[:leave]

    def empty(self) -> None:
        for flight_id, code in self.sold:
            db.session.execute(delete(SeatHold).where(
                SeatHold.flight_id == flight_id, SeatHold.seat_code == code, SeatHold.booking_id.is_(None)))
        db.session.commit()
        self.sold.clear()


@pytest.fixture
def cabins(app):
    """fill(flight, cabin, leave): a cabin with exactly `leave` free places for this test."""
    filler = CabinFiller()
    yield filler
    with app.app_context():
        filler.empty()
