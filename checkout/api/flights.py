"""The JSON API: flight offers and bookings (camelCase, integer minor units).

Errors are {"error": {"code", "message", "fields"}} with a 4xx. The blueprint and the
JSON body reader are in support.py, shared with bookings.py and openapi.py.
"""
from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import current_app, jsonify, request

from . import bp
from .support import json_body, text_field
from ..bookings import acknowledgements, service
from ..bookings import passengers as passenger_rules
from ..bookings.acknowledgements import ACKNOWLEDGEMENTS
from ..bookings.hold_limits import NoTurn, one_at_a_time, too_many_holds
from ..bookings.service import BookingError
from ..catalog.itineraries import itinerary_for_offer
from ..catalog.search import Party, search_flights
from ..clock import utcnow
from ..errors import ApiError
from ..extensions import db, limiter
from ..models import Booking
from ..parsing import Unreadable, is_digits, parse_date, parse_int

PASSENGER_FIELDS = {
    "firstName": "first_name", "lastName": "last_name", "dateOfBirth": "date_of_birth",
    "nationality": "nationality", "passportNumber": "passport_number", "passportExpiry": "passport_expiry",
}
CAMEL = {v: k for k, v in PASSENGER_FIELDS.items()}


def _int_arg(name: str, default: int, errors: dict) -> int:
    try:
        value = parse_int(request.args.get(name))
    except Unreadable:
        errors[name] = "Must be a whole number."
        return default
    return default if value is None else value


def booking_json(booking: Booking) -> dict:
    flight = booking.flight
    return {
        "bookingId": booking.id,
        "bookingReference": booking.reference,
        "status": booking.status,
        "amount": booking.total_amount if booking.total_amount is not None else service.quote_for(booking).total,
        "currency": booking.currency,
        "expiresAt": booking.hold_expires_at.isoformat(),
        "offerId": f"off_{flight.id}",
        "flight": {"flightNumber": flight.flight_number, "origin": flight.origin_code,
                   "destination": flight.destination_code, "departure": flight.departs_at.isoformat(),
                   "arrival": flight.arrives_at.isoformat()},
        "fareFamily": booking.fare_family_code,
        "bundle": booking.bundle_code,
    }


@bp.get("/flights")
def flights():
    errors = {}
    origin = (request.args.get("origin") or "").strip().upper()
    destination = (request.args.get("destination") or "").strip().upper()
    if len(origin) != 3:
        errors["origin"] = "Give a 3-letter airport code."
    if len(destination) != 3:
        errors["destination"] = "Give a 3-letter airport code."
    try:
        day = parse_date(request.args.get("date"))
    except Unreadable as err:
        errors["date"] = err.message
    else:
        if day is None:
            errors["date"] = "Give the date as YYYY-MM-DD."
    party = Party(_int_arg("adults", 1, errors), _int_arg("children", 0, errors), _int_arg("infants", 0, errors))
    for name, problem in party.problems().items():
        errors.setdefault(name, problem)
    if errors:
        raise ApiError(422, "validation_error", "Invalid search.", errors)
    offers = search_flights(origin, destination, day, party, now=utcnow())
    return jsonify({"offers": [
        {
            "offerId": offer.offer_id,
            "flightNumber": offer.flight.flight_number,
            "origin": offer.flight.origin_code,
            "destination": offer.flight.destination_code,
            "departure": offer.flight.departs_at.astimezone(ZoneInfo(offer.flight.origin.tz)).isoformat(),
            "arrival": offer.flight.arrives_at.astimezone(ZoneInfo(offer.flight.destination.tz)).isoformat(),
            "durationMinutes": offer.minutes,
            "fares": [{"fareFamily": f.fare_family.code, "amount": f.total, "currency": offer.flight.currency,
                       "soldOut": f.sold_out, "seatsLeft": f.seats_left}
                      for f in offer.fares],
        }
        for offer in offers
    ]})


@bp.get("/acknowledgements")
def list_acknowledgements():
    """The notices a traveller must accept before paying: show them, then send back {key, version}."""
    return jsonify({"acknowledgements": [{"key": a.key, "version": a.version, "title": a.title, "text": a.text}
                                         for a in ACKNOWLEDGEMENTS]})


