"""Seat holds: one claim per seat per flight, enforced by the database.

Taking a seat is an INSERT that the unique (flight, seat) constraint lets through only when
nobody holds the seat, or an UPDATE whose WHERE clause only lets it replace a hold that has
expired (or that is already ours). Two travellers racing for one seat therefore cannot both
win, whatever the interleaving.

Every seated passenger of a live booking holds a row: the seat they chose, or a place we
assigned in their cabin when they chose none. Places are taken with the same upsert, so a
cabin can never be sold beyond its seats: there is no count to race on, only rows.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, or_, select, update

from ..catalog.availability import live_hold as _live
from ..catalog.availability import places_taken
from ..catalog.seatmaps import cabin_capacity, find_seat, placement_order
from ..extensions import db, insert_if_absent
from ..models import Flight, SeatHold

if TYPE_CHECKING:
    from ..models import Booking


def claim(flight_id: int, seat_code: str, booking_id: int | None, passenger_id: int | None,
          expires_at: datetime | None, now: datetime) -> bool:
    """Hold `seat_code` for the booking until `expires_at` (None = sold). True if we hold it.

    Two statements, each atomic on its own: an INSERT that only succeeds when no row holds
    the seat, then, if one does, an UPDATE that only takes it over when it has lapsed (or is
    already ours). Neither locks a hold it cannot take, so travellers who lose a race for a
    seat never queue behind each other's transactions.
    """
    hold = dict(booking_id=booking_id, passenger_id=passenger_id, expires_at=expires_at)
    if _insert(flight_id, seat_code, hold):
        return True
    taken_over = db.session.execute(
        update(SeatHold).where(*_may_take_over(flight_id, seat_code, booking_id, now))
        .values(**hold).returning(SeatHold.id).execution_options(synchronize_session=False)
    ).first()
    return taken_over is not None


@dataclass(frozen=True)
class Taken:
    """What `take` did: whether we hold the seat, and which of the booking's passengers held it
    before (a place we had assigned them, who now needs another place), if one did."""
    held: bool
    displaced: int | None = None


def take(flight_id: int, seat_code: str, booking_id: int, passenger_id: int,
         expires_at: datetime | None, now: datetime) -> Taken:
    """`claim` for a passenger choosing a seat, also saying whose place the seat was.

    Usually the seat is free: the INSERT alone holds it, and nobody held it before. Only when
    a row is there is it read, locked (FOR UPDATE) and only if it may be taken over (lapsed,
    or already ours), then rewritten by its id: a hold it cannot take is never locked, as in
    `claim`, and the holder read is the one replaced. (The demo's SQLite ignores FOR UPDATE;
    there the INSERT's attempt already took the database's single write lock.)
    """
    hold = dict(booking_id=booking_id, passenger_id=passenger_id, expires_at=expires_at)
    if _insert(flight_id, seat_code, hold):
        return Taken(held=True)
    before = db.session.execute(
        select(SeatHold.id, SeatHold.booking_id, SeatHold.passenger_id)
        .where(*_may_take_over(flight_id, seat_code, booking_id, now)).with_for_update()
    ).first()
    if before is None:
        return Taken(held=False)
    db.session.execute(update(SeatHold).where(SeatHold.id == before.id).values(**hold)
                       .execution_options(synchronize_session=False))
    return Taken(held=True, displaced=before.passenger_id if before.booking_id == booking_id else None)


def _insert(flight_id: int, seat_code: str, hold: dict) -> bool:
    """The seat's row, if nobody has one (the unique (flight, seat) constraint decides)."""
    cabin = find_seat(db.session.get(Flight, flight_id).aircraft, seat_code).cabin
    inserted = db.session.execute(
        insert_if_absent(SeatHold, ("flight_id", "seat_code", "cabin", "booking_id", "passenger_id", "expires_at"),
                         ("flight_id", "seat_code"), "id"),
        dict(flight_id=flight_id, seat_code=seat_code, cabin=cabin, **hold)).first()
    return inserted is not None


def _may_take_over(flight_id: int, seat_code: str, booking_id: int | None, now: datetime) -> tuple:
    """The seat's row, if it is unsold and has lapsed or is already the booking's."""
    return (SeatHold.flight_id == flight_id, SeatHold.seat_code == seat_code, SeatHold.expires_at.is_not(None),
            or_(SeatHold.expires_at < now, SeatHold.booking_id == booking_id))


def release(booking_id: int) -> None:
    """Give back a booking's unsold holds, on every flight of its trip."""
    db.session.execute(delete(SeatHold).where(SeatHold.booking_id == booking_id, SeatHold.expires_at.is_not(None)))


def release_passenger(booking_id: int, passenger_id: int, flight_id: int, keep: str | None = None) -> None:
    """Give back what one passenger holds on one flight (their chosen seat or assigned place), but `keep`."""
    stmt = delete(SeatHold).where(SeatHold.booking_id == booking_id, SeatHold.passenger_id == passenger_id,
                                  SeatHold.flight_id == flight_id, SeatHold.expires_at.is_not(None))
    if keep is not None:
        stmt = stmt.where(SeatHold.seat_code != keep)
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
            _live(now),
            or_(SeatHold.booking_id.is_(None), SeatHold.booking_id != (booking_id or -1)),
        )
    ).scalars()
    return set(rows)


