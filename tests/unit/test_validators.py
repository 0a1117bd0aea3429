"""Passenger validation rules: names, ages on the day of travel, phone and email."""
import re
from datetime import date

import pytest

from checkout.steps.forms import NAME_PATTERN, age_problem


@pytest.mark.parametrize("name", ["Ada", "Mary Jane", "O'Brien", "Smith-Jones", "Zoë", "José María", "D’Arcy"])
def test_names_accept_letters_spaces_hyphens_apostrophes(name):
    assert re.match(NAME_PATTERN, name)


@pytest.mark.parametrize("name", ["", "R2D2", "Ada!", "-Ada", "Ada  Lovelace", "Ada_", "<script>"])
def test_names_reject_anything_else(name):
    assert not re.match(NAME_PATTERN, name)


TRAVEL = date(2027, 3, 15)


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
    assert (age_problem(born, kind, TRAVEL) is None) is ok


def test_birth_dates_in_the_future_are_refused():
    assert "future" in age_problem(date(2099, 1, 1), "infant", date(2099, 6, 1))


def _form(app, **data):
    from werkzeug.datastructures import MultiDict

    from checkout.steps.forms import PassengersForm
    base = {"passengers-0-first_name": "Ada", "passengers-0-last_name": "Lovelace",
            "passengers-0-date_of_birth": "1985-12-10", "passengers-0-nationality": "GB",
            "passengers-0-passport_number": "X1234567", "passengers-0-passport_expiry": "2031-01-01",
            "email": "ada@example.com", "phone": "+1 212 555 0100"}
    base.update(data)
    with app.test_request_context():
        form = PassengersForm(formdata=MultiDict(base), meta={"csrf": False}, passenger_types=["adult"],
                              travel_date=TRAVEL, international=True)
        form.validate()
        return form


def test_phone_is_stored_in_e164(app):
    assert _form(app, phone="(212) 555-0100").phone_e164 == "+12125550100"
    assert _form(app, phone="+44 20 7946 0958").phone_e164 == "+442079460958"
    assert _form(app, phone="12345").phone.errors


def test_email_is_checked_and_normalised(app):
    assert _form(app, email="Ada@Example.COM").email_normalized == "Ada@example.com"
    assert _form(app, email="not-an-email").email.errors


def test_passport_must_outlast_the_trip_on_international_flights(app):
    form = _form(app, **{"passengers-0-passport_expiry": "2027-03-01"})
    assert "expires before the flight" in " ".join(form.passengers[0].passport_expiry.errors)
    form = _form(app, **{"passengers-0-passport_number": ""})
    assert form.passengers[0].passport_number.errors


def test_nationality_must_be_a_real_country(app):
    assert _form(app, **{"passengers-0-nationality": "XX"}).passengers[0].nationality.errors
    assert not _form(app, **{"passengers-0-nationality": "JP"}).errors
