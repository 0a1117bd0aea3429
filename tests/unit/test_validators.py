"""Passenger validation rules (bookings/passengers.py): names, ages on the day of travel,
gender, nationality, passports, redress and Known Traveler numbers, phone and email, and
the step-2 form that calls them."""
import re
from datetime import date

import pytest

from checkout.bookings.passengers import (
    NAME_PATTERN, age_problem, contact_details, contact_problems, date_of_birth_problem, gender_problem,
    known_traveler_number_problem, nationality_problem, passenger_details, passenger_problems, passport_expiry_problem,
    passport_number_problem, redress_number_problem,
)


@pytest.mark.parametrize("name", ["Ada", "Mary Jane", "O'Brien", "Smith-Jones", "Zoë", "José María", "D’Arcy"])
def test_names_accept_letters_spaces_hyphens_apostrophes(name):
    assert re.match(NAME_PATTERN, name)


@pytest.mark.parametrize("name", ["", "R2D2", "Ada!", "-Ada", "Ada  Lovelace", "Ada_", "<script>"])
def test_names_reject_anything_else(name):
    assert not re.match(NAME_PATTERN, name)


TRAVEL = date(2027, 3, 15)
TODAY = date(2027, 1, 1)


@pytest.mark.parametrize("born,kind,ok", [
    (date(2015, 3, 15), "adult", True),   # 12 on the day
    (date(2015, 3, 16), "adult", False),  # 11 on the day
    (date(2025, 3, 15), "child", True),   # exactly 2
    (date(2025, 3, 16), "child", False),  # still an infant
    (date(2015, 3, 16), "child", True),   # 11
    (date(2025, 3, 16), "infant", True),
    (date(2025, 3, 15), "infant", False),
])
def test_age_on_the_day_of_travel_matches_passenger_type(born, kind, ok):
    assert (age_problem(born, kind, TRAVEL, TODAY) is None) is ok


def test_birth_dates_in_the_future_are_refused():
    assert "future" in age_problem(date(2027, 1, 2), "infant", TRAVEL, TODAY)
    assert date_of_birth_problem("1985-12-10", "adult", TRAVEL, TODAY) is None
    assert date_of_birth_problem("", "adult", TRAVEL, TODAY) == "Enter the date of birth."
    assert "like 1985-12-10" in date_of_birth_problem("10/12/1985", "adult", TRAVEL, TODAY)


def test_phone_is_stored_in_e164_and_email_normalised():
    assert contact_details("ada@example.com", "(212) 555-0100").phone == "+12125550100"
    assert contact_details("ada@example.com", "+44 20 7946 0958").phone == "+442079460958"
    assert contact_details(" Ada@Example.COM ", "+1 212 555 0100").email == "Ada@example.com"
    assert set(contact_problems("not-an-email", "12345")) == {"email", "phone"}
    assert contact_problems("ada@example.com", "+1 212 555 0100") == {}


def test_passport_must_outlast_the_trip_on_international_flights():
    assert "expires before the flight" in passport_expiry_problem("2027-03-01", True, TRAVEL)
    assert passport_expiry_problem("2027-03-16", True, TRAVEL) is None
    assert passport_expiry_problem("", True, TRAVEL) == "Enter the passport expiry date."
    assert passport_number_problem("   ", True) == "Enter the passport number: this is an international flight."


def test_domestic_flights_need_no_passport():
    person = {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1985-12-10", "nationality": "GB"}
    assert passenger_problems(person, "adult", TRAVEL, international=False, today=TODAY) == {}
    assert set(passenger_problems(person, "adult", TRAVEL, international=True, today=TODAY)) == {
        "passport_number", "passport_expiry"}


def test_nationality_must_be_a_real_country():
    assert nationality_problem("XX") and nationality_problem("gb") and nationality_problem("")
    assert nationality_problem("JP") is None


def test_gender_takes_secure_flights_values_and_is_required_unless_told():
    assert [gender_problem(g) for g in ("M", "F", "X", "U")] == [None] * 4
    assert "Choose the gender" in gender_problem("")
    assert gender_problem("", required=False) is None  # the API, until it asks for gender
    assert "from the list" in gender_problem("m") and "from the list" in gender_problem("Q", required=False)


@pytest.mark.parametrize("number,ok", [
    ("", True), ("1234567", True), ("123 4567", True), ("ab-1234567890", True), ("1234567890123", True),
    ("123456", False), ("12345678901234", False), ("1234567!", False),
])
def test_redress_numbers_are_7_to_13_letters_and_digits(number, ok):
    assert (redress_number_problem(number) is None) is ok


@pytest.mark.parametrize("number,ok", [
    ("", True), ("TT1234567", True), ("tt 123 4567", True), ("987654321", True), ("1234567890", True),
    ("TT12345", False), ("12345678901", False), ("TT12345_7", False),
])
def test_known_traveler_numbers_are_9_or_10_letters_and_digits(number, ok):
    assert (known_traveler_number_problem(number) is None) is ok


def test_a_passenger_that_passes_is_stored_as_the_rules_clean_it():
    person = {"first_name": " Ada", "last_name": "Lovelace ", "date_of_birth": "1985-12-10", "nationality": "GB",
              "passport_number": "x1234567 ", "passport_expiry": "2031-01-01", "gender": "F",
              "redress_number": " 123-4567", "known_traveler_number": "tt 123 4567"}
    details = passenger_details(person)
    assert (details.first_name, details.last_name) == ("Ada", "Lovelace")
    assert (details.passport_number, details.date_of_birth, details.passport_expiry) == (
        "X1234567", date(1985, 12, 10), date(2031, 1, 1))
    assert (details.gender, details.redress_number, details.known_traveler_number) == ("F", "1234567", "TT1234567")
    empty = passenger_details(person | {"redress_number": " ", "known_traveler_number": ""})
    assert (empty.redress_number, empty.known_traveler_number) == (None, None)


def test_the_step_2_form_reports_exactly_the_rules_problems(app):
    """The form adds no rule of its own: for each input its errors are the domain's."""
    from werkzeug.datastructures import MultiDict

    from checkout.steps.forms import PassengersForm
    good = {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1985-12-10", "nationality": "GB",
            "passport_number": "X1234567", "passport_expiry": "2031-01-01", "gender": "F"}
    variants = [{}, {"first_name": "R2D2"}, {"last_name": " Ada"}, {"date_of_birth": "2099-01-01"},
                {"date_of_birth": "1985-13-01"}, {"nationality": "XX"}, {"passport_number": "AB1"},
                {"passport_expiry": "2027-03-15"}, {"passport_expiry": ""}, {"gender": ""}, {"gender": "Q"},
                {"redress_number": "12"}, {"known_traveler_number": "TT12345"}, {"date_of_birth": ""}]
    with app.test_request_context():
        for international in (True, False):
            for variant in variants:
                person = good | variant
                formdata = {f"passengers-0-{k}": v for k, v in person.items()} | {"email": "a@b", "phone": "1"}
                form = PassengersForm(formdata=MultiDict(formdata), meta={"csrf": False}, passenger_types=["adult"],
                                      travel_date=TRAVEL, international=international)
                assert not form.validate()
                shown = {sub.short_name: " ".join(sub.errors) for sub in form.passengers[0].form if sub.errors}
                shown |= {name: " ".join(getattr(form, name).errors) for name in ("email", "phone")}
                assert shown == (passenger_problems(person, "adult", TRAVEL, international, gender_required=True)
                                 | contact_problems("a@b", "1")), variant
