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

WORKERS = 4
ROUNDS = 120  # 480 drafts; each round serializes on the hottest seat, ~0.1 s
PLACES = 3  # free on the connecting flight (LHR-CDG) at the start of every round


def test_drafts_racing_for_the_last_places_on_a_connection_never_oversell_a_flight(app, cabins):
    with app.app_context():
        trip = connection(days_ahead=5)
        first, second = trip.flights
        cabins.fill(second, "economy", leave=PLACES)
        cabins.fill(first, "economy", leave=PLACES + 3)
        # The connection, or its second flight alone: {offer id: its flights}.
        offers = {trip.offer_id: (first.id, second.id), f"off_{second.id}": (second.id,)}
        numbers = {first.id: first.flight_number, second.id: second.flight_number}
    start, done = threading.Barrier(WORKERS + 1, timeout=60), threading.Barrier(WORKERS + 1, timeout=60)
    booked: list[tuple[int, int, tuple[int, ...]]] = []  # (booking, seated passengers, flights)
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
                    offer = rng.choice([*offers] + [trip.offer_id] * 2)
                    party = Party(rng.choice((1, 1, 2)))
                    booked.append((service.create_draft(itinerary_for_offer(offer), party).id, party.seated,
                                   offers[offer]))
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
                held = _places_held([b for b, _, _ in booked])
                expected = {(b, flight): seated for b, seated, flights in booked for flight in flights}
                if held != expected:
                    problems.append(f"round {n}: places held {held}, one per seated passenger would be {expected}")
                on_second = sum(count for (_, flight), count in held.items() if flight == second.id)
                if on_second > PLACES:
                    problems.append(f"round {n}: {on_second} passengers on {second.flight_number} for {PLACES} places")
                sold_out_rounds += on_second == PLACES
                db.session.execute(delete(SeatHold).where(SeatHold.booking_id.in_([b for b, _, _ in booked])))
                db.session.execute(delete(Booking).where(Booking.id.in_([b for b, _, _ in booked])))
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


def _places_held(booking_ids: list[int]) -> dict[tuple[int, int], int]:
    """{(booking, flight): places it holds there}, for the round's drafts, in one statement."""
    return {(booking, flight): count for booking, flight, count in db.session.execute(
        select(SeatHold.booking_id, SeatHold.flight_id, func.count())
        .where(SeatHold.booking_id.in_(booking_ids)).group_by(SeatHold.booking_id, SeatHold.flight_id))}
