"""The search form (a GET form: no CSRF, bookmarkable, works without JavaScript)."""
from __future__ import annotations

from datetime import date, timedelta

from flask_wtf import FlaskForm
from wtforms import SelectChoice, StringField
from wtforms.validators import DataRequired, InputRequired, ValidationError

from ..form_fields import DateField, SelectField
from .search import MAX_PASSENGERS, Party, resolve_airport

SALES_WINDOW_DAYS = 330


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    origin = StringField("From", validators=[DataRequired("Tell us where you are flying from.")])
    destination = StringField("To", validators=[DataRequired("Tell us where you are flying to.")])
    date = DateField("Departure date", validators=[InputRequired("Choose a departure date.")])
    adults = SelectField("Adults", choices=[SelectChoice(n, str(n)) for n in range(1, MAX_PASSENGERS + 1)], coerce=int, default=1)
    children = SelectField("Children", choices=[SelectChoice(n, str(n)) for n in range(0, MAX_PASSENGERS)], coerce=int, default=0,
                           description="Aged 2 to 11 on the day of travel")
    infants = SelectField("Infants", choices=[SelectChoice(n, str(n)) for n in range(0, MAX_PASSENGERS + 1)], coerce=int, default=0,
                          description="Under 2, on an adult's lap")

    origin_airport = destination_airport = None
    origin_candidates: list = []
    destination_candidates: list = []

    def validate_origin(self, field):
        self.origin_airport, self.origin_candidates = resolve_airport(field.data)
        if self.origin_airport is None:
            raise ValidationError(_no_airport_message(field.data, self.origin_candidates))

    def validate_destination(self, field):
        self.destination_airport, self.destination_candidates = resolve_airport(field.data)
        if self.destination_airport is None:
            raise ValidationError(_no_airport_message(field.data, self.destination_candidates))
        if self.origin_airport and self.destination_airport.code == self.origin_airport.code:
            raise ValidationError("Choose a destination different from where you fly from.")

    def validate_date(self, field):
        if field.data is None:  # not a date: the field already says why
            return
        today = date.today()
        if field.data < today - timedelta(days=1):
            raise ValidationError("That date has passed. Choose today or a later date.")
        if field.data > today + timedelta(days=SALES_WINDOW_DAYS):
            raise ValidationError("We sell flights up to 330 days ahead.")

    def validate_infants(self, field):
        problem = self.party().problems()
        if "infants" in problem:
            raise ValidationError(problem["infants"])

    def validate_children(self, field):
        problem = self.party().problems()
        if "children" in problem:
            raise ValidationError(problem["children"])

    def party(self) -> Party:
        return Party(self.adults.data or 1, self.children.data or 0, self.infants.data or 0)


def _no_airport_message(text: str, candidates: list) -> str:
    if candidates:
        return f"More than one airport matches “{text}”. Choose one: " + ", ".join(
            f"{a.city} ({a.code})" for a in candidates)
    return f"We don't fly to or from “{text}”. Try a city name or a 3-letter airport code."
