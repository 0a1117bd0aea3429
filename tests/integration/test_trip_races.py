"""Drafts of trips racing for the last places, on PostgreSQL (issue 18).

Each round, WORKERS travellers at once draft the JFK-London-Paris connection or the London-
Paris flight alone, one or two passengers each, for the last few places on the connecting
flight (and a few more on the first). Places are taken flight by flight in one order
(seat_holds.lock_order), so no round deadlocks; whatever the interleaving, nobody is sold a
place that is not there: every draft holds one place per seated passenger on every flight
of its trip, the connecting flight never takes more passengers than it had places, and a
refusal names the full flight.
"""
from __future__ import annotations

import random
import threading
import time
from collections import Counter

from sqlalchemy import delete, func, select

from checkout.bookings import service
from checkout.catalog.itineraries import itinerary_for_offer
from checkout.catalog.search import Party
from checkout.extensions import db
from checkout.models import Booking, SeatHold
from tests.capacity_support import cabins  # noqa: F401 (a fixture)
from tests.trip_support import connection

WORKERS = 8
ROUNDS = 150
PLACES = 3  # free on the connecting flight (LHR-CDG) at the start of every round


def test_drafts_racing_for_the_last_places_on_a_connection_never_oversell_a_flight(app, cabins):
    with app.app_context():
        trip = connection(days_ahead=5)
        first, second = trip.flights
        cabins.fill(second, "economy", leave=PLACES)
        cabins.fill(first, "economy", leave=PLACES + 3)
        offers = [trip.offer_id, f"off_{second.id}"]  # the connection, or its second flight alone
        numbers = {first.id: first.flight_number, second.id: second.flight_number}
    start, done = threading.Barrier(WORKERS + 1, timeout=60), threading.Barrier(WORKERS + 1, timeout=60)
    booked: list[int] = []
    refused: Counter = Counter()
    errors: list[str] = []
    stop = False

    def traveller(i: int) -> None:
        rng = random.Random(i)
        with app.app_context():
            while True:
                start.wait()
                if stop:
                    return
                try:
                    itinerary = itinerary_for_offer(offers[rng.random() < 0.25])
                    booked.append(service.create_draft(itinerary, Party(rng.choice((1, 1, 2)))).id)
                except service.CabinFull as err:
                    refused[next((n for n in numbers.values() if f"flight {n}" in err.message), err.message)] += 1
                except Exception as err:  # noqa: BLE001 - a deadlock or crash fails the test, never hangs it
                    errors.append(f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}")
                finally:
                    db.session.remove()
                done.wait()

    threads = [threading.Thread(target=traveller, args=(i,), daemon=True) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    problems, sold_out_rounds, started = [], 0, time.monotonic()
    try:
        for n in range(ROUNDS):
            start.wait()
            done.wait()
            with app.app_context():
                problems += _oversold(booked, numbers, n)
                if _passengers_on(booked, second.id) == PLACES:
                    sold_out_rounds += 1
                db.session.execute(delete(SeatHold).where(SeatHold.booking_id.in_(booked)))
                db.session.execute(delete(Booking).where(Booking.id.in_(booked)))
                db.session.commit()
            booked.clear()
    finally:
        stop = True
        start.wait()
        for thread in threads:
            thread.join(10)
    print(f"\n{ROUNDS} rounds of {WORKERS} drafts in {time.monotonic() - started:.1f}s; refused {dict(refused)}; "
          f"{sold_out_rounds} rounds filled the connecting flight")
    assert errors == [] and problems == []
    # The race was real: the connecting flight filled up, and travellers were told it was full, by name.
    assert sold_out_rounds > ROUNDS // 2 and refused[numbers[second.id]] > 0
    assert set(refused) <= set(numbers.values())


def _passengers_on(booking_ids: list[int], flight_id: int) -> int:
    return db.session.execute(select(func.count()).select_from(SeatHold).where(
        SeatHold.booking_id.in_(booking_ids), SeatHold.flight_id == flight_id)).scalar()


def _oversold(booking_ids: list[int], numbers: dict[int, str], round_number: int) -> list[str]:
    """What is wrong after a round: a draft not holding exactly one place per seated passenger
    on each of its flights, or the connecting flight holding more than it had free."""
    problems = []
    for booking_id in booking_ids:
        booking = service.get_booking(booking_id)
        for segment in booking.segments:
            holders = sorted(db.session.execute(select(SeatHold.passenger_id).where(
                SeatHold.booking_id == booking_id, SeatHold.flight_id == segment.flight_id)).scalars())
            if holders != sorted(p.id for p in booking.seated_passengers):
                problems.append(f"round {round_number}: booking {booking_id} holds {holders} on {segment.label}")
    on_second = _passengers_on(booking_ids, list(numbers)[1])
    if on_second > PLACES:
        problems.append(f"round {round_number}: {on_second} passengers on {list(numbers.values())[1]} for {PLACES} places")
    return problems
