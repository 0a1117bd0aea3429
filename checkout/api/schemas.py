"""The shapes of /api: pydantic models of what it takes (bodies, query strings) and answers.

One model per object (Offer, Fare, Booking..., PassengerInput, ContactInput, Error), so a
new field is one line in one place: the request is checked against it, the answer is built
with it, and openapi.py puts its JSON Schema in /api/openapi.json.

`parse(Model, data)` is the edge: any input, of any shape, becomes the model or one 422
{"error": {"code": "validation_error", "message", "fields": {"passengers.0.firstName": ...}}}.
The models check shapes and types (a text field must be a JSON string); the rules a person
reads on the pages (names, dates of birth, passports, contact, the party) stay in the
domain (bookings.passengers, catalog.search.Party), run by the views on the clean values,
so the API and the forms keep one set of rules and messages.
"""
from __future__ import annotations

import base64
import binascii
from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Literal, TypeVar

from flask import current_app
from pydantic import (BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, StrictBool, StrictInt,
                      StrictStr, ValidationError, WithJsonSchema, WrapValidator, model_validator)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from ..catalog.itineraries import MAX_SEGMENTS_PER_SLICE, MAX_SLICES
from ..errors import ApiError
from ..models import BookingStatus
from ..parsing import Unreadable, as_id, is_digits, parse_date, parse_int
from ..pricing import MAX_CHECKED_BAGS

TEXT_MESSAGE = "Give this as text (a JSON string)."
MONEY = "Integer minor units of `currency` (59999 = $599.99). Never a float, never a formatted string."
REFERENCE_PATTERN = "^FLY2A-[A-HJ-NP-Z2-9]{6}$"
STATUSES = tuple(str(status) for status in BookingStatus.ALL)
MAX_LIMIT = 100
DEFAULT_LIMIT = 25


def _refuse(message: str, field: str | None = None):
    """Our own error: its message is shown as is (and `field` names it, when not where it was found)."""
    return PydanticCustomError("api", message, {"field": field} if field else None)


# Pydantic's words for the errors our own validators leave to it.
MESSAGES = {
    "missing": "This is required.",
    "string_type": TEXT_MESSAGE,
    "model_type": "Give this as a JSON object.",
    "model_attributes_type": "Give this as a JSON object.",
    "dict_type": "Give this as a JSON object.",
    "list_type": "Give this as a JSON list.",
    "int_type": "Give a whole number.",
    "bool_type": "Give true or false.",
    "extra_forbidden": "This cannot be changed here.",
}


def field_errors(err: ValidationError) -> dict[str, str]:
    """A pydantic error as the API's `fields`: camelCase paths, dotted (passengers.0.lastName)."""
    fields: dict[str, str] = {}
    for error in err.errors(include_url=False, include_input=False):
        ctx = error.get("ctx") or {}
        path = ctx.get("field") or ".".join(str(part) for part in error["loc"]) or "body"
        fields.setdefault(path, _message(error))
    return fields


M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], data: Any, message: str = "Some details are missing or invalid.") -> M:
    """`data` as `model`, or a 422 naming every field that is wrong."""
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise ApiError(422, "validation_error", message, field_errors(err)) from None


class Shape(BaseModel):
    """camelCase on the wire, snake_case in Python."""
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class Request(Shape):
    """What /api takes. `messages` words the errors of a field (missing, wrong type) where the
    API has always said something more helpful than pydantic."""
    messages: ClassVar[dict[str, str]] = {}

    @model_validator(mode="wrap")
    @classmethod
    def _own_words(cls, data, handler):
        try:
            return handler(data)
        except ValidationError as err:
            if not cls.messages or not any(_reworded(cls, e) for e in err.errors()):
                raise
            details = [{"type": _refuse(cls.messages[e["loc"][0]]), "loc": e["loc"], "input": e["input"]}
                       if _reworded(cls, e) else {"type": _refuse(_message(e), (e.get("ctx") or {}).get("field")),
                                                   "loc": e["loc"], "input": e["input"]}
                       for e in err.errors()]
            raise ValidationError.from_exception_data(err.title, details) from None


