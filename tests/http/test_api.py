"""The JSON API: offers and one-call bookings, with field errors, never a stack trace."""
from datetime import date, timedelta

from sqlalchemy import select

from checkout.catalog.itineraries import itinerary_for_offer
from checkout.extensions import db
from checkout.models import Booking
from tests.conftest import travel_day
from tests.seats_support import free_seat


def _offer(client, origin="JFK", destination="LHR", adults=1):
    body = client.get(f"/api/flights?origin={origin}&destination={destination}&date={travel_day()}&adults={adults}").get_json()
    return body["offers"][0]


def _accepted(client) -> list[dict]:
    """What a client sends after showing the traveller every notice and their accepting them."""
    body = client.get("/api/acknowledgements").get_json()
    return [{"key": a["key"], "version": a["version"]} for a in body["acknowledgements"]]


def _passenger(**overrides):
    p = {"type": "adult", "firstName": "Ada", "lastName": "Lovelace", "dateOfBirth": "1985-12-10", "gender": "F",
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
        "contact": {"email": "ada@example.com", "phone": "+44 20 7946 0958"}, "amount": 1,
        "acknowledgements": _accepted(client)})
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
        seat = free_seat(itinerary_for_offer(offer["offerId"]).flights[0])
    infant_dob = (date.today() - timedelta(days=300)).isoformat()
    response = client.post("/api/bookings", json={
        "offerId": offer["offerId"], "fareFamily": "STANDARD",
        "passengers": [_passenger(type="infant", firstName="Baby", dateOfBirth=infant_dob), _passenger(seat=seat)],
        "contact": {"email": "ada@example.com", "phone": "+1 212 555 0100"}, "acknowledgements": _accepted(client)})
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
        "contact": {"email": "nope", "phone": ""}, "acknowledgements": _accepted(client)})
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


def test_acknowledgements_are_the_notices_the_review_page_asks_for(client, checkout):
    response = client.get("/api/acknowledgements")
    assert response.status_code == 200
    notices = response.get_json()["acknowledgements"]
    assert [set(n) for n in notices] == [{"key", "version", "title", "text"}] * len(notices)
    assert all(n["title"] and len(n["text"]) > 40 for n in notices)
    # The same notices, at the same versions, as a traveller accepts on the review page.
    checkout.select_first()
    checkout.get("/passengers")
    people = [("Ada", "Lovelace", "1985-12-10")]
    assert checkout.post("/passengers", checkout.passengers_form(people)).status_code == 303
    review = checkout.get("/review").get_data(as_text=True)
    for notice in notices:
        # The version (the date of the text) is shown as a date, the API's value kept in <time datetime>.
        assert f'<h3>{notice["title"]}</h3>' in review and f'Version of <time datetime="{notice["version"]}">' in review
    assert review.count("Version of <time") == len(notices)
    # One "I accept" names them all (issue 19).
    assert f'I accept the {len(notices)} notices above: ' + ", ".join(n["title"] for n in notices) + "." in review


def _booking_body(client, acknowledgements):
    return {"offerId": _offer(client)["offerId"], "passengers": [_passenger()],
            "contact": {"email": "ada@example.com", "phone": "+44 20 7946 0958"},
            "acknowledgements": acknowledgements}


def test_a_booking_records_the_versions_the_traveller_accepted(client, app):
    accepted = _accepted(client)
    response = client.post("/api/bookings", json=_booking_body(client, accepted))
    assert response.status_code == 201, response.get_json()
    with app.app_context():
        booking = db.session.get(Booking, response.get_json()["bookingId"])
        recorded = sorted((a.key, a.version) for a in booking.acknowledgements)
        assert recorded == sorted((a["key"], a["version"]) for a in accepted)
        assert all(a.accepted_at is not None for a in booking.acknowledgements)


def test_a_booking_without_every_current_acknowledgement_is_refused_naming_what_is_missing(client, app):
    accepted = _accepted(client)
    first, rest = accepted[0], accepted[1:]
    refused = {
        "none sent": (None, [a["key"] for a in accepted]),
        "one left out": (rest, [first["key"]]),
        "an old version": ([{**first, "version": "2001-01-01"}] + rest, [first["key"], first["version"]]),
        "an unknown notice": (accepted + [{"key": "cheap_flights_forever", "version": "1"}], ["cheap_flights_forever"]),
    }
    for case, (acknowledgements, named) in refused.items():
        body = _booking_body(client, acknowledgements)
        if acknowledgements is None:
            del body["acknowledgements"]
        response = client.post("/api/bookings", json=body)
        assert response.status_code == 422, (case, response.get_json())
        error = response.get_json()["error"]
        assert set(error["fields"]) == {"acknowledgements"}, case
        assert all(word in error["fields"]["acknowledgements"] for word in named), (case, error)
    with app.app_context():
        assert db.session.execute(select(Booking)).first() is None


def test_one_422_names_the_missing_notices_and_the_bad_details_together(client):
    body = _booking_body(client, _accepted(client)[1:])
    body["contact"]["email"] = "ada@@example"
    response = client.post("/api/bookings", json=body)
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"acknowledgements", "contact.email"}


def test_badly_shaped_acknowledgements_are_422_never_500(client, app):
    accepted = _accepted(client)
    for shape in ("all of them", {"fare_rules": "2026-11-01"}, ["fare_rules"], [None], [[1, 2]],
                  [{"key": 1, "version": 2}], [{"key": "fare_rules"}], accepted + [{"key": None, "version": None}],
                  [{"key": ["x"], "version": {"a": 1}}]):
        response = client.post("/api/bookings", json=_booking_body(client, shape))
        assert response.status_code == 422, (shape, response.status_code, response.get_data(as_text=True)[:200])
        assert "acknowledgements" in response.get_json()["error"]["fields"], shape
    with app.app_context():
        assert db.session.execute(select(Booking)).first() is None


