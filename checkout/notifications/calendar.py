"""The trip as calendar events (RFC 5545), one per flight, for "Add to calendar" on the confirmation page.

Times are UTC ("Z"): every calendar shows them in its owner's zone, so nothing here depends
on where the traveller is. The icalendar package escapes the text and folds long lines.
"""
from __future__ import annotations

from datetime import timezone

from icalendar import Calendar, Event

from ..clock import utcnow
from ..models import Booking, Flight


def segment_uid(booking: Booking, flight: Flight, numbers: list[str]) -> str:
    """Stable per booking and flight, so importing the file again updates each event, not a copy.
    The flight number names the flight within a booking ("FLY2A-K7M3QX-FA100", as before
    trips); a trip that flies one number twice (FA100 out on Monday and again on Friday)
    tells those apart by the departure's UTC day."""
    uid = f"{booking.reference}-{flight.flight_number}"
    if numbers.count(flight.flight_number) > 1:
        uid += f"-{flight.departs_at.astimezone(timezone.utc):%Y%m%d}"
    return f"{uid}@fly2any"


def trip_calendar(booking: Booking) -> bytes:
    """One event per flight of the trip, in travel order."""
    flights = [segment.flight for segment in booking.segments]
    numbers = [flight.flight_number for flight in flights]
    calendar = Calendar()
    calendar.add("prodid", "-//Fly2Any//Checkout//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    stamp = utcnow()
    for position, flight in enumerate(flights):
        event = Event()
        event.add("uid", segment_uid(booking, flight, numbers))
        event.add("dtstamp", stamp)
        event.add("dtstart", flight.departs_at)
        event.add("dtend", flight.arrives_at)
        event.add("summary", f"Flight {flight.flight_number} {flight.origin.city} ({flight.origin_code}) to "
                             f"{flight.destination.city} ({flight.destination_code})")
        event.add("location", f"{flight.origin.name} ({flight.origin_code})")
        trip = f" Flight {position + 1} of {len(flights)} of your trip." if len(flights) > 1 else ""
        event.add("description", f"Booking {booking.reference}.{trip} "
                                 "Check in online from 24 hours before departure.")
        calendar.add_component(event)
    return calendar.to_ical()


def calendar_filename(booking: Booking) -> str:
    return f"Fly2Any-{booking.reference}.ics"
