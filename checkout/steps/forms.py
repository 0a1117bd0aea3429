"""Forms for the checkout steps (Flask-WTF: CSRF on every POST)."""
from __future__ import annotations

from datetime import date

import phonenumbers
import pycountry
from email_validator import EmailNotValidError, validate_email
from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, Form, FormField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp, ValidationError

from ..parsing import DateField

NAME_PATTERN = r"^[^\W\d_]+(?:[ '\-’][^\W\d_]+)*$"
NAME_MESSAGE = "Use letters only, with spaces, hyphens or apostrophes between them."


def country_choices() -> list[tuple[str, str]]:
    countries = sorted(pycountry.countries, key=lambda c: getattr(c, "common_name", c.name))
    return [SelectChoice("", "Choose a country")] + [
        SelectChoice(c.alpha_2, getattr(c, "common_name", c.name)) for c in countries]


class EmptyForm(FlaskForm):
    """Carries only the CSRF token, for button-only POSTs."""


class CustomizeForm(FlaskForm):
    """Step 1. Bags per passenger are read separately (their number varies)."""
    fare_family = SelectField("Fare family", validate_choice=False)
    bundle = SelectField("Bundle", validate_choice=False)
    insurance = BooleanField("Travel insurance")
    priority_boarding = BooleanField("Priority boarding")


class PassengerForm(Form):
    first_name = StringField("First name", validators=[
        DataRequired("Enter the first name as on the passport or ID."),
        Length(max=60, message="Use at most 60 characters."), Regexp(NAME_PATTERN, message=NAME_MESSAGE)])
    last_name = StringField("Last name", validators=[
        DataRequired("Enter the last name as on the passport or ID."),
        Length(max=60, message="Use at most 60 characters."), Regexp(NAME_PATTERN, message=NAME_MESSAGE)])
    date_of_birth = DateField("Date of birth", validators=[InputRequired("Enter the date of birth.")])
    nationality = SelectField("Nationality", validators=[DataRequired("Choose a nationality.")])
    passport_number = StringField("Passport number", validators=[Optional(), Length(min=5, max=20, message="A passport number has 5 to 20 characters."),
                                                                 Regexp(r"^[A-Za-z0-9]+$", message="Use letters and digits only, no spaces.")])
    passport_expiry = DateField("Passport expiry", validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.nationality.choices = country_choices()


class PassengersForm(FlaskForm):
    passengers = FieldList(FormField(PassengerForm), min_entries=1)
    email = StringField("Email", validators=[DataRequired("Enter an email address for your e-ticket and updates.")])
    phone = StringField("Phone", validators=[DataRequired("Enter a phone number we can reach you on while travelling.")])

    def __init__(self, *args, passenger_types: list[str], travel_date: date, international: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.passenger_types = passenger_types
        self.travel_date = travel_date
        self.international = international
        # One entry per passenger of the booking, however many indices were posted: extra
        # ones (passengers-5-... on a party of one) would be saved as people who don't exist.
        del self.passengers.entries[len(passenger_types):]
        while len(self.passengers) < len(passenger_types):
            self.passengers.append_entry()
        self.email_normalized = None
        self.phone_e164 = None

    def validate_email(self, field):
        try:
            self.email_normalized = validate_email(field.data.strip(), check_deliverability=False).normalized
        except EmailNotValidError:
            raise ValidationError("Enter an email address like name@example.com.")

    def validate_phone(self, field):
        try:
            number = phonenumbers.parse(field.data, "US")
        except phonenumbers.NumberParseException:
            raise ValidationError("Enter a phone number with its country code, like +44 20 7946 0958.")
        if not phonenumbers.is_valid_number(number):
            raise ValidationError("This phone number doesn't look right. Include the country code, like +1 212 555 0100.")
        self.phone_e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for entry, passenger_type in zip(self.passengers, self.passenger_types):
            ok &= self._check_passenger(entry.form, passenger_type)
        return ok

    def _check_passenger(self, form: PassengerForm, passenger_type: str) -> bool:
        ok = True
        dob = form.date_of_birth.data
        if dob and not form.date_of_birth.errors:
            message = age_problem(dob, passenger_type, self.travel_date)
            if message:
                form.date_of_birth.errors = list(form.date_of_birth.errors) + [message]
                ok = False
        if self.international:
            if not form.passport_number.data:
                form.passport_number.errors = list(form.passport_number.errors) + ["Enter the passport number: this is an international flight."]
                ok = False
            expiry = form.passport_expiry.data
            if not expiry and not form.passport_expiry.errors:
                form.passport_expiry.errors = list(form.passport_expiry.errors) + ["Enter the passport expiry date."]
                ok = False
            elif expiry and expiry <= self.travel_date:
                form.passport_expiry.errors = list(form.passport_expiry.errors) + ["This passport expires before the flight. Travel needs a passport valid after the travel date."]
                ok = False
        return ok


def age_on(day: date, born: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def age_problem(born: date, passenger_type: str, travel_date: date) -> str | None:
    """Adults are 12+, children 2–11, infants under 2, on the day of travel."""
    if born > date.today():
        return "The date of birth cannot be in the future."
    if born.year < 1900:
        return "Please check the year of birth."
    age = age_on(travel_date, born)
    if passenger_type == "adult" and age < 12:
        return "Adults must be 12 or older on the day of travel. Search again adding a child instead."
    if passenger_type == "child" and not 2 <= age <= 11:
        return "Children must be 2 to 11 years old on the day of travel."
    if passenger_type == "infant" and age >= 2:
        return "Infants must be under 2 on the day of travel."
    return None