def _acknowledgement_problems(given) -> tuple[list[str], dict]:
    """The keys of the notices the traveller accepted, and the field error when they are not
    every current one at its current version, as on the review page."""
    given = [] if given is None else given  # none sent: name every notice still to accept
    shape_ok = isinstance(given, list) and all(
        isinstance(a, dict) and isinstance(a.get("key"), str) and isinstance(a.get("version"), str) for a in given)
    if not shape_ok:
        return [], {"acknowledgements": "Give a list of {key, version}: every notice from GET /api/acknowledgements, "
                                        "accepted by the traveller."}
    problem = acknowledgements.refusal((a["key"], a["version"]) for a in given)
    if problem:
        return [], {"acknowledgements": f"{problem} See GET /api/acknowledgements."}
    return [a["key"] for a in given], {}


# Each booking holds seats for the hold time, so creating them is limited per address
# (Redis-backed like create-intent); the figure is config, read per request.
def _bookings_per_minute() -> str:
    return f"{current_app.config['API_BOOKINGS_PER_MINUTE']} per minute"


def _too_many_bookings() -> str:
    return (f"Too many bookings from your network: at most {current_app.config['API_BOOKINGS_PER_MINUTE']} "
            "a minute. Please wait a moment and try again.")


@bp.post("/bookings")
@limiter.limit(_bookings_per_minute, error_message=_too_many_bookings)
def create_booking():
    """Create a PENDING_PAYMENT booking in one call, through the same services as the web flow."""
    body = json_body()
    itinerary = itinerary_for_offer(str(body.get("offerId", "")))
    flight = itinerary.slices[0].first if itinerary else None
    if flight is None:
        raise ApiError(422, "validation_error", "Unknown offer.", {"offerId": "No such offer. Search again."})
    # Every problem is reported in one 422: the notices not accepted alongside the details.
    accepted, fields = _acknowledgement_problems(body.get("acknowledgements"))
    passengers = body.get("passengers")
    if not isinstance(passengers, list) or not passengers:
        raise ApiError(422, "validation_error", "Passengers are required.", {"passengers": "Give at least one passenger."})
    types = [str(p.get("type", "adult")) if isinstance(p, dict) else "?" for p in passengers]
    if any(t not in ("adult", "child", "infant") for t in types):
        raise ApiError(422, "validation_error", "Invalid passengers.", {"passengers": "Each type is adult, child or infant."})
    # The party is stored adults first, then children, then infants.
    order = {"adult": 0, "child": 1, "infant": 2}
    passengers = sorted(passengers, key=lambda p: order[str(p.get("type", "adult"))])
    types = sorted(types, key=order.__getitem__)
    party = Party(types.count("adult"), types.count("child"), types.count("infant"))
    if party.problems():
        raise ApiError(422, "validation_error", "Invalid party.", {"passengers": m for m in party.problems().values()})
    contact = body.get("contact") if isinstance(body.get("contact"), dict) else {}
    choices = _choices(body, passengers)

    # Validate people and contact with the same rules (and messages) as step 2.
    # Text fields must be JSON strings (a wrong type is its own field error, kept over the rules').
    wrong_types: dict[str, str] = {}
    people = [{snake: text_field(p.get(camel), f"passengers.{i}.{camel}", wrong_types)
               for camel, snake in PASSENGER_FIELDS.items()} for i, p in enumerate(passengers)]
    email = text_field(contact.get("email"), "contact.email", wrong_types)
    phone = text_field(contact.get("phone"), "contact.phone", wrong_types)
    for i, (values, passenger_type) in enumerate(zip(people, types)):
        problems = passenger_rules.passenger_problems(values, passenger_type, flight.departure_date, itinerary.international)
        fields |= {f"passengers.{i}.{CAMEL[name]}": message for name, message in problems.items()}
    fields |= {f"contact.{name}": message for name, message in passenger_rules.contact_problems(email, phone).items()}
    fields |= wrong_types
    if fields:
        message = ("The traveller must accept every current notice before booking." if list(fields) == ["acknowledgements"]
                   else "Some details are missing or invalid.")
        raise ApiError(422, "validation_error", message, fields)

    address = request.remote_addr or "unknown"
    try:
        with one_at_a_time(address, email):
            booking = _book_in_turn(address, email, itinerary, party, choices, accepted,
                                    travellers=[passenger_rules.passenger_details(values) for values in people],
                                    contact=passenger_rules.contact_details(email, phone))
    except NoTurn:
        raise ApiError(503, "busy", "Another booking for this email or network is still being made. Try again in a few seconds.",
                       retry_after=5)
    return jsonify(booking_json(booking)), 201


