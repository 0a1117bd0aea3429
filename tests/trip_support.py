"""Trips from the demo timetable for tests: found by the catalogue's own connection rules,
never by hard-coded times (the JFK-London-Paris connection shifts with summer time)."""
from __future__ import annotations

from checkout import pricing
from checkout.catalog import search
from checkout.catalog.itineraries import Itinerary, Slice, connects
from checkout.catalog.seatmaps import find_seat
from checkout.models import Booking
from tests.capacity_support import flight_on

TO_LONDON = ("FA100", "FA104")  # JFK->LHR
TO_PARIS = ("FA150", "FA152")  # LHR->CDG


def connection(days_ahead: int = 3) -> Itinerary:
    """JFK->CDG via London, leaving New York on travel_day(days_ahead)."""
    for first in TO_LONDON:
        arriving = flight_on(first, days_ahead)
        for second in TO_PARIS:
            for day in (days_ahead, days_ahead + 1):
                leaving = flight_on(second, day)
                if connects(arriving, leaving):
                    return Itinerary((Slice((arriving, leaving)),))
    raise AssertionError(f"no JFK-LHR-CDG connection on day +{days_ahead}")


def return_trip(days_ahead: int = 3, nights: int = 2) -> Itinerary:
    """JFK->LHR on FA100, back LHR->JFK on FA101 `nights` later."""
    return Itinerary((Slice((flight_on("FA100", days_ahead),)), Slice((flight_on("FA101", days_ahead + nights),))))


def expected_total(booking: Booking, itinerary, seats: list[list[str | None]]) -> int:
    """What pricing makes of the trip at today's fares with these seats (per passenger, per flight)."""
    flights = itinerary.flights
    return pricing.quote(
        segments=search.segments_of(itinerary), currency="USD", fare=search.fare_terms(booking.fare_family),
        passengers=[pricing.PassengerChoice(p.passenger_type, p.checked_bags,
                                            seats=tuple(find_seat(f.aircraft, code) if code else None
                                                        for f, code in zip(flights, seats[p.position])))
                    for p in booking.passengers],
    ).total