def _reworded(model: type[Request], error: dict) -> bool:
    return error["type"] != "api" and len(error["loc"]) == 1 and error["loc"][0] in model.messages


def _message(error: dict) -> str:
    return error["msg"] if error["type"] == "api" else MESSAGES.get(error["type"], error["msg"])


class Answer(Shape):
    """What /api answers: exactly these fields (so a field added to an answer is documented).
    No wrap validator: the search builds dozens of these per request."""
    model_config = ConfigDict(extra="forbid")

    def answer(self, status: int = 200):
        """The JSON response (serialized by pydantic straight to bytes, not through a dict)."""
        return current_app.response_class(self.model_dump_json(by_alias=True), status=status,
                                          mimetype="application/json")


# -- values --------------------------------------------------------------------------

def _text_or_none(value):
    if value is not None and not isinstance(value, str):
        raise _refuse(TEXT_MESSAGE)
    return value


def _must_be(kind: type, message: str):
    """None or a value of `kind` (bool is not an int here); anything else is `message`."""
    def check(value):
        if value is not None and (not isinstance(value, kind) or (kind is not bool and isinstance(value, bool))):
            raise _refuse(message)
        return value
    return BeforeValidator(check)


def _one_message(message: str, field: str | None = None):
    """Whatever is wrong inside the value is one error: `message`."""
    def check(value, handler):
        try:
            return handler(value)
        except ValidationError:
            raise _refuse(message, field) from None
    return WrapValidator(check)


def _parsed(parse_value, message: str | None = None):
    """A query string value read by checkout.parsing (the pages' own readers)."""
    def check(value):
        try:
            return parse_value(value) if message is None else parse_value(value, message=message)
        except Unreadable as err:
            raise _refuse(err.message) from None
    return BeforeValidator(check)


# Text the API documents as a string: null means "not given" (the views use "" or keep a value).
Text = Annotated[str | None, BeforeValidator(_text_or_none), WithJsonSchema({"type": "string"})]
Code = Annotated[str | None, _must_be(str, "Give a code as a string, e.g. STANDARD."), WithJsonSchema({"type": "string"})]
Choice = Annotated[bool, _must_be(bool, "Give true or false."), StrictBool]
Moment = Annotated[datetime, PlainSerializer(datetime.isoformat, return_type=str),
                   WithJsonSchema({"type": "string", "format": "date-time"})]
Currency = Annotated[str, Field(pattern="^[A-Z]{3}$", description="ISO 4217 code, upper case.", examples=["USD"])]
Money = Annotated[int, Field(description=MONEY)]
Airport = Annotated[str, Field(pattern="^[A-Z]{3}$")]
Reference = Annotated[str, Field(pattern=REFERENCE_PATTERN, examples=["FLY2A-K7M3QX"])]
Status = Literal[STATUSES]
PassengerType = Literal["adult", "child", "infant"]


def _bags(value):
    if value is None:
        return 0
    if isinstance(value, bool) or not (isinstance(value, int) or is_digits(value)):
        raise _refuse(f"Give the number of checked bags, 0 to {MAX_CHECKED_BAGS}.")
    return int(value)


# -- requests ------------------------------------------------------------------------

def _blank_is_none(value):
    return value.strip() or None if isinstance(value, str) else value


# Query string values: strings, read by checkout.parsing (the pages' own readers).
Count = Annotated[int | None, _parsed(parse_int, "Must be a whole number."), WithJsonSchema({"type": "integer"})]
Day = Annotated[date | None, _parsed(parse_date), WithJsonSchema({"type": "string", "format": "date"})]
Words = Annotated[str | None, BeforeValidator(_blank_is_none), WithJsonSchema({"type": "string"})]


