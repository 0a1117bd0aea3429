"""Bad input gets a 4xx with a clear message, never a 500 (found in review)."""
import pytest


@pytest.mark.parametrize("query, field", [
    ("adults=%C2%B2", "adults"),          # '²': str.isdigit() is True, int() raises ValueError
    ("children=%D9%A3x", "children"),
])
def test_flights_api_unicode_digit(client, query, field):
    response = client.get(f"/api/flights?origin=JFK&destination=LHR&date=2030-01-01&{query}")
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert response.get_json()["error"]["fields"] == {field: "Must be a whole number."}


def _offer(client):
    from datetime import date, timedelta
    day = (date.today() + timedelta(days=3)).isoformat()
    offers = client.get(f"/api/flights?origin=JFK&destination=LAX&date={day}&adults=1").get_json()["offers"]
    return offers[0]["offerId"]


PAX = {"firstName": "Ada", "lastName": "Lovelace", "dateOfBirth": "1985-12-10", "gender": "F", "nationality": "GB"}
CONTACT = {"email": "ada@example.com", "phone": "+12125550100"}


def _accepted():
    from checkout.bookings.acknowledgements import ACKNOWLEDGEMENTS
    return [{"key": a.key, "version": a.version} for a in ACKNOWLEDGEMENTS]


@pytest.mark.parametrize("extra, field, message", [
    ({"passengers": [dict(PAX, bags="²")]}, "passengers.0.bags", "Give the number of checked bags, 0 to 3."),
    ({"fareFamily": ["BASIC"]}, "fareFamily", "Give a code as a string, e.g. STANDARD."),
    ({"bundle": {"x": 1}}, "bundle", "Give a code as a string, e.g. STANDARD."),
    ({"passengers": [dict(PAX, type=["adult"])]}, "passengers", "Each type is adult, child or infant."),
    ({"passengers": [dict(PAX, seat={"a": 1})]}, "passengers.0.seat", "Give a seat like 12A."),
    ({"passengers": [dict(PAX, bags=10**30)]}, "passengers.0.bags", "Choose between 0 and 3 checked bags."),
])
def test_create_booking_bad_types(client, extra, field, message):
    body = {"offerId": _offer(client), "passengers": [PAX], "contact": CONTACT, "acknowledgements": _accepted()} | extra
    response = client.post("/api/bookings", json=body)
    assert response.status_code == 422, (extra, response.status_code, response.get_data(as_text=True)[:300])
    error = response.get_json()["error"]
    assert error["code"] == "validation_error" and error["fields"] == {field: message}


@pytest.mark.parametrize("url, body, field", [
    ("/api/payments/confirm", {"bookingReference": "FLY2A-AAAAAA", "paymentIntentId": ["x"]}, "paymentIntentId"),
    ("/api/payments/confirm", {"bookingReference": {"a": 1}, "paymentIntentId": "pi_1"}, "bookingReference"),
    ("/api/payments/create-intent", {"bookingReference": {"a": 1}, "email": "x@y.z"}, "bookingReference"),
    ("/api/payments/create-intent", {"bookingReference": "FLY2A-AAAAAA", "email": ["x@y.z"]}, "email"),
])
def test_payments_api_bad_types(client, url, body, field):
    """A value of the wrong type names its field (it was a 404 "no such booking", which sent
    the caller looking for the wrong mistake)."""
    # An address of its own: create-intent allows 5 a minute per address, and other tests of
    # this worker may have used 127.0.0.1's within the minute.
    response = client.post(url, json=body, environ_base={"REMOTE_ADDR": f"10.77.0.{len(field)}"})
    assert response.status_code == 422, (url, response.get_data(as_text=True)[:300])
    error = response.get_json()["error"]
    assert error["code"] == "validation_error" and list(error["fields"]) == [field]


def test_staff_login_next_off_site_is_the_sign_in_form(client):
    """A `next` of two backslashes (a browser reads it as another host) gets the sign-in form;
    where a sign-in then goes is checked by tests/http/test_staff_auth.py (the one redirect check)."""
    response = client.get("/staff/login?next=%5C%5Cevil.com")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Location" not in response.headers
    assert '<label for="password">Password</label>' in html or 'id="password"' in html


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
    # An unreadable passenger number falls back to the first passenger's seat map.
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'class="seat-map"' in html and "Selected: no seat yet" in html


def test_customize_bags_unicode_digit(checkout):
    checkout.select_first(origin="JFK", destination="LAX")
    response = checkout.post("/customize", {"action": "update", "extras_shown": "1", "bags-0": "\u00b2"})
    assert response.status_code == 422
    assert "Choose a number of bags from the list." in response.get_data(as_text=True)
