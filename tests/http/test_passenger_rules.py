"""One set of passenger and contact rules: the passengers step, POST /api/bookings, PUT
/api/bookings/<id> and manage my booking give the same message for the same input, and it
is the message bookings/passengers.py gives."""
import html
import re
from datetime import date

import pytest

from checkout.bookings import passengers as rules
from tests.conftest import travel_day
from tests.http.test_manage import lookup
from tests.manage_support import confirmed_booking
from tests.payments_support import pending_booking

CAMEL = {"first_name": "firstName", "last_name": "lastName", "date_of_birth": "dateOfBirth", "gender": "gender",
         "nationality": "nationality", "passport_number": "passportNumber", "passport_expiry": "passportExpiry",
         "redress_number": "redressNumber", "known_traveler_number": "knownTravelerNumber"}

# Each case breaks every field it can, in a different way.
CASES = [
    ({"first_name": "R2D2", "last_name": "", "date_of_birth": "2020-01-01", "nationality": "XX",
      "passport_number": "AB 12345", "passport_expiry": date.today().isoformat()},
     {"email": "ada@@example", "phone": "12345"}),
    ({"first_name": "Zoë", "last_name": "A" * 61, "date_of_birth": "1985-13-01", "nationality": "",
      "passport_number": "", "passport_expiry": "2031-02-30"},
     {"email": "", "phone": "+1 212 555 010"}),
]


# Secure Flight's fields, asked by the step and the API alike (both require gender): one case
# breaks each, one leaves them empty.
SECURE_FLIGHT = [
    {"gender": "Q", "redress_number": "12-34", "known_traveler_number": "TT12345"},
    {"gender": "", "redress_number": "", "known_traveler_number": ""},
]


def _expected(person: dict, contact: dict) -> dict:
    """What the domain says, keyed by field name, gender required as Secure Flight needs."""
    problems = rules.passenger_problems(person, "adult", travel_day(), international=True, gender_required=True)
    return problems | rules.contact_problems(contact["email"], contact["phone"])


def _page_errors(page: str) -> dict:
    """The error text shown under each field of the passengers page, by field name."""
    shown = re.findall(r'<span class="field-error" id="(?:passengers-0-)?(\w+)-error"[^>]*>([^<]*)</span>', page)
    return {name: html.unescape(text) for name, text in shown if text}


def test_the_step_and_the_api_give_the_same_messages_as_the_rules(checkout, client):
    offer = client.get(f"/api/flights?origin=JFK&destination=LHR&date={travel_day()}&adults=1").get_json()["offers"][0]
    accepted = [{"key": a["key"], "version": a["version"]}
                for a in client.get("/api/acknowledgements").get_json()["acknowledgements"]]
    checkout.select_first(origin="JFK", destination="LHR")
    checkout.get("/passengers")
    for (person, contact), secure_flight in zip(CASES, SECURE_FLIGHT):
        person = person | secure_flight
        expected = _expected(person, contact)
        # every field but a good name is wrong, the traveller numbers when given
        assert len(expected) == 9 - (person["first_name"] == "Zoë") + 2 * bool(secure_flight["redress_number"])

        page = checkout.post("/passengers", {f"passengers-0-{k}": v for k, v in person.items()} | contact)
        assert page.status_code == 422
        assert _page_errors(page.get_data(as_text=True)) == expected

        api = client.post("/api/bookings", json={
            "offerId": offer["offerId"], "contact": contact, "acknowledgements": accepted,
            "passengers": [{"type": "adult"} | {CAMEL[k]: v for k, v in person.items()}]})
        assert api.status_code == 422
        fields = api.get_json()["error"]["fields"]
        assert fields == {(f"contact.{k}" if k in ("email", "phone") else f"passengers.0.{CAMEL[k]}"): message
                          for k, message in expected.items()}


@pytest.mark.parametrize("person,contact", CASES)
def test_amendments_give_the_same_messages_as_the_rules(client, app, person, contact):
    expected = _expected(person, contact)
    with app.app_context():
        booking = pending_booking()
        booking_id, headers = booking.id, {"X-Booking-Reference": booking.reference, "X-Booking-Email": booking.contact_email}
    response = client.put(f"/api/bookings/{booking_id}", headers=headers, json={
        "contact": contact, "passengers": [{"firstName": person["first_name"], "lastName": person["last_name"]}]})
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    names_and_contact = {k: v for k, v in expected.items() if k in ("first_name", "last_name", "email", "phone")}
    assert fields == {(f"contact.{k}" if k in ("email", "phone") else f"passengers.0.{CAMEL[k]}"): message
                      for k, message in names_and_contact.items()}


@pytest.mark.parametrize("person,contact", CASES)
def test_manage_my_booking_gives_the_same_contact_messages(checkout, app, person, contact):
    expected = rules.contact_problems(contact["email"], contact["phone"])
    with app.app_context():
        reference = confirmed_booking().reference
    address = f"10.66.{len(contact['email'])}.{len(contact['phone'])}"
    assert lookup(checkout, reference, "Lovelace", address).status_code == 303
    page = checkout.post(f"/manage/{reference}/contact", contact)
    assert page.status_code == 422
    assert _page_errors(page.get_data(as_text=True)) == expected