class SearchQuery(Request):
    """GET /api/flights. The party's rules (1-9 seated, an adult per infant) are catalog.search.Party's."""
    origin: Annotated[Airport, BeforeValidator(lambda v: v.strip().upper() if isinstance(v, str) else v)] = Field(
        description="IATA airport code (any case).", json_schema_extra={"pattern": "^[A-Za-z]{3}$"})
    destination: Annotated[Airport, BeforeValidator(lambda v: v.strip().upper() if isinstance(v, str) else v)] = Field(
        description="IATA airport code (any case).", json_schema_extra={"pattern": "^[A-Za-z]{3}$"})
    day: Annotated[date, _parsed(parse_date)] = Field(alias="date", description="The day of departure, YYYY-MM-DD.")
    return_day: Day = Field(None, alias="returnDate",
                            description="For a return trip, the day of the flight back (YYYY-MM-DD, not before "
                                        "`date`); leave it out for one way.")
    adults: Count = Field(
        None, json_schema_extra={"minimum": 1, "default": 1})
    children: Count = Field(
        None, json_schema_extra={"minimum": 0, "default": 0})
    infants: Count = Field(
        None, json_schema_extra={"minimum": 0, "default": 0})
    messages: ClassVar = {"origin": "Give a 3-letter airport code.", "destination": "Give a 3-letter airport code.",
                          "date": "Give the date as YYYY-MM-DD."}

    @model_validator(mode="after")
    def _back_after_out(self):
        if self.return_day is not None and self.return_day < self.day:
            raise _refuse("The return date is before the departure date.", "returnDate")
        return self


def _statuses(value):
    if not isinstance(value, str) or not value.strip():
        return None
    statuses = [s.strip().upper() for s in value.split(",") if s.strip()]
    unknown = [s for s in statuses if s not in STATUSES]
    if unknown:
        raise _refuse(f"Unknown status {', '.join(unknown)}. Use {', '.join(STATUSES)}.")
    return statuses


