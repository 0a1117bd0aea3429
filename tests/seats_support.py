"""The one way a test picks a seat: ask the database which seats are free right now.

The demo seed sells about a fifth of every flight's seats, chosen by hashing the flight
number, the DATE and the seat, so any seat code written into a test is sold on some days
and the test fails on those days only. Tests name the kind of seat they need instead and
get one the seat map would show as free today.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from checkout.bookings.seat_holds import unavailable_seats
from checkout.catalog.seatmaps import seat_rows
from checkout.clock import utcnow
from checkout.models import Flight


def free_seat(flight: Flight, *, cabin: str = "economy", kind: str | None = None, position: str | None = None,
              exclude: Iterable[str] = (), now: datetime | None = None) -> str:
    """The code of the frontmost seat on `flight` nobody holds or has bought at `now`.

    `kind` is a seat type from checkout.catalog.seatmaps ("standard", "preferred",
    "extra_legroom", "exit", "business"); `position` is "window", "middle" or "aisle";
    `exclude` are codes the test has already given to someone else.
    """
    taken = unavailable_seats(flight.id, None, now or utcnow()) | set(exclude)
    for seat_cabin, _, blocks in seat_rows(flight.aircraft):
        if seat_cabin != cabin:
            continue
        for seat in (seat for block in blocks for seat in block):
            if seat.code in taken or (kind and seat.seat_type != kind) or (position and seat.position != position):
                continue
            return seat.code
    raise LookupError(f"no free {cabin} seat (kind={kind}, position={position}) on {flight.flight_number} "
                      f"departing {flight.departs_at:%Y-%m-%d %H:%M} UTC")
