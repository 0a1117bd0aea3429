"""The flight as a calendar event (RFC 5545), for "Add to calendar" on the confirmation page.

Times are UTC ("Z"): every calendar shows them in its owner's zone, so nothing here depends
on where the traveller is.
"""
from __future__ import annotations

from datetime import datetime

from ..clock import utcnow
from ..models import Booking


def _when(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def _text(value: str) -> str:
    """RFC 5545 TEXT: backslash, semicolon, comma and newline escaped."""
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (RFC 5545 3.1)."""
    data = line.encode()
    if len(data) <= 75:
        return line
    parts, chunk = [], b""
    for char in line:
        encoded = char.encode()
        if len(chunk) + len(encoded) > (75 if not parts else 74):
            parts.append(chunk.decode())
            chunk = b""
        chunk += encoded
    parts.append(chunk.decode())
    return "\r\n ".join(parts)


def flight_event(booking: Booking) -> str:
    flight = booking.flight
    summary = (f"Flight {flight.flight_number} {flight.origin.city} ({flight.origin_code}) to "
               f"{flight.destination.city} ({flight.destination_code})")
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Fly2Any//Checkout//EN", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{booking.reference}-{flight.flight_number}@fly2any",
        f"DTSTAMP:{_when(utcnow())}",
        f"DTSTART:{_when(flight.departs_at)}",
        f"DTEND:{_when(flight.arrives_at)}",
        f"SUMMARY:{_text(summary)}",
        f"LOCATION:{_text(f'{flight.origin.name} ({flight.origin_code})')}",
        f"DESCRIPTION:{_text(f'Booking {booking.reference}. Check in online from 24 hours before departure.')}",
        "END:VEVENT", "END:VCALENDAR",
    ]
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"


def calendar_filename(booking: Booking) -> str:
    return f"Fly2Any-{booking.reference}.ics"
