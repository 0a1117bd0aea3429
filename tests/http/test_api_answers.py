"""The app's real answers fit /api/openapi.json's schemas (generated from api/schemas.py), and a
request outside them is a 422 naming the field. (test_openapi.py checks that the document and
the routes cover each other.)"""
import jsonschema_rs  # schemathesis's own validator, so the document is read as a client reads it
import pytest

from checkout.api.schemas import ANSWERS
from checkout.catalog.itineraries import itinerary_for_offer
from tests.conftest import travel_day
from tests.http.test_api import _accepted, _passenger
from tests.manage_support import api_token
from tests.seats_support import free_seat


@pytest.fixture(scope="module")
def schemas(app):
    return app.test_client().get("/api/openapi.json").get_json()["components"]["schemas"]


def _check(schemas, name: str, response, status: int):
    """The answer has `status` and fits the documented schema `name` (answers allow no undocumented field)."""
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    validator = jsonschema_rs.validator_for({"$ref": f"#/components/schemas/{name}",
                                             "components": {"schemas": schemas}})
    errors = [f"{e.instance_path}: {e.message}" for e in validator.iter_errors(response.get_json())]
    assert not errors, (name, errors)
    return response.get_json()


def test_every_answer_model_is_in_the_document(schemas):
    assert {model.__name__ for model in ANSWERS} <= set(schemas)
    assert all(schemas[model.__name__]["additionalProperties"] is False for model in ANSWERS)


def test_real_answers_fit_their_schemas(app, client, schemas):
    search = _check(schemas, "Offers", client.get(f"/api/flights?origin=JFK&destination=LHR&date={travel_day()}"), 200)
    _check(schemas, "Acknowledgements", client.get("/api/acknowledgements"), 200)
    with app.app_context():
        seat = free_seat(itinerary_for_offer(search["offers"][0]["offerId"]).flights[0])
    created = _check(schemas, "BookingSummary", client.post("/api/bookings", json={
        "offerId": search["offers"][0]["offerId"], "passengers": [_passenger(bags=1, seat=seat)],
        "contact": {"email": "ada@example.com", "phone": "+44 20 7946 0958"}, "acknowledgements": _accepted(client)}),
        201)
    proof = {"X-Booking-Reference": created["bookingReference"], "X-Booking-Email": "ada@example.com"}
    detail = _check(schemas, "BookingDetail", client.get(f"/api/bookings/{created['bookingId']}", headers=proof), 200)
    assert detail["passengers"][0]["passportNumber"].endswith("567") and detail["priceLines"]
    _check(schemas, "BookingDetail", client.put(f"/api/bookings/{created['bookingId']}", headers=proof,
                                                json={"contact": {"phone": "+1 212 555 0100"}}), 200)
    with app.app_context():
        staff = {"Authorization": f"Bearer {api_token('supervisor')}"}
    listed = _check(schemas, "BookingList", client.get("/api/bookings?limit=1", headers=staff), 200)
    assert listed["bookings"][0]["bookingId"] == created["bookingId"]
    # The errors, each in the one Error shape.
    _check(schemas, "Error", client.get("/api/flights?origin=J&date=tomorrow"), 422)
    _check(schemas, "Error", client.get(f"/api/bookings/{created['bookingId']}",
                                        headers=proof | {"X-Booking-Email": "eve@example.com"}), 404)
    _check(schemas, "Error", client.get("/api/bookings"), 401)
    _check(schemas, "Error", client.post("/api/bookings", data="x", content_type="text/plain"), 415)


def test_trips_fit_their_schemas(app, client, schemas):
    """A return trip and a one-stop connection: their offers, and a booking of each read back."""
    back = travel_day(5)
    returns = _check(schemas, "Offers", client.get(
        f"/api/flights?origin=JFK&destination=LHR&date={travel_day()}&returnDate={back}"), 200)["offers"]
    connections = _check(schemas, "Offers", client.get(
        f"/api/flights?origin=JFK&destination=CDG&date={travel_day()}"), 200)["offers"]
    assert len(returns[0]["slices"]) == 2 and connections[0]["slices"][0]["stops"] == 1
    for number, offer in enumerate((returns[0], connections[0])):
        email = f"trip{number}@example.com"
        with app.app_context():
            seat = free_seat(itinerary_for_offer(offer["offerId"]).flights[-1])
        created = _check(schemas, "BookingSummary", client.post("/api/bookings", json={
            "offerId": offer["offerId"], "passengers": [_passenger(seats=[None, seat])],
            "contact": {"email": email, "phone": "+44 20 7946 0958"}, "acknowledgements": _accepted(client)}), 201)
        proof = {"X-Booking-Reference": created["bookingReference"], "X-Booking-Email": email}
        detail = _check(schemas, "BookingDetail", client.get(f"/api/bookings/{created['bookingId']}", headers=proof),
                        200)
        assert detail["slices"][-1]["segments"][-1]["seats"] == [{"passenger": 0, "seat": seat}]


@pytest.mark.parametrize("change, field", [
    ({"passengers": "Ada"}, "passengers"),
    ({"passengers": [_passenger(bags="two")]}, "passengers.0.bags"),
    ({"passengers": [_passenger(nationality=44)]}, "passengers.0.nationality"),
    ({"passengers": [_passenger(gender=1)]}, "passengers.0.gender"),
    ({"passengers": [_passenger(seats="12A")]}, "passengers.0.seats"),
    ({"insurance": "yes"}, "insurance"),
    ({"contact": ["ada@example.com"]}, "contact"),
    ({"acknowledgements": [{"key": "fare_rules"}]}, "acknowledgements"),
])
def test_a_booking_outside_the_schema_is_a_422_naming_the_field(client, change, field):
    body = {"offerId": "off_1", "passengers": [_passenger()], "contact": {"email": "ada@example.com", "phone": "+1 212 555 0100"},
            "acknowledgements": []} | change
    response = client.post("/api/bookings", json=body)
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    error = response.get_json()["error"]
    assert error["code"] == "validation_error" and list(error["fields"]) == [field], error


def test_staff_filters_outside_the_schema_are_a_422(app, client):
    with app.app_context():
        staff = {"Authorization": f"Bearer {api_token('supervisor')}"}
    response = client.get("/api/bookings?limit=0&status=PAID&from=2026-13-01", headers=staff)
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"limit", "status", "from"}
