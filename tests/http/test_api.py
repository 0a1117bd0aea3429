"""The JSON API: offers and one-call bookings, with field errors, never a stack trace."""
from datetime import date, timedelta

from sqlalchemy import select

from checkout.catalog.search import flight_for_offer
from checkout.extensions import db
from checkout.models import Booking
from tests.conftest import travel_day
from tests.seats_support import free_seat


def _offer(client, origin="JFK", destination="LHR", adults=1):
    body = client.get(f"/api/flights?origin={origin}&destination={destination}&date={travel_day()}&adults={adults}").get_json()
    return body["offers"][0]


def _passenger(**overrides):
    p = {"type": "adult", "firstName": "Ada", "lastName": "Lovelace", "dateOfBirth": "1985-12-10",
         "nationality": "GB", "passportNumber": "X1234567", "passportExpiry": (date.today() + timedelta(days=3000)).isoformat()}
    p.update(overrides)
    return p


def test_offers_have_ids_times_and_fares_in_minor_units(client):
    body = client.get(f"/api/flights?origin=JFK&destination=LHR&date={travel_day()}&adults=2").get_json()
    assert len(body["offers"]) >= 2
    offer = body["offers"][0]
    assert offer["offerId"].startswith("off_") and offer["departure"].endswith("-05:00") or offer["departure"].endswith("-04:00")
    assert {f["fareFamily"] for f in offer["fares"]} == {"BASIC", "STANDARD", "FLEX", "BUSINESS"}
    assert all(isinstance(f["amount"], int) and f["currency"] == "USD" for f in offer["fares"])
    # Domestic narrow-body flights sell no Business fare.
    domestic = client.get(f"/api/flights?origin=JFK&destination=LAX&date={travel_day()}").get_json()["offers"][0]
    assert "BUSINESS" not in {f["fareFamily"] for f in domestic["fares"]}


def test_search_errors_are_json_422_with_fields(client):
    response = client.get("/api/flights?origin=J&destination=LHR&date=tomorrow&adults=x")
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert set(fields) == {"origin", "date", "adults"}


def test_create_booking_returns_201_with_reference_and_the_server_amount(client, app):
    offer = _offer(client)
    basic = next(f["amount"] for f in offer["fares"] if f["fareFamily"] == "BASIC")
    response = client.post("/api/bookings", json={
        "offerId": offer["offerId"], "fareFamily": "BASIC", "passengers": [_passenger(bags=1)],
        "contact": {"email": "ada@example.com", "phone": "+44 20 7946 0958"}, "amount": 1})
    body = response.get_json()
    assert response.status_code == 201, body
    assert body["status"] == "PENDING_PAYMENT" and body["bookingReference"].startswith("FLY2A-")
    assert body["amount"] == basic + 3500 and body["currency"] == "USD"
    with app.app_context():
        booking = db.session.get(Booking, body["bookingId"])
        assert booking.total_amount == body["amount"] and booking.contact_phone == "+442079460958"
        assert booking.channel == "api" and len(booking.acknowledgements) == 4


def test_create_booking_with_a_seat_and_an_infant_given_first(client, app):
    offer = _offer(client, "JFK", "LAX")
    with app.app_context():
        seat = free_seat(flight_for_offer(offer["offerId"]))
    infant_dob = (date.today() - timedelta(days=300)).isoformat()
    response = client.post("/api/bookings", json={
        "offerId": offer["offerId"], "fareFamily": "STANDARD",
        "passengers": [_passenger(type="infant", firstName="Baby", dateOfBirth=infant_dob), _passenger(seat=seat)],
        "contact": {"email": "ada@example.com", "phone": "+1 212 555 0100"}})
    body = response.get_json()
    assert response.status_code == 201, body
    with app.app_context():
        booking = db.session.get(Booking, body["bookingId"])
        assert [p.passenger_type for p in booking.passengers] == ["adult", "infant"]
        assert booking.passengers[0].seat_code == seat


def test_invalid_passengers_are_422_with_camel_case_fields_and_nothing_stored(client, app):
    offer = _offer(client)
    response = client.post("/api/bookings", json={
        "offerId": offer["offerId"], "passengers": [_passenger(firstName="R2D2", passportExpiry="2000-01-01")],
        "contact": {"email": "nope", "phone": ""}})
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert set(fields) == {"passengers.0.firstName", "passengers.0.passportExpiry", "contact.email", "contact.phone"}
    with app.app_context():
        assert db.session.execute(select(Booking)).first() is None


def test_unknown_offer_and_non_json_bodies(client):
    response = client.post("/api/bookings", json={"offerId": "off_999999", "passengers": [_passenger()]})
    assert response.status_code == 422 and response.get_json()["error"]["fields"]["offerId"]
    response = client.post("/api/bookings", data="offerId=1")
    assert response.status_code == 415 and response.get_json()["error"]["code"] == "invalid_body"


def test_unknown_api_route_is_json_404(client):
    response = client.get("/api/nothing-here")
    assert response.status_code == 404 and "error" in response.get_json()
