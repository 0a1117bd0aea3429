"""The flight as a calendar event (RFC 5545), for "Add to calendar" on the confirmation page.

Times are UTC ("Z"): every calendar shows them in its owner's zone, so nothing here depends
on where the traveller is. The icalendar package escapes the text and folds long lines.
"""
from __future__ import annotations

from icalendar import Calendar, Event

from ..clock import utcnow
from ..models import Booking


def flight_event(booking: Booking) -> bytes:
    flight = booking.flight
    event = Event()
    # Stable per booking and flight, so importing the file again updates the event, not a copy.
    event.add("uid", f"{booking.reference}-{flight.flight_number}@fly2any")
    event.add("dtstamp", utcnow())
    event.add("dtstart", flight.departs_at)
    event.add("dtend", flight.arrives_at)
    event.add("summary", f"Flight {flight.flight_number} {flight.origin.city} ({flight.origin_code}) to "
                         f"{flight.destination.city} ({flight.destination_code})")
    event.add("location", f"{flight.origin.name} ({flight.origin_code})")
    event.add("description", f"Booking {booking.reference}. Check in online from 24 hours before departure.")
    calendar = Calendar()
    calendar.add("prodid", "-//Fly2Any//Checkout//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add_component(event)
    return calendar.to_ical()


def calendar_filename(booking: Booking) -> str:
    return f"Fly2Any-{booking.reference}.ics"