def encode_cursor(booking_id: int) -> str:
    return base64.urlsafe_b64encode(f"b{booking_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return as_id(raw[1:]) if raw.startswith("b") else None


def _cursor(value):
    if value is None or not value.strip():
        return None
    after = decode_cursor(value.strip())
    if after is None:
        raise _refuse("This cursor is not valid. Use the nextCursor of the previous page, or leave it out.")
    return after


def _limit(value):
    try:
        return parse_int(value, 1, MAX_LIMIT) or DEFAULT_LIMIT
    except Unreadable:
        raise _refuse(f"Give a whole number from 1 to {MAX_LIMIT}.") from None


class BookingQuery(Request):
    """GET /api/bookings (staff)."""
    status: Annotated[list[str] | None, BeforeValidator(_statuses), WithJsonSchema({"type": "string"})] = Field(
        None, description="One status or several, comma-separated.")
    email: Words = Field(
        None, description="Contact email, exact (case-insensitive).")
    reference: Words = None
    q: Words = Field(
        None, description="Part of a surname, contact email or reference.")
    from_: Day = Field(None, alias="from",
                                                               description="Submitted on or after this day (UTC).")
    to: Day = Field(None, description="Submitted on or before this day (UTC).")
    limit: Annotated[int, BeforeValidator(_limit)] = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: Annotated[int | None, BeforeValidator(_cursor), WithJsonSchema({"type": "string"})] = Field(
        None, description="Opaque; from the previous page's nextCursor.")

    @model_validator(mode="after")
    def _in_order(self):
        if self.from_ and self.to and self.from_ > self.to:
            raise _refuse("The end date is before the start date.", "to")
        return self


def _expected_refund(value):
    try:
        expected = parse_int(value)
    except Unreadable:
        expected = None
    if value is not None and expected is None:
        raise _refuse("Give the quoted refund in minor units, e.g. 59999 for $599.99.")
    return expected


class CancelQuery(Request):
    """DELETE /api/bookings/{id}."""
    expected_refund: Annotated[int | None, BeforeValidator(_expected_refund), WithJsonSchema({"type": "integer"})] = Field(
        None, ge=0, description="The quoted refund in minor units; if the rules now give a different amount "
                                "nothing happens (409).")


class AcceptedAcknowledgement(Request):
    key: StrictStr
    version: StrictStr = Field(description="The version the traveller was shown.")


ACKNOWLEDGEMENTS_SHAPE = ("Give a list of {key, version}: every notice from GET /api/acknowledgements, "
                          "accepted by the traveller.")


GENDER_WORDS = "Secure Flight's values: M (male), F (female), X (unspecified), U (undisclosed)."
MAX_SEATS = MAX_SLICES * MAX_SEGMENTS_PER_SLICE  # one per flight of the longest trip we sell


class PassengerInput(Request):
    model_config = ConfigDict(json_schema_extra={"required": ["firstName", "lastName", "dateOfBirth", "gender",
                                                              "nationality"]})
    type: Annotated[PassengerType, _one_message("Each type is adult, child or infant.", "passengers")] = "adult"
    # Required ones are "" when absent: step 2's rules say what is missing, in the pages' words.
    first_name: Text = Field(None, json_schema_extra={"maxLength": 60})
    last_name: Text = Field(None, json_schema_extra={"maxLength": 60})
    date_of_birth: Text = Field(None, json_schema_extra={"format": "date"})
    gender: Text = Field(None, description=f"As on the government ID. {GENDER_WORDS}",
                         json_schema_extra={"enum": ["M", "F", "X", "U"]})
    nationality: Text = Field(None, description="ISO 3166-1 alpha-2.", json_schema_extra={"pattern": "^[A-Z]{2}$"})
    passport_number: Text = Field(None, description="Required on international flights.")
    passport_expiry: Text = Field(None, description="Required on international flights.",
                                  json_schema_extra={"format": "date"})
    bags: Annotated[int, BeforeValidator(_bags)] = Field(
        0, description="Checked bags.", json_schema_extra={"minimum": 0, "maximum": MAX_CHECKED_BAGS})
    redress_number: Text = Field(None, description="Optional: a DHS TRIP redress number, 7 to 13 letters and "
                                                   "digits (spaces and hyphens are dropped).")
    known_traveler_number: Text = Field(None, description="Optional: TSA PreCheck, Global Entry, NEXUS or SENTRI; "
                                                          "9 or 10 letters and digits.")
    seat: Annotated[str | None, _must_be(str, "Give a seat like 12A.")] = Field(
        None, examples=["14C"], description="A seat on the trip's first flight (the same as `seats[0]`).")
    seats: Annotated[Annotated[list[Annotated[str | None, _must_be(str, "Give a seat like 12A.")]],
                               Field(max_length=MAX_SEATS)] | None,
                     _one_message(f"Give a list of seats, one per flight of the trip in order of travel "
                                  f"(null for none), at most {MAX_SEATS}.")] = Field(
        None, examples=[["14C", None]],
        description="A seat per flight of the trip, in order of travel (the slices' segments one after the "
                    "other); null or left out: assigned at check-in.")

    def values(self) -> dict[str, str]:
        """The step 2 form's values (snake_case names, "" for what is not given)."""
        return {name: getattr(self, name) or "" for name in
                ("first_name", "last_name", "date_of_birth", "gender", "nationality", "passport_number",
                 "passport_expiry", "redress_number", "known_traveler_number")}

    def seat_choices(self) -> dict[int, str]:
        """The seat chosen on each flight of the trip, by the flight's position (0 = the first)."""
        chosen = {position: code for position, code in enumerate(self.seats or ()) if code}
        if self.seat:
            chosen[0] = self.seat
        return chosen

    def seat_problem(self) -> str | None:
        if self.seat and self.seats and self.seats[0] and self.seats[0] != self.seat:
            return "Give the first flight's seat as `seat` or as `seats[0]`, not two different ones."
        return None


class ContactInput(Request):
    model_config = ConfigDict(json_schema_extra={"required": ["email", "phone"]})
    email: Text = Field(None, json_schema_extra={"format": "email"})
    phone: Text = Field(None, description="With its country code; stored as E.164.")


class CreateBooking(Request):
    offer_id: StrictStr = Field(examples=["off_123", "off_12-13", "off_12_40"],
                                description="An offer's id. A return trip may also join two one-way offers' ids "
                                            "with `_` (outbound first): `off_12` and `off_40` make `off_12_40`.")
    fare_family: Code = Field(None, description="Default: the cheapest sold on the flight.")
    bundle: Code = None
    insurance: Choice = False
    priority_boarding: Choice = False
    passengers: list[PassengerInput] = Field(min_length=1)
    contact: ContactInput = Field(default_factory=ContactInput)
    acknowledgements: Annotated[list[AcceptedAcknowledgement], _one_message(ACKNOWLEDGEMENTS_SHAPE)] = Field(
        None, description="What the traveller accepted: every notice of GET /api/acknowledgements at its current "
                          "version. A missing, outdated (other version) or unknown one is a 422 under "
                          "`fields.acknowledgements`. Recorded with the booking, with the time.")
    amount: Any = Field(None, description="Ignored: the amount is always the server's.",
                        json_schema_extra={"type": "integer"})
    model_config = ConfigDict(json_schema_extra={"required": ["offerId", "passengers", "contact", "acknowledgements"]})
    messages: ClassVar = {"passengers": "Give at least one passenger.", "offerId": "No such offer. Search again."}


class ContactChange(Request):
    """Any time before departure while PENDING_PAYMENT or CONFIRMED. A missing key keeps its current value."""
    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})
    email: Text = Field(None, json_schema_extra={"format": "email"})
    phone: Text = Field(None, description="With country code; stored as E.164.")