def holders(booking_id: int) -> dict[tuple[int, str], int | None]:
    """The booking's holds on every flight: (flight id, seat code) -> the passenger holding it."""
    return {(flight_id, code): passenger_id for flight_id, code, passenger_id in db.session.execute(
        select(SeatHold.flight_id, SeatHold.seat_code, SeatHold.passenger_id).where(SeatHold.booking_id == booking_id))}


def lock_order(flights):
    """Flights in the one order every booking takes places on them: by id. Within a flight,
    seats are taken in the seat map's placement order, so two bookings taking places on the
    same flights never wait on each other in a cycle (docs/adr/0132)."""
    return sorted(flights, key=lambda f: f.id)


def lock_holds_of(booking_id: int) -> None:
    """Lock a booking's holds flight by flight (lock_order), as every taker of places does:
    for a change that rewrites them all (a reopened draft takes them over)."""
    db.session.execute(select(SeatHold.id).where(SeatHold.booking_id == booking_id)
                       .order_by(SeatHold.flight_id, SeatHold.id).with_for_update())


# -- places: capacity per cabin -----------------------------------------------------

def places_left(flight: Flight, cabin: str, now: datetime) -> int:
    """Seats of the cabin nobody holds right now (for messages; taking a place never counts)."""
    taken = places_taken([flight.id], now).get((flight.id, cabin), 0)
    return max(cabin_capacity(flight.aircraft).get(cabin, 0) - taken, 0)


def assign_places(flight: Flight, cabin: str, booking_id: int, passenger_ids: list[int],
                  expires_at: datetime | None, now: datetime) -> list[str] | None:
    """Hold a free seat in `cabin` for each passenger (a place, not a seat they chose).

    Each seat is taken with `claim`, the same atomic upsert as a chosen seat, so a place is
    never given twice; seats are tried in the seat map's one placement order, so bookings
    taking places at once never wait on each other in a cycle. Returns the seats, or None
    when the cabin has too few free: the caller must roll back what was taken.
    """
    if not passenger_ids:
        return []
    # Seats the booking already holds are skipped too: the upsert would let us take our own.
    busy = set(db.session.execute(
        select(SeatHold.seat_code).where(SeatHold.flight_id == flight.id, SeatHold.cabin == cabin,
                                         or_(_live(now), SeatHold.booking_id == booking_id))
    ).scalars())
    taken: list[str] = []
    for seat in placement_order(flight.aircraft, cabin):
        if seat.code in busy:
            continue
        if claim(flight.id, seat.code, booking_id, passenger_ids[len(taken)], expires_at, now):
            taken.append(seat.code)
            if len(taken) == len(passenger_ids):
                return taken
    return None


@dataclass
class Places:
    """What hold_places found: chosen seats now someone else's, passengers left without a place,
    and the first flight where someone was (for the message)."""
    lost_seats: list[str] = field(default_factory=list)
    missing: int = 0
    short_on: Flight | None = None

    @property
    def complete(self) -> bool:
        return self.missing == 0


def hold_places(booking: Booking, expires_at: datetime | None, now: datetime, *,
                reassign_lost_seats: bool) -> Places:
    """Make every seated passenger hold a place in the booking's cabin on every flight of the
    trip until `expires_at` (None = sold): their chosen seat there, else the place they were
    assigned, else a free one. Flights are taken in `lock_order`.

    A chosen seat someone else took meanwhile is reported in `lost_seats` ("12A on FA100
    JFK→LHR" when the trip has several flights); with `reassign_lost_seats` the choice is
    dropped and a place assigned instead, without it that passenger counts as missing (a sale
    must get the very seats that were paid for). Nothing is committed; when the result is not
    complete the caller rolls back.
    """
    result = Places()
    held = holders(booking.id)
    several = len(booking.segments) > 1
    segment_of = {s.flight_id: s for s in booking.segments}
    for flight in lock_order(s.flight for s in booking.segments):
        segment = segment_of[flight.id]
        held_by = {passenger_id: code for (flight_id, code), passenger_id in held.items() if flight_id == flight.id}
        placeless = []
        for passenger in booking.seated_passengers:
            chosen = passenger.seat_on(segment)
            seat_code = chosen or held_by.get(passenger.id)
            if seat_code and claim(flight.id, seat_code, booking.id, passenger.id, expires_at, now):
                continue
            if chosen:
                result.lost_seats.append(f"{chosen} on {segment.label}" if several else chosen)
                if not reassign_lost_seats:
                    result.missing += 1
                    result.short_on = result.short_on or flight
                    continue
                passenger.set_seat(segment, None)
            placeless.append(passenger.id)
        if placeless and assign_places(flight, booking.fare_family.cabin, booking.id, placeless,
                                       expires_at, now) is None:
            result.missing += len(placeless)
            result.short_on = result.short_on or flight
    return result
