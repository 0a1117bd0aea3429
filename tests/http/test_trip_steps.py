"""A trip through the browser steps without JavaScript (and the seat fragment with htmx):
Select an itinerary offer, a seat map per flight named with it, a seat on each flight,
passengers, review showing every flight, and a total that is pricing's trip total."""
import re

import pytest
from sqlalchemy import func, select

from checkout.catalog.seatmaps import find_seat
from checkout.extensions import db
from checkout.models import Booking, SeatHold
from tests.capacity_support import cabins, free_seats  # noqa: F401 (a fixture)
from tests.conftest import ACKS
from tests.trip_support import connection, expected_total, return_trip

HTMX = {"HX-Request": "true"}
PEOPLE = (("Ada", "Lovelace", "1985-12-10"),)


def a_seat(flight, skip=()) -> str:
    return next(code for code in free_seats(flight, "economy")
                if code not in skip and not find_seat(flight.aircraft, code).is_exit_row)


def labels(itinerary) -> list[str]:
    return [f.label for f in itinerary.flights]


@pytest.mark.parametrize("make_trip", [return_trip, connection], ids=["return", "connection"])
def test_a_trip_through_the_steps_with_a_seat_on_every_flight(app, checkout, make_trip):
    with app.app_context():
        trip = make_trip()
        offer_id, flights, names = trip.offer_id, trip.flights, labels(trip)
        seats = [a_seat(f) for f in flights]
    checkout.get(f"/flights?origin=JFK&destination=LHR&date={flights[0].departure_date}&adults=1")
    assert checkout.post("/select", {"offer_id": offer_id, "adults": 1}).status_code == 303

    html = checkout.get("/customize").get_data(as_text=True)
    assert f"Seat for passenger 1 on {names[0]}" in html
    assert all(f"Flight {n + 1}: {name}" in html for n, name in enumerate(names))  # a map per flight
    html = checkout.get("/customize?seat_segment=1").get_data(as_text=True)
    assert f"Seat for passenger 1 on {names[1]}" in html

    # Without JavaScript: the seat on the second flight, and back to that flight's map.
    response = checkout.post("/customize", {"action": "update", "seat_passenger": "0", "seat_segment": "1",
                                            "seat": seats[1], "extras_shown": "1"})
    assert response.status_code == 303 and response.location == f"/customize?seat_for=0&seat_segment=1#seat-{seats[1]}"
    # With htmx, on the first flight: only what changed comes back (the seat, not the map).
    fragment = checkout.post("/customize/seat", {"seat_passenger": "0", "seat_segment": "0", "seat": seats[0]},
                             headers=HTMX).get_data(as_text=True)
    assert f'id="seat-{seats[0]}"' in fragment and fragment.count('class="seat ') <= 3
    assert f"Passenger 1 (adult): {seats[0]}" in fragment  # the tab of the first flight's map

    checkout.get("/passengers")
    assert checkout.post("/passengers", checkout.passengers_form(PEOPLE)).status_code == 303
    review = checkout.get("/review").get_data(as_text=True)
    for name, seat in zip(names, seats):
        assert name in review and f"{name}: {seat}" in review
    if make_trip is connection:
        assert "1 stop" in review and "Layover" in review
    else:
        assert "Outbound" in review and "Return" in review
    shown = int(re.search(r'data-total="(\d+)"', review).group(1))
    assert checkout.post("/review", {f"ack_{k}": "y" for k in ACKS}).status_code == 303
    with app.app_context():
        booking = db.session.execute(select(Booking)).scalar_one()
        assert booking.status == "PENDING_PAYMENT"
        assert booking.total_amount == shown == expected_total(booking, trip, [seats])
        held = {(h.flight_id, h.seat_code) for h in db.session.execute(select(SeatHold).where(
            SeatHold.booking_id == booking.id)).scalars()}
        assert held == {(f.id, s) for f, s in zip(flights, seats)}


def test_selecting_a_connection_whose_second_flight_is_full_names_it_and_books_nothing(app, checkout, cabins):
    with app.app_context():
        trip = connection()
        cabins.fill(trip.flights[1], "economy", leave=0)
        offer_id, number = trip.offer_id, trip.flights[1].flight_number
    checkout.get("/")
    response = checkout.post("/select", {"offer_id": offer_id, "adults": 1})
    assert response.status_code == 409
    assert f"sold out on flight {number}" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Booking)).scalar() == 0