class NameChange(Request):
    first_name: Text = Field(None, json_schema_extra={"maxLength": 60})
    last_name: Text = Field(None, json_schema_extra={"maxLength": 60})


class AmendBooking(Request):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})
    contact: ContactChange | None = None
    passengers: list[NameChange] | None = Field(
        None, description="Names by position, all passengers; only while PENDING_PAYMENT (409 once paid).")
    messages: ClassVar = {"contact": "Give contact as an object with email and/or phone.",
                          "passengers": "Give all passengers in the booking's order, each as {firstName, lastName}."}


class CreateIntent(Request):
    booking_reference: Annotated[Text, Field(json_schema_extra={"pattern": REFERENCE_PATTERN})] = None
    email: Text = None
    amount: Annotated[StrictInt | None, _one_message("Give the total in minor units, e.g. 59999.")] = Field(
        None, description="Optional; if given must equal the booking's total (else 409).")
    currency: Text = Field(None, description="Optional; must equal the booking's.")
    model_config = ConfigDict(json_schema_extra={"required": ["bookingReference", "email"]})


class ConfirmPayment(Request):
    """Prove the booking with the PaymentIntent's `clientSecret` or the booking's `email`."""
    booking_reference: Annotated[Text, Field(json_schema_extra={"pattern": REFERENCE_PATTERN})] = None
    payment_intent_id: Text = None
    # A proof of any other shape is simply no proof: the same 404 as a wrong one.
    client_secret: Any = Field(None, description="The PaymentIntent's client secret (from create-intent, or the "
                                                 "page that paid); checked with Stripe.",
                               json_schema_extra={"type": "string"})
    email: Any = Field(None, description="The booking's contact email (case-insensitive).",
                       json_schema_extra={"type": "string"})
    model_config = ConfigDict(json_schema_extra={"required": ["bookingReference", "paymentIntentId"],
                                                 "anyOf": [{"required": ["clientSecret"]}, {"required": ["email"]}]})


# -- answers -------------------------------------------------------------------------

