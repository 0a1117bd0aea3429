"""Forms for the checkout steps (Flask-WTF: CSRF on every POST).

The passengers step's rules and messages are the domain's (bookings/passengers.py), called
from `validate_<field>` hooks, so the form, the API and amendments say the same things.
"""
from __future__ import annotations

from datetime import date
from functools import cache

from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, Form, FormField, SelectChoice, StringField, ValidationError
from wtforms.fields import EmailField, TelField
from wtforms.widgets import DateInput

from ..bookings import passengers
from ..form_fields import SelectField
from ..models import GENDERS


@cache  # one tuple per process: each passenger's select built 249 choices on every request
def country_choices() -> tuple[SelectChoice, ...]:
    return (SelectChoice("", "Choose a country"), *(SelectChoice(code, name) for code, name in passengers.countries()))


GENDER_CHOICES = (SelectChoice("", "Choose"), *(SelectChoice(code, words) for code, words in GENDERS.items()))

# The checks live in the domain; the attribute still tells browsers and screen readers.
REQUIRED = {"required": True}
# What a browser may fill in for each passenger, as the HTML standard's autofill field names
# (PassengersForm puts each passenger in a section of its own, so the second passenger is not
# filled with the first's name). Passport and nationality have no autofill name and are not
# offered: a browser remembering passport numbers is not what a traveller expects.
AUTOFILL = {"first_name": "given-name", "last_name": "family-name", "date_of_birth": "bday", "gender": "sex",
            "nationality": "off", "passport_number": "off", "passport_expiry": "off",
            "redress_number": "off", "known_traveler_number": "off"}


def _check(problem: str | None) -> None:
    if problem:
        raise ValidationError(problem)


class EmptyForm(FlaskForm):
    """Carries only the CSRF token, for button-only POSTs."""


class CustomizeForm(FlaskForm):
    """Step 1. Bags per passenger are read separately (their number varies)."""
    fare_family = SelectField("Fare family", validate_choice=False)
    bundle = SelectField("Bundle", validate_choice=False)
    insurance = BooleanField("Travel insurance")
    priority_boarding = BooleanField("Priority boarding")


class PassengerForm(Form):
    """One passenger. PassengersForm sets passenger_type, travel_date and international."""
    first_name = StringField("First name", render_kw=REQUIRED | {"maxlength": passengers.NAME_MAX})
    last_name = StringField("Last name", render_kw=REQUIRED | {"maxlength": passengers.NAME_MAX})
    # Text fields shown as date inputs: a date that doesn't parse gets the domain's message.
    date_of_birth = StringField("Date of birth", widget=DateInput(), render_kw=REQUIRED)
    gender = SelectField("Gender", choices=GENDER_CHOICES, validate_choice=False, render_kw=REQUIRED)
    nationality = SelectField("Nationality", validate_choice=False, render_kw=REQUIRED)
    passport_number = StringField("Passport number", render_kw={"minlength": passengers.PASSPORT_MIN,
                                                                "maxlength": passengers.PASSPORT_MAX})
    passport_expiry = StringField("Passport expiry", widget=DateInput())
    # maxlength leaves room for the spaces and hyphens people copy from a card.
    redress_number = StringField("Redress number", render_kw={"maxlength": 20})
    known_traveler_number = StringField("Known Traveler Number", render_kw={"maxlength": 20})

    passenger_type = "adult"
    travel_date: date  # the trip's first day: ages are on it
    last_travel_date: date  # the last flight's day: a passport must outlive it
    international = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.nationality.choices = country_choices()

    def validate_first_name(self, field):
        _check(passengers.name_problem(field.data, "first"))

    def validate_last_name(self, field):
        _check(passengers.name_problem(field.data, "last"))

    def validate_date_of_birth(self, field):
        _check(passengers.date_of_birth_problem(field.data, self.passenger_type, self.travel_date))

    def validate_gender(self, field):
        _check(passengers.gender_problem(field.data))

    def validate_redress_number(self, field):
        _check(passengers.redress_number_problem(field.data))

    def validate_known_traveler_number(self, field):
        _check(passengers.known_traveler_number_problem(field.data))

    def validate_nationality(self, field):
        _check(passengers.nationality_problem(field.data))

    def validate_passport_number(self, field):
        _check(passengers.passport_number_problem(field.data, self.international))

    def validate_passport_expiry(self, field):
        _check(passengers.passport_expiry_problem(field.data, self.international, self.last_travel_date))


class ContactFields:
    """Email and phone with the domain's checks: step 2 and manage my booking share them."""
    # type=email and type=tel: phones offer their email and phone keyboards, browsers their autofill.
    email = EmailField("Email", render_kw=REQUIRED | {"autocomplete": "email"})
    phone = TelField("Phone", render_kw=REQUIRED | {"autocomplete": "tel"})

    def validate_email(self, field):
        _check(passengers.email_problem(field.data))

    def validate_phone(self, field):
        _check(passengers.phone_problem(field.data))


class PassengersForm(ContactFields, FlaskForm):
    passengers = FieldList(FormField(PassengerForm), min_entries=1)

    def __init__(self, *args, passenger_types: list[str], travel_date: date, international: bool,
                 last_travel_date: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # One entry per passenger of the booking, however many indices were posted: extra
        # ones (passengers-5-... on a party of one) would be saved as people who don't exist.
        del self.passengers.entries[len(passenger_types):]
        while len(self.passengers) < len(passenger_types):
            self.passengers.append_entry()
        for entry, passenger_type in zip(self.passengers, passenger_types):
            entry.form.passenger_type, entry.form.travel_date = passenger_type, travel_date
            entry.form.international = international
            entry.form.last_travel_date = last_travel_date or travel_date
        for number, entry in enumerate(self.passengers, start=1):
            for name, token in AUTOFILL.items():
                field = entry.form[name]
                if token != "off":
                    token = f"section-passenger-{number} {token}"
                field.render_kw = {**(field.render_kw or {}), "autocomplete": token}
