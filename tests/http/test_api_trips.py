"""Trips through the JSON API: a return trip and a one-stop connection searched, booked in
one call with a seat on each flight, and read back slice by slice; Secure Flight's fields."""
import itertools

import pytest

from checkout.catalog.itineraries import itinerary_for_offer
from tests.conftest import travel_day
from tests.http.test_api import _accepted, _passenger
from tests.seats_support import free_seat

_addresses = (f"10.89.{i // 250}.{i % 250 + 1}" for i in itertools.count())
CONTACT = {"email": "ada@example.com", "phone": "+44 20 7946 0958"}


@pytest.fixture
def client(app):
    """Each test books from its own address (bookings are limited per address)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = next(_addresses)
    return client


def _search(client, query: str) -> list[dict]:
    response = client.get(f"/api/flights?{query}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["offers"]


def _route(slice_: dict) -> list[str]:
    return [slice_["segments"][0]["origin"], *(s["destination"] for s in slice_["segments"])]


def _book_and_read(client, app, offer: dict, passengers: int, seats_on: list[bool]) -> tuple[dict, dict, list]:
    """Book `offer` for adults with a free seat on the flights where `seats_on` says so; the
    201 answer, the booking read back by its traveller, and the seats chosen per passenger."""
    with app.app_context():
        flights = itinerary_for_offer(offer["offerId"]).flights
        seats, taken = [], set()
        for _ in range(passengers):
            mine = [free_seat(f, exclude=taken) if wanted else None for f, wanted in zip(flights, seats_on)]
            taken |= set(filter(None, mine))
            seats.append(mine)
    response = client.post("/api/bookings", json={
        "offerId": offer["offerId"], "fareFamily": "STANDARD", "contact": CONTACT, "acknowledgements": _accepted(client),
        "passengers": [_passenger(firstName=name, seats=mine) for name, mine in zip(["Ada", "Grace", "Mary"], seats)]})
    created = response.get_json()
    assert response.status_code == 201, created
    detail = client.get(f"/api/bookings/{created['bookingId']}", headers={
        "X-Booking-Reference": created["bookingReference"], "X-Booking-Email": CONTACT["email"]})
    assert detail.status_code == 200
    return created, detail.get_json(), seats


def _without_seats(slices: list[dict]) -> list[dict]:
    return [{k: v for k, v in s.items() if k != "fareFamily"} | {
        "segments": [{k: v for k, v in g.items() if k != "seats"} for g in s["segments"]]} for s in slices]


def test_a_return_trip_is_searched_booked_with_seats_on_both_flights_and_read_back(client, app):
    out, back = travel_day(3), travel_day(5)
    offers = _search(client, f"origin=JFK&destination=LHR&date={out}&returnDate={back}&adults=2")
    assert offers and all(len(o["slices"]) == 2 for o in offers)
    for offer in offers:
        there, home = offer["slices"]
        assert (_route(there)[0], _route(there)[-1], _route(home)[0], _route(home)[-1]) == ("JFK", "LHR", "LHR", "JFK")
        assert there["departure"].startswith(out.isoformat()) and home["departure"].startswith(back.isoformat())
        assert (offer["departure"], offer["arrival"]) == (there["departure"], there["arrival"])
        assert offer["offerId"].count("_") == 2  # the whole trip: outbound and return
    offer = next(o for o in offers if all(s["stops"] == 0 for s in o["slices"]))
    standard = next(f["amount"] for f in offer["fares"] if f["fareFamily"] == "STANDARD")
    one_way = _search(client, f"origin=JFK&destination=LHR&date={out}&adults=2")
    alone = next(o for o in one_way if o["slices"][0] == offer["slices"][0])
    assert standard > next(f["amount"] for f in alone["fares"] if f["fareFamily"] == "STANDARD")  # both ways, 2 people

    created, booking, seats = _book_and_read(client, app, offer, passengers=2, seats_on=[True, True])
    assert created["offerId"] == booking["offerId"] == offer["offerId"]
    seat_charges = sum(line["amount"] for line in booking["priceLines"] if line["kind"] == "seat")
    assert created["amount"] == standard + seat_charges  # the trip's total for the party, as offered
    assert _without_seats(booking["slices"]) == offer["slices"]
    for number, slice_ in enumerate(booking["slices"]):
        assert slice_["fareFamily"] == "STANDARD"
        assert slice_["segments"][0]["seats"] == [{"passenger": p, "seat": seats[p][number]} for p in (0, 1)]
    assert booking["passengers"][0]["seat"] == seats[0][0]


def test_jfk_to_paris_is_offered_as_a_connection_via_london_and_booked_with_a_seat_on_the_second_flight(client, app):
    offers = _search(client, f"origin=JFK&destination=CDG&date={travel_day()}")
    assert offers and all(o["slices"][0]["stops"] == 1 for o in offers)  # no nonstop to Paris
    offer = offers[0]
    (trip,) = offer["slices"]
    first, second = trip["segments"]
    assert _route(trip) == ["JFK", "LHR", "CDG"] and first["destination"] == second["origin"]
    assert (offer["origin"], offer["destination"]) == ("JFK", "CDG") and offer["offerId"].count("-") == 1
    assert trip["departure"] == first["departure"] and trip["arrival"] == second["arrival"]

    created, booking, seats = _book_and_read(client, app, offer, passengers=1, seats_on=[False, True])
    assert created["status"] == "PENDING_PAYMENT" and booking["offerId"] == offer["offerId"]
    assert _without_seats(booking["slices"]) == offer["slices"]
    assert [g["seats"] for g in booking["slices"][0]["segments"]] == [
        [{"passenger": 0, "seat": None}], [{"passenger": 0, "seat": seats[0][1]}]]


@pytest.mark.parametrize("query,field", [
    (f"origin=JFK&destination=LHR&date={travel_day(5)}&returnDate={travel_day(4)}", "returnDate"),
    (f"origin=JFK&destination=LHR&date={travel_day(5)}&returnDate=next-week", "returnDate"),
])
def test_a_return_date_before_the_departure_or_unreadable_is_a_422_naming_it(client, query, field):
    response = client.get(f"/api/flights?{query}")
    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == [field]


@pytest.mark.parametrize("given,field", [
    ({"gender": None}, "passengers.0.gender"),
    ({"gender": "male"}, "passengers.0.gender"),
    ({"redressNumber": "12-34"}, "passengers.0.redressNumber"),
    ({"knownTravelerNumber": "TT12345"}, "passengers.0.knownTravelerNumber"),
    ({"dateOfBirth": None}, "passengers.0.dateOfBirth"),
    ({"seats": ["12A", None, "14C"]}, "passengers.0.seats"),  # a one-flight trip
])
def test_secure_flight_details_are_checked_like_the_step(client, given, field):
    offer = _search(client, f"origin=JFK&destination=LAX&date={travel_day()}")[0]
    response = client.post("/api/bookings", json={"offerId": offer["offerId"], "contact": CONTACT,
                                                  "acknowledgements": _accepted(client),
                                                  "passengers": [_passenger(**given)]})
    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == [field]


def test_redress_and_known_traveler_numbers_are_kept(client, app):
    offer = _search(client, f"origin=JFK&destination=LAX&date={travel_day()}")[0]
    response = client.post("/api/bookings", json={
        "offerId": offer["offerId"], "contact": CONTACT, "acknowledgements": _accepted(client),
        "passengers": [_passenger(gender="X", redressNumber="1234-567", knownTravelerNumber="TT 1234567", seats=None)]})
    assert response.status_code == 201, response.get_json()
    from checkout.extensions import db
    from checkout.models import Booking
    with app.app_context():
        (passenger,) = db.session.get(Booking, response.get_json()["bookingId"]).passengers
        assert (passenger.gender, passenger.redress_number, passenger.known_traveler_number) == (
            "X", "1234567", "TT1234567")


def test_two_one_way_offers_joined_are_booked_as_one_return_trip_but_not_out_of_order(client):
    there = _search(client, f"origin=JFK&destination=LHR&date={travel_day(3)}")[-1]["offerId"]
    home = _search(client, f"origin=LHR&destination=JFK&date={travel_day(5)}")[0]["offerId"]
    body = {"contact": CONTACT, "acknowledgements": _accepted(client), "passengers": [_passenger()]}
    backwards = client.post("/api/bookings", json=body | {"offerId": f"{home}_{there[4:]}"})
    assert backwards.status_code == 422 and list(backwards.get_json()["error"]["fields"]) == ["offerId"]
    joined = client.post("/api/bookings", json=body | {"offerId": f"{there}_{home[4:]}"})
    assert joined.status_code == 201, joined.get_json()
    assert joined.get_json()["offerId"] == f"{there}_{home[4:]}"


def test_a_passport_that_expires_before_the_return_flight_is_refused(client):
    """The passport must outlive the whole trip, not only its first flight."""
    out, back = travel_day(3), travel_day(5)
    offer = _search(client, f"origin=JFK&destination=LHR&date={out}&returnDate={back}")[0]
    answer = client.post("/api/bookings", json={
        "offerId": offer["offerId"], "contact": CONTACT, "acknowledgements": _accepted(client),
        "passengers": [_passenger(passportExpiry=travel_day(4).isoformat())]})
    assert answer.status_code == 422
    assert list(answer.get_json()["error"]["fields"]) == ["passengers.0.passportExpiry"]