def test_a_booking_that_fails_half_way_leaves_no_draft_and_holds_no_seat(client, app):
    """The draft, its places and the first passenger's seat are made before the second
    passenger's seat is found taken: the 409 must leave none of them behind."""
    from checkout.models import SeatHold
    offer = _offer(client, "JFK", "LAX", adults=2)
    with app.app_context():
        flight = itinerary_for_offer(offer["offerId"]).flights[0]
        mine = free_seat(flight)
        theirs = free_seat(flight, exclude={mine})
    first = client.post("/api/bookings", json={
        "offerId": offer["offerId"], "fareFamily": "STANDARD", "passengers": [_passenger(seat=theirs)],
        "contact": {"email": "grace@example.com", "phone": "+1 212 555 0100"}, "acknowledgements": _accepted(client)})
    assert first.status_code == 201, first.get_json()
    with app.app_context():
        holds_before = db.session.query(SeatHold).filter(SeatHold.flight_id == flight.id).count()

    response = client.post("/api/bookings", json={
        "offerId": offer["offerId"], "fareFamily": "STANDARD",
        "passengers": [_passenger(seat=mine), _passenger(firstName="Charles", seat=theirs)],
        "contact": {"email": "ada@example.com", "phone": "+1 212 555 0100"}, "acknowledgements": _accepted(client)})
    assert response.status_code == 409, response.get_json()
    assert "has just been taken" in response.get_json()["error"]["message"]
    with app.app_context():
        assert db.session.query(Booking).count() == 1  # only the first caller's
        assert db.session.query(SeatHold).filter(SeatHold.flight_id == flight.id).count() == holds_before
        assert db.session.query(SeatHold).filter(SeatHold.seat_code == mine, SeatHold.flight_id == flight.id).count() == 0


def test_a_name_or_contact_that_is_not_a_string_is_a_422_naming_it_and_nothing_stored(client, app):
    """`firstName: false` was stored as "False" (str() of whatever came)."""
    offer, accepted = _offer(client), _accepted(client)
    for passenger, contact, field in (
            (_passenger(firstName=False), {"email": "ada@example.com", "phone": "+44 20 7946 0958"}, "passengers.0.firstName"),
            (_passenger(lastName=12345), {"email": "ada@example.com", "phone": "+44 20 7946 0958"}, "passengers.0.lastName"),
            (_passenger(passportNumber=["X1234567"]), {"email": "ada@example.com", "phone": "+44 20 7946 0958"},
             "passengers.0.passportNumber"),
            (_passenger(), {"email": {"a": "ada@example.com"}, "phone": "+44 20 7946 0958"}, "contact.email"),
            (_passenger(), {"email": "ada@example.com", "phone": 442079460958}, "contact.phone")):
        response = client.post("/api/bookings", json={"offerId": offer["offerId"], "passengers": [passenger],
                                                      "contact": contact, "acknowledgements": accepted})
        error = response.get_json()["error"]
        assert response.status_code == 422, error
        assert error["fields"] == {field: "Give this as text (a JSON string)."}, error
    # NaN is not JSON at all (RFC 8259): refused at the edge for the whole body, naming it.
    body = (b'{"offerId": "%s", "passengers": [{"type": "adult", "firstName": NaN}]}' % offer["offerId"].encode())
    response = client.post("/api/bookings", data=body, content_type="application/json")
    error = response.get_json()["error"]
    assert response.status_code == 400 and error["code"] == "invalid_body" and error["message"].startswith("NaN is not"), error
    with app.app_context():
        assert db.session.execute(select(Booking)).first() is None


def test_an_amended_name_that_is_not_a_string_is_a_422_and_changes_nothing(client, app):
    booking = client.post("/api/bookings", json=_booking_body(client, _accepted(client))).get_json()
    proof = {"X-Booking-Reference": booking["bookingReference"], "X-Booking-Email": "ada@example.com"}
    for body, field in (({"passengers": [{"firstName": False, "lastName": "Lovelace"}]}, "passengers.0.firstName"),
                        ({"contact": {"phone": 7}}, "contact.phone")):
        response = client.put(f"/api/bookings/{booking['bookingId']}", json=body, headers=proof)
        error = response.get_json()["error"]
        assert response.status_code == 422 and error["fields"] == {field: "Give this as text (a JSON string)."}, error
    detail = client.get(f"/api/bookings/{booking['bookingId']}", headers=proof).get_json()
    assert detail["passengers"][0]["firstName"] == "Ada" and detail["contact"]["phone"] == "+442079460958"


def test_an_amount_that_is_not_whole_minor_units_is_a_422(client, app):
    booking = client.post("/api/bookings", json=_booking_body(client, _accepted(client))).get_json()
    for amount in (float(booking["amount"]), True, str(booking["amount"])):
        response = client.post("/api/payments/create-intent", json={
            "bookingReference": booking["bookingReference"], "email": "ada@example.com", "amount": amount},
            environ_base={"REMOTE_ADDR": "10.78.0.1"})  # its own 5 a minute, whatever ran before
        error = response.get_json()["error"]
        assert response.status_code == 422 and list(error["fields"]) == ["amount"], (amount, error)
