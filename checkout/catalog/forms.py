"""The search form (a GET form: no CSRF, bookmarkable, works without JavaScript)."""
from __future__ import annotations

from datetime import date, timedelta

from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, RadioField, SelectChoice, StringField
from wtforms.validators import DataRequired, InputRequired, Optional, ValidationError

from ..form_fields import DateField, IntegerField, SelectField
from .itineraries import MAX_SLICES
from .search import MAX_PASSENGERS, Party, resolve_airports
from .trips import Filters, Leg

SALES_WINDOW_DAYS = 330
TRIP_TYPES = [SelectChoice("return", "One way or return"), SelectChoice("multi", "Multi-city")]


class LegForm(Form):
    """Flight 2, 3 or 4 of a multi-city trip: a row left blank is ignored."""
    origin = StringField("From")
    destination = StringField("To")
    date = DateField("Date")

    def typed(self) -> bool:
        return any((f.raw_data or [""])[0].strip() for f in (self.origin, self.destination, self.date))


def bookable_days() -> tuple[date, date]:
    """The first and last day a search may ask for: from yesterday (it is still yesterday
    somewhere a flight leaves from) to the end of the sales window."""
    today = date.today()
    return today - timedelta(days=1), today + timedelta(days=SALES_WINDOW_DAYS)


def _date_problem(day: date) -> str | None:
    first, last = bookable_days()
    if day < first:
        return "That date has passed. Choose today or a later date."
    if day > last:
        return f"We sell flights up to {SALES_WINDOW_DAYS} days ahead."
    return None


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    trip = RadioField("Trip", choices=TRIP_TYPES, default="return")
    origin = StringField("From", validators=[DataRequired("Tell us where you are flying from.")])
    destination = StringField("To", validators=[DataRequired("Tell us where you are flying to.")])
    date = DateField("Departure date", validators=[InputRequired("Choose a departure date.")])
    return_date = DateField("Return date", validators=[Optional()], description="Leave empty for a one-way trip")
    # Multi-city: the fields above are flight 1, these flights 2 to 4.
    legs = FieldList(FormField(LegForm), min_entries=MAX_SLICES - 1, max_entries=MAX_SLICES - 1)
    adults = SelectField("Adults", choices=[SelectChoice(n, str(n)) for n in range(1, MAX_PASSENGERS + 1)], coerce=int, default=1)
    children = SelectField("Children", choices=[SelectChoice(n, str(n)) for n in range(0, MAX_PASSENGERS)], coerce=int, default=0,
                           description="Aged 2 to 11 on the day of travel")
    infants = SelectField("Infants", choices=[SelectChoice(n, str(n)) for n in range(0, MAX_PASSENGERS + 1)], coerce=int, default=0,
                          description="Under 2, on an adult's lap")

    origin_airports: list = []
    destination_airports: list = []
    extra_legs: list = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The date pickers offer only the days a search answers (the same bounds as _date_problem).
        first, last = bookable_days()
        bounds = {"min": first.isoformat(), "max": last.isoformat()}
        for field in (self.date, self.return_date, *(entry.form.date for entry in self.legs)):
            field.render_kw = {**(field.render_kw or {}), **bounds}

    def validate_origin(self, field):
        self.origin_airports, candidates = resolve_airports(field.data)
        if not self.origin_airports:
            raise ValidationError(_no_airport_message(field.data, candidates))

    def validate_destination(self, field):
        self.destination_airports, candidates = resolve_airports(field.data)
        if not self.destination_airports:
            raise ValidationError(_no_airport_message(field.data, candidates))
        if {a.code for a in self.origin_airports} & {a.code for a in self.destination_airports}:
            raise ValidationError("Choose a destination different from where you fly from.")

    def validate_date(self, field):
        if field.data is None:  # not a date: the field already says why
            return
        problem = _date_problem(field.data)
        if problem:
            raise ValidationError(problem)

    def validate_return_date(self, field):
        if field.data is None or self.multi_city:
            return
        if self.date.data is not None and field.data < self.date.data:
            raise ValidationError("The return date must be on or after the departure date.")
        problem = _date_problem(field.data)
        if problem:
            raise ValidationError(problem)

    @property
    def multi_city(self) -> bool:
        return self.trip.data == "multi"

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        self.extra_legs = []
        if not self.multi_city:  # the rows of flights 2 to 4 are not drawn, nor read
            for entry in self.legs:
                for f in entry.form:
                    f.errors = []
            return not any(f.errors for name, f in self._fields.items() if name != "legs")
        previous_day = self.date.data
        for entry in self.legs:
            leg = entry.form
            if not leg.typed():
                continue
            for f, missing in ((leg.origin, "Tell us where this flight leaves from."),
                               (leg.destination, "Tell us where this flight goes."),
                               (leg.date, "Choose a date for this flight.")):
                if not f.errors and not (f.raw_data or [""])[0].strip():
                    f.errors = [missing]
            origins, candidates = resolve_airports(leg.origin.data) if leg.origin.data else ([], [])
            if leg.origin.data and not origins:
                leg.origin.errors = [_no_airport_message(leg.origin.data, candidates)]
            destinations, candidates = resolve_airports(leg.destination.data) if leg.destination.data else ([], [])
            if leg.destination.data and not destinations:
                leg.destination.errors = [_no_airport_message(leg.destination.data, candidates)]
            elif destinations and {a.code for a in origins} & {a.code for a in destinations}:
                leg.destination.errors = ["Choose a destination different from where this flight leaves."]
            if leg.date.data is not None:
                problem = _date_problem(leg.date.data)
                if previous_day is not None and leg.date.data < previous_day:
                    problem = "Each flight must be on or after the date of the flight before it."
                if problem:
                    leg.date.errors = [problem]
                previous_day = leg.date.data
            if any(f.errors for f in leg):
                valid = False
            else:
                self.extra_legs.append((Leg(tuple(origins), tuple(destinations), leg.date.data), leg.date.name))
        if valid and not self.extra_legs:
            self.legs[0].form.origin.errors = ["Add at least one more flight for a multi-city trip."]
            valid = False
        return valid

    def trip_legs(self) -> list[tuple[Leg, str]]:
        """What each slice searches, after validate(), with the name of the field holding its
        date: one way, return, or every multi-city flight."""
        first = Leg(tuple(self.origin_airports), tuple(self.destination_airports), self.date.data)
        if self.multi_city:
            return [(first, self.date.name), *self.extra_legs]
        if self.return_date.data is not None:
            return [(first, self.date.name), (Leg(first.destinations, first.origins, self.return_date.data),
                                              self.return_date.name)]
        return [(first, self.date.name)]

    def state(self) -> list[tuple[str, str]]:
        """The search as typed, as (name, value) pairs: carried by the results' forms and links,
        so each step of choosing a trip is a URL (no server state; Back works)."""
        pairs = []
        for f in self:
            if f.name == "legs":
                if self.multi_city:
                    pairs.extend((sub.name, (sub.raw_data or [""])[0]) for entry in f for sub in entry.form
                                 if (sub.raw_data or [""])[0])
            elif f.name != "return_date" or not self.multi_city:
                value = (f.raw_data or [""])[0] if f.raw_data is not None else ("" if f.data is None else str(f.data))
                if value:
                    pairs.append((f.name, value))
        return pairs

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


