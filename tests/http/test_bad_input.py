"""Bad input gets a 4xx with a clear message, never a 500 (found in review)."""
import pytest


@pytest.mark.parametrize("query", [
    "adults=%C2%B2",          # '²': str.isdigit() is True, int() raises ValueError
    "children=%D9%A3x",
])
def test_flights_api_unicode_digit(client, query):
    response = client.get(f"/api/flights?origin=JFK&destination=LHR&date=2030-01-01&{query}")
    assert response.status_code < 500, response.get_data(as_text=True)[:300]


def _offer(client):
    from datetime import date, timedelta
    day = (date.today() + timedelta(days=3)).isoformat()
    offers = client.get(f"/api/flights?origin=JFK&destination=LAX&date={day}&adults=1").get_json()["offers"]
    return offers[0]["offerId"]


PAX = {"firstName": "Ada", "lastName": "Lovelace", "dateOfBirth": "1985-12-10", "nationality": "GB"}
CONTACT = {"email": "ada@example.com", "phone": "+12125550100"}


def _accepted():
    from checkout.bookings.acknowledgements import ACKNOWLEDGEMENTS
    return [{"key": a.key, "version": a.version} for a in ACKNOWLEDGEMENTS]


@pytest.mark.parametrize("extra", [
    {"passengers": [dict(PAX, bags="²")]},
    {"fareFamily": ["BASIC"]},
    {"bundle": {"x": 1}},
    {"passengers": [dict(PAX, type=["adult"])]},
    {"passengers": [dict(PAX, seat={"a": 1})]},
    {"passengers": [dict(PAX, bags=10**30)]},
])
def test_create_booking_bad_types(client, extra):
    body = {"offerId": _offer(client), "passengers": [PAX], "contact": CONTACT, "acknowledgements": _accepted()} | extra
    response = client.post("/api/bookings", json=body)
    assert response.status_code < 500, (extra, response.status_code, response.get_data(as_text=True)[:300])


@pytest.mark.parametrize("body", [
    {"bookingReference": "FLY2A-AAAAAA", "paymentIntentId": ["x"]},
    {"bookingReference": {"a": 1}, "email": "x@y.z"},
])
def test_payments_api_bad_types(client, body):
    for url in ("/api/payments/confirm", "/api/payments/create-intent"):
        response = client.post(url, json=body)
        assert response.status_code < 500, (url, response.get_data(as_text=True)[:300])


def test_staff_login_next_array(client):
    assert client.get("/staff/login?next=%5C%5Cevil.com").status_code < 500


def test_api_booking_with_a_wrongly_typed_choice_is_422_and_stores_nothing(app, client):
    from sqlalchemy import func, select

    from checkout.extensions import db
    from checkout.models import Booking
    body = {"offerId": _offer(client), "passengers": [PAX], "contact": CONTACT, "bundle": {"x": 1},
            "acknowledgements": _accepted()}
    response = client.post("/api/bookings", json=body)
    assert response.status_code == 422 and "bundle" in response.get_json()["error"]["fields"]
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Booking)).scalar() == 0


def test_customize_seat_for_unicode_digit(checkout):
    checkout.select_first(origin="JFK", destination="LAX")
    response = checkout.get("/customize?seat_for=%C2%B2")
    assert response.status_code < 500


def test_customize_bags_unicode_digit(checkout):
    checkout.select_first(origin="JFK", destination="LAX")
    response = checkout.post("/customize", {"action": "update", "extras_shown": "1", "bags-0": "\u00b2"})
    assert response.status_code < 500
