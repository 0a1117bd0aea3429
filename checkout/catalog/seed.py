"""`flask seed`: the demo catalogue, deterministic for a given start date."""
from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import airportsdata
from sqlalchemy import insert, select

from ..extensions import db
from ..models import Airport, Bundle, FareFamily, Flight, SeatHold
from .data import AIRPORT_CODES, BUNDLES, FARE_FAMILIES, TIMETABLE
from .seatmaps import seats_by_code

TAKEN_SHARE_PERCENT = 22  # seats already sold before the demo starts


def _stable_number(*parts: object) -> int:
    """A deterministic pseudo-random number (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.sha256("|".join(map(str, parts)).encode()).digest()[:4], "big")


def seed_reference_data() -> None:
    """Airports, fare families and bundles: inserted or updated in place."""
    known = airportsdata.load("IATA")
    for code in AIRPORT_CODES:
        row = known[code]
        db.session.merge(Airport(code=code, name=row["name"], city=row["city"], country=row["country"], tz=row["tz"]))
    for fare in FARE_FAMILIES:
        db.session.merge(FareFamily(**fare))
    for bundle in BUNDLES:
        db.session.merge(Bundle(**bundle))
    db.session.commit()


def flight_times(departure_day: date, departs_local, minutes: int, origin_tz: str) -> tuple[datetime, datetime]:
    """UTC departure and arrival of a flight leaving at a local wall-clock time."""
    local = datetime.combine(departure_day, departs_local, tzinfo=ZoneInfo(origin_tz))
    departs = local.astimezone(timezone.utc)
    return departs, departs + timedelta(minutes=minutes)


def seed_flights(start: date, days: int) -> int:
    """Daily flights from `start` for `days` days, with some seats already sold.

    Re-running adds only what is missing, so it can extend the window every day. The
    flights go in as one multi-row INSERT and their sold seats as another (a flush per
    flight made seeding a 60-day demo, and every test database, take seconds).
    """
    zones = dict(db.session.execute(select(Airport.code, Airport.tz)).all())
    existing = set(db.session.execute(select(Flight.flight_number, Flight.departs_at)).all())
    flights, days_of = [], []
    for offset in range(days):
        day = start + timedelta(days=offset)
        for sched in TIMETABLE:
            departs, arrives = flight_times(day, sched.departs_local, sched.minutes, zones[sched.origin])
            if (sched.flight_number, departs) in existing:
                continue
            # Fares move a little with the day of the week, as real ones do.
            weekday_percent = (0, -4, -6, -2, 5, 8, 3)[day.weekday()]
            flights.append({
                "flight_number": sched.flight_number, "origin_code": sched.origin,
                "destination_code": sched.destination, "departs_at": departs, "arrives_at": arrives,
                "aircraft": sched.aircraft, "currency": "USD",
                "base_fare": sched.base_fare * (100 + weekday_percent) // 100,
            })
            days_of.append(day)
    if not flights:
        db.session.commit()
        return 0
    ids = db.session.execute(insert(Flight).returning(Flight.id, sort_by_parameter_order=True), flights).scalars()
    taken = []
    for flight_id, flight, day in zip(ids, flights, days_of):
        taken += [{"flight_id": flight_id, "seat_code": code, "cabin": seat.cabin, "expires_at": None}
                  for code, seat in seats_by_code(flight["aircraft"]).items()
                  if _stable_number(flight["flight_number"], day.isoformat(), code) % 100 < TAKEN_SHARE_PERCENT]
    if taken:
        db.session.execute(insert(SeatHold), taken)
    db.session.commit()
    return len(flights)


def seed_all(start: date, days: int = 60) -> int:
    seed_reference_data()
    return seed_flights(start, days)