HOURS = [SelectChoice(h, f"{h:02d}:00") for h in range(0, 25)]
STOPS = [SelectChoice("", "Any number of stops"), SelectChoice("0", "Nonstop only"), SelectChoice("1", "1 stop")]


class FilterForm(FlaskForm):
    """The results' filters (GET, read with the search): stops, departure window, maximum price."""
    class Meta:
        csrf = False

    stops = SelectField("Stops", choices=STOPS, default="")
    departs_after = SelectField("Departs after", choices=HOURS[:-1], coerce=int, default=0)
    departs_before = SelectField("Departs before", choices=HOURS[1:], coerce=int, default=24)
    max_price = IntegerField("Maximum price", validators=[Optional()], minimum=1, maximum=1_000_000,
                             description="In dollars, for everyone travelling")

    def validate_departs_before(self, field):
        if self.departs_after.data is not None and field.data is not None and field.data <= self.departs_after.data:
            raise ValidationError("Choose a time later than “Departs after”.")

    def filters(self) -> Filters:
        return Filters(stops=int(self.stops.data) if self.stops.data else None,
                       departs_after=self.departs_after.data or 0,
                       departs_before=self.departs_before.data if self.departs_before.data is not None else 24,
                       max_price=self.max_price.data * 100 if self.max_price.data else None)
