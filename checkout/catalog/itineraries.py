"""Trips: an itinerary is one or more slices (one per direction or leg), each one or more
flights (segments). Two flights in a slice are a one-stop connection.

This module owns the rules of what may be joined (connection times) and the offer id that
names a whole itinerary, so search, the browser's Select and `POST /api/bookings` agree.

Offer ids: ``off_`` then the slices separated by ``_``, each slice its flight ids joined by
``-``. ``off_12`` is one flight one way (the id every booking had before trips),
``off_12-13`` a connection, ``off_12_40`` a return trip.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import Flight
from ..parsing import as_id

MAX_SLICES = 4  # multi-city: up to four legs
MAX_SEGMENTS_PER_SLICE = 2  # nonstop or one stop
# Minimum connection time: the shortest time to change planes at the connecting airport.
MIN_CONNECTION_DOMESTIC = timedelta(minutes=60)
MIN_CONNECTION_INTERNATIONAL = timedelta(minutes=90)
MAX_CONNECTION = timedelta(hours=6)


@dataclass(frozen=True)
class Slice:
    """One direction or leg: its flights in order of travel."""
    flights: tuple[Flight, ...]

    @property
    def first(self) -> Flight:
        return self.flights[0]

    @property
    def last(self) -> Flight:
        return self.flights[-1]

    @property
    def stops(self) -> int:
        return len(self.flights) - 1

    @property
    def minutes(self) -> int:
        return int((self.last.arrives_at - self.first.departs_at).total_seconds() // 60)

    @property
    def international(self) -> bool:
        return any(f.international for f in self.flights)


@dataclass(frozen=True)
class Itinerary:
    slices: tuple[Slice, ...]

    @property
    def flights(self) -> list[Flight]:
        """Every segment of the trip, in order of travel."""
        return [f for s in self.slices for f in s.flights]

    @property
    def international(self) -> bool:
        """Passports are asked for when any segment crosses a border."""
        return any(s.international for s in self.slices)

    @property
    def offer_id(self) -> str:
        return "off_" + "_".join("-".join(str(f.id) for f in s.flights) for s in self.slices)


def minimum_connection(arriving: Flight, leaving: Flight) -> timedelta:
    """Domestic to domestic is quicker than any change that crosses a border (customs)."""
    if arriving.international or leaving.international:
        return MIN_CONNECTION_INTERNATIONAL
    return MIN_CONNECTION_DOMESTIC


def connects(arriving: Flight, leaving: Flight) -> bool:
    """Whether a traveller landing on `arriving` can make `leaving`: same airport, enough time."""
    if leaving.origin_code != arriving.destination_code:
        return False
    gap = leaving.departs_at - arriving.arrives_at
    return minimum_connection(arriving, leaving) <= gap <= MAX_CONNECTION


def problem(itinerary: Itinerary) -> str | None:
    """Why this itinerary cannot be sold as one trip, or None."""
    if not 1 <= len(itinerary.slices) <= MAX_SLICES:
        return "A trip has one to four flights' legs."
    previous = None
    for s in itinerary.slices:
        if not 1 <= len(s.flights) <= MAX_SEGMENTS_PER_SLICE:
            return "We sell nonstop flights and one-stop connections."
        for a, b in zip(s.flights, s.flights[1:]):
            if not connects(a, b):
                return f"Flight {b.flight_number} does not connect with flight {a.flight_number}."
        if previous is not None and s.first.departs_at <= previous.last.arrives_at:
            return "Each leg of the trip must leave after the one before it lands."
        previous = s
    return None


def parse_offer_id(offer_id: str) -> list[list[int]] | None:
    """The flight ids of each slice named by an offer id, or None when it names nothing."""
    if not isinstance(offer_id, str) or not offer_id.startswith("off_") or len(offer_id) > 200:
        return None
    slices = []
    for part in offer_id[4:].split("_"):
        ids = [as_id(piece) for piece in part.split("-")]
        if not ids or any(i is None for i in ids):
            return None
        slices.append(ids)
    if not 1 <= len(slices) <= MAX_SLICES or any(len(s) > MAX_SEGMENTS_PER_SLICE for s in slices):
        return None
    return slices


def itinerary_for_offer(offer_id: str) -> Itinerary | None:
    """The itinerary an offer id names, when every flight exists and the trip can be sold."""
    ids = parse_offer_id(offer_id)
    if ids is None:
        return None
    wanted = {i for s in ids for i in s}
    flights = {f.id: f for f in db.session.execute(select(Flight).where(Flight.id.in_(wanted))).scalars()}
    if len(flights) != len(wanted):
        return None
    itinerary = Itinerary(tuple(Slice(tuple(flights[i] for i in s)) for s in ids))
    return itinerary if problem(itinerary) is None else None