class ErrorDetail(Answer):
    code: str = Field(description="Machine-readable, e.g. validation_error, not_found, unauthorized, forbidden, "
                                  "not_amendable, not_cancellable, too_many_requests, invalid_body.",
                      examples=["validation_error"])
    message: str = Field(description="Safe to show to a person.")
    fields: Annotated[dict[str, str] | None,
                      WithJsonSchema({"type": "object", "additionalProperties": {"type": "string"}})] = Field(
        None, description="Per input field (camelCase, dotted for nesting, e.g. `passengers.0.lastName`, "
                          "`contact.email`): what is wrong.",
        examples=[{"contact.phone": "Enter a phone number with its country code."}])


class Error(Answer):
    """Every 4xx/5xx answer of /api. Never a stack trace."""
    error: ErrorDetail


class Fare(Answer):
    fare_family: Literal["BASIC", "STANDARD", "FLEX", "BUSINESS"]
    amount: Money = Field(description="Total for the whole party, taxes included, in minor units.")
    currency: Currency
    sold_out: bool = Field(description="True when the fare's cabin has fewer seats left than the party needs "
                                       "(infants on a lap need none); booking it is refused (409).")
    seats_left: int = Field(ge=0, description="Seats left in the fare's cabin right now.")


LOCAL_DEPARTURE = "Local time at the origin, with its UTC offset."
LOCAL_ARRIVAL = "Local time at the destination, with its UTC offset."


class Segment(Answer):
    """One flight of a slice."""
    flight_number: str = Field(examples=["FA100"])
    origin: Airport
    destination: Airport
    departure: Moment = Field(description=LOCAL_DEPARTURE)
    arrival: Moment = Field(description=LOCAL_ARRIVAL)


class Slice(Answer):
    """One direction (or leg) of the trip: a nonstop flight, or two flights with a connection (stops: 1), the
    second leaving from the airport where the first lands."""
    origin: Airport
    destination: Airport
    departure: Moment = Field(description=LOCAL_DEPARTURE)
    arrival: Moment = Field(description=LOCAL_ARRIVAL)
    duration_minutes: int = Field(description="From the first departure to the last arrival, connections included.")
    stops: int = Field(ge=0, examples=[0])
    segments: list[Segment] = Field(min_length=1)


class Offer(Answer):
    """A whole itinerary: one slice one way, two for a return trip (outbound, then back)."""
    offer_id: str = Field(examples=["off_123", "off_12-13", "off_12_40"],
                          description="Names the whole itinerary; POST /api/bookings with it books all of it.")
    flight_number: str = Field(description="The first flight's; `slices` has every flight.")
    origin: Airport = Field(description="The first slice's.")
    destination: Airport = Field(description="The first slice's.")
    departure: Moment = Field(description=f"The first slice's. {LOCAL_DEPARTURE}")
    arrival: Moment = Field(description=f"The first slice's. {LOCAL_ARRIVAL}")
    duration_minutes: int = Field(description="The first slice's.")
    slices: list[Slice] = Field(min_length=1)
    fares: list[Fare] = Field(description="The whole trip's price per fare family sold on every flight of it.")


class Offers(Answer):
    offers: list[Offer] = Field(
        description="By departure. Nonstop flights and one-stop connections. A return search lists the outbound "
                    "and return pairs that connect in time, at most the 50 cheapest.")


class Acknowledgement(Answer):
    """A notice the traveller must read and accept before paying. A changed text has a new version."""
    key: str = Field(examples=["fare_rules"])
    version: str = Field(examples=["2026-11-01"])
    title: str = Field(examples=["Fare rules"])
    text: str = Field(description="The notice to show the traveller.")


class Acknowledgements(Answer):
    acknowledgements: list[Acknowledgement]


class Flight(Answer):
    flight_number: str
    origin: str
    destination: str
    departure: Moment = Field(description="UTC.")
    arrival: Moment = Field(description="UTC.")


class BookingSummary(Answer):
    """`flight` is the trip's first flight (GET /api/bookings/{id} has every slice)."""
    booking_id: int
    booking_reference: Reference | None = Field(description="Null only for an unsubmitted draft.")
    status: Status
    amount: Money = Field(description="The booking's total in minor units (frozen once submitted).")
    currency: Currency
    expires_at: Moment = Field(description="End of the hold on seats and price while unpaid.")
    offer_id: str
    flight: Flight
    fare_family: str
    bundle: str | None