def _book_in_turn(address: str, email: str, itinerary, party: Party, choices: dict, accepted: list[str],
                  travellers: list, contact) -> Booking:
    """Count the caller's open holds and, if there is room, make the booking: all or nothing.

    Runs inside the caller's turn (hold_limits.one_at_a_time), so the count cannot be
    passed by another call in flight for the same address or email."""
    config = current_app.config
    crowded = too_many_holds(address, email, utcnow(), config["API_OPEN_HOLDS_PER_ADDRESS"],
                             config["API_OPEN_HOLDS_PER_EMAIL"])
    if crowded:
        raise ApiError(429, "too_many_holds", crowded.message, retry_after=crowded.retry_after)
    booking = None
    try:
        booking = service.create_draft(itinerary, party, fare_family_code=choices["fareFamily"], channel="api")
        booking.client_address = address[:64]
        service.choose_bundle(booking, choices["bundle"])
        service.choose_extras(booking, bags=choices["bags"], insurance=choices["insurance"],
                              priority_boarding=choices["priorityBoarding"])
        for i, seat in choices["seats"].items():
            service.choose_seat(booking, i, seat)
        service.save_passengers(booking, travellers, contact)
        return service.submit(booking, accepted, actor="api client")
    except BookingError as err:
        db.session.rollback()
        _discard_draft(booking)
        field = err.field or "booking"
        raise ApiError(409 if isinstance(err, service.SeatUnavailable) else 422, "validation_error", err.message,
                       {_camel_field(field): err.message}) from err
    except Exception:
        db.session.rollback()
        _discard_draft(booking)  # all or nothing, whatever went wrong
        raise


def _choices(body: dict, passengers: list[dict]) -> dict:
    """The optional choices of POST /api/bookings, type-checked before anything is stored."""
    errors = {}
    choices = {}
    for name in ("fareFamily", "bundle"):
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            errors[name] = "Give a code as a string, e.g. STANDARD."
        choices[name] = value or None
    for name in ("insurance", "priorityBoarding"):
        value = body.get(name, False)
        if not isinstance(value, bool):
            errors[name] = "Give true or false."
        choices[name] = value is True
    choices["bags"], choices["seats"] = {}, {}
    for i, passenger in enumerate(passengers):
        bags = passenger.get("bags", 0)
        if bags is None:
            bags = 0
        if isinstance(bags, bool) or not (isinstance(bags, int) or is_digits(bags)):
            errors[f"passengers.{i}.bags"] = "Give the number of checked bags, 0 to 3."
        else:
            choices["bags"][i] = int(bags)
        seat = passenger.get("seat")
        if seat is not None and not isinstance(seat, str):
            errors[f"passengers.{i}.seat"] = "Give a seat like 12A."
        elif seat:
            choices["seats"][i] = seat
    if errors:
        raise ApiError(422, "validation_error", "Some choices are invalid.", errors)
    return choices


def _discard_draft(booking: Booking | None) -> None:
    """An API call is all or nothing: a half-built draft is removed with its holds."""
    if booking is not None and booking.id:
        service.discard_draft(booking.id)


def _camel_field(name: str) -> str:
    if name.startswith("bags-"):
        return f"passengers.{name[5:]}.bags"
    return {"fare_family": "fareFamily", "seat": "passengers.seat"}.get(name, name)