class BookingListItem(BookingSummary):
    contact_email: str | None
    lead_passenger: str | None
    submitted_at: Moment | None


class BookingList(Answer):
    bookings: list[BookingListItem]
    next_cursor: str | None = Field(
        description="Pass as `cursor` (with the same filters) for the next page; null on the last.")


class Passenger(Answer):
    position: int = Field(ge=0)
    type: PassengerType
    first_name: str | None
    last_name: str | None
    passport_number: str | None = Field(
        examples=["••••••567"],
        description="Masked: the last characters only. The full number is never returned; null when none is on file.")
    seat: str | None = Field(description="The seat on the trip's first flight; `slices` has every flight's.")
    checked_bags: int


class Contact(Answer):
    email: str | None
    phone: str | None


class PriceLine(Answer):
    kind: Literal["fare", "tax", "bundle", "bag", "seat", "priority", "insurance"]
    description: str
    amount: Money
    passenger_position: int | None


class Payment(Answer):
    """One payment attempt. Card data is limited to brand and last 4 digits."""
    status: Literal["created", "requires_action", "processing", "succeeded", "failed", "canceled"]
    brand: str | None = Field(examples=["visa"])
    last4: str | None = Field(pattern="^[0-9]{4}$")


class Refund(Answer):
    amount: Money
    currency: Currency
    status: Literal["pending", "succeeded", "failed"]
    created_at: Moment


class CancellationQuote(Answer):
    """What cancelling now would give back. Rules in order: the US DOT 24-hour rule (booked < 24 h ago and
    >= 7 days before departure: everything back); a refundable fare (less its fee); otherwise taxes and fees
    only. Unpaid bookings cancel with nothing to refund."""
    allowed: bool
    refund_amount: Money
    rule: Literal["dot_24_hour", "refundable_fare", "taxes_only", "unpaid", "not_allowed"]
    explanation: str


class SeatChoice(Answer):
    passenger: int = Field(ge=0, description="The passenger's `position` in `passengers`.")
    seat: str | None = Field(examples=["12A"], description="Null: none chosen (assigned at check-in; infants "
                                                           "travel on a lap).")


class BookedSegment(Segment):
    seats: list[SeatChoice] = Field(description="Every passenger's seat on this flight.")


class BookedSlice(Slice):
    fare_family: str
    segments: list[BookedSegment] = Field(min_length=1)


class BookingDetail(BookingSummary):
    submitted_at: Moment | None
    confirmed_at: Moment | None
    slices: list[BookedSlice] = Field(min_length=1, description="The trip, as in the offer it was booked from.")
    passengers: list[Passenger]
    contact: Contact
    price_lines: list[PriceLine]
    payments: list[Payment]
    refunds: list[Refund]
    cancellation: CancellationQuote


class CancelResult(Answer):
    booking_id: int
    status: Literal["CANCELLED"]
    refund_amount: Money = Field(description="Refunded by this cancellation, in minor units.")
    currency: Currency


class IntentCreated(Answer):
    client_secret: str
    payment_intent_id: str
    amount: Money
    currency: str = Field(description="Lower case, as Stripe.")


class PaymentConfirmed(Answer):
    status: Status
    payment_status: str
    message: str | None = Field(description="Why a payment failed, if it did.")


class WebhookReceipt(Answer):
    received: Literal[True]
    status: Literal["processed", "duplicate", "ignored"]


REQUESTS = (SearchQuery, BookingQuery, CancelQuery, CreateBooking, AmendBooking, CreateIntent, ConfirmPayment)
ANSWERS = (Error, Offers, Acknowledgements, BookingSummary, BookingList, BookingDetail, CancelResult,
           IntentCreated, PaymentConfirmed, WebhookReceipt)
