"""The JSON API: flight offers and bookings (camelCase, integer minor units).

Errors are {"error": {"code", "message", "fields"}} with a 4xx. The blueprint and the
JSON body reader are in support.py, shared with bookings.py and openapi.py; the shapes of what
comes in and goes out are schemas.py's models, checked there once.
"""
from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import current_app, request

from . import bp
from . import schemas
from .support import json_body
from ..bookings import acknowledgements, service
from ..bookings import passengers as passenger_rules
from ..bookings.acknowledgements import ACKNOWLEDGEMENTS
from ..bookings.hold_limits import NoTurn, one_at_a_time, too_many_holds
from ..bookings.service import BookingError
from ..catalog.itineraries import Slice, itinerary_for_offer
from ..catalog.search import Party, airport
from ..catalog.trips import Leg, whole_trips
from ..clock import utcnow
from ..errors import ApiError
from ..extensions import db, limiter
from ..models import Booking, BookingSegment
from ..models import Flight as FlightRow

# The step 2 form's names of a passenger's fields, as the API calls them (for its field errors).
CAMEL = {"first_name": "firstName", "last_name": "lastName", "date_of_birth": "dateOfBirth", "gender": "gender",
         "nationality": "nationality", "passport_number": "passportNumber", "passport_expiry": "passportExpiry",
         "redress_number": "redressNumber", "known_traveler_number": "knownTravelerNumber"}


def _local(flight: FlightRow) -> dict:
    """A flight's route and times, local at each end (with the offset), as offers give them."""
    return dict(origin=flight.origin_code, destination=flight.destination_code,
                departure=flight.departs_at.astimezone(ZoneInfo(flight.origin.tz)),
                arrival=flight.arrives_at.astimezone(ZoneInfo(flight.destination.tz)))


def _slice_fields(s: Slice, times: list[dict]) -> dict:
    """A slice's ends (the `_local` of each of its flights, in order), stops and duration."""
    return dict(origin=times[0]["origin"], destination=times[-1]["destination"], departure=times[0]["departure"],
                arrival=times[-1]["arrival"], stops=s.stops, duration_minutes=s.minutes)


def slice_answer(s: Slice) -> schemas.Slice:
    times = [_local(f) for f in s.flights]
    return schemas.Slice(**_slice_fields(s, times), segments=[
        schemas.Segment(flight_number=f.flight_number, **t) for f, t in zip(s.flights, times)])


def booked_slices(booking: Booking) -> list[schemas.BookedSlice]:
    """The booking's trip in the offers' shape, with every passenger's seat on each flight."""
    def seats(segment: BookingSegment) -> list[schemas.SeatChoice]:
        return [schemas.SeatChoice(passenger=p.position, seat=p.seat_on(segment)) for p in booking.passengers]

    def answer(leg: list[BookingSegment]) -> schemas.BookedSlice:
        times = [_local(g.flight) for g in leg]
        return schemas.BookedSlice(
            **_slice_fields(Slice(tuple(g.flight for g in leg)), times), fare_family=leg[0].slice.fare_family_code,
            segments=[schemas.BookedSegment(flight_number=g.flight.flight_number, **t, seats=seats(g))
                      for g, t in zip(leg, times)])
    return [answer(leg) for leg in booking.legs]


def booking_summary(booking: Booking) -> dict:
    flight = booking.flight
    return dict(
        booking_id=booking.id, booking_reference=booking.reference, status=booking.status,
        amount=booking.total_amount if booking.total_amount is not None else service.quote_for(booking).total,
        currency=booking.currency, expires_at=booking.hold_expires_at,
        offer_id=service.itinerary_of(booking).offer_id,
        flight=schemas.Flight(flight_number=flight.flight_number, origin=flight.origin_code,
                              destination=flight.destination_code, departure=flight.departs_at,
                              arrival=flight.arrives_at),
        fare_family=booking.fare_family_code, bundle=booking.bundle_code)


@bp.get("/flights")
def flights():
    query = schemas.parse(schemas.SearchQuery, request.args.to_dict(), "Invalid search.")
    party = Party(1 if query.adults is None else query.adults, query.children or 0, query.infants or 0)
    if party.problems():
        raise ApiError(422, "validation_error", "Invalid search.", party.problems())
    origin, destination = airport(query.origin), airport(query.destination)
    if origin is None or destination is None:
        return schemas.Offers(offers=[]).answer()  # no airport of ours: nothing flies there
    legs = [Leg((origin,), (destination,), query.day)]
    if query.return_day is not None:
        legs.append(Leg((destination,), (origin,), query.return_day))
    offers = []
    for trip in whole_trips(legs, party, utcnow()):
        slices = [slice_answer(s) for s in trip.itinerary.slices]
        first = slices[0]
        offers.append(schemas.Offer(
            offer_id=trip.itinerary.offer_id, flight_number=first.segments[0].flight_number, origin=first.origin,
            destination=first.destination, departure=first.departure, arrival=first.arrival,
            duration_minutes=first.duration_minutes, slices=slices,
            fares=[schemas.Fare(fare_family=f.fare_family.code, amount=f.total, currency=f.quote.currency,
                                sold_out=f.sold_out, seats_left=f.seats_left) for f in trip.fares]))
    return schemas.Offers(offers=offers).answer()


@bp.get("/acknowledgements")
def list_acknowledgements():
    """The notices a traveller must accept before paying: show them, then send back {key, version}."""
    return schemas.Acknowledgements(acknowledgements=[
        schemas.Acknowledgement(key=a.key, version=a.version, title=a.title, text=a.text)
        for a in ACKNOWLEDGEMENTS]).answer()


def _acknowledgement_problems(given: list[schemas.AcceptedAcknowledgement] | None) -> dict:
    """The field error when the notices accepted are not every current one at its current
    version, as on the review page (none sent: it names every notice still to accept)."""
    problem = acknowledgements.refusal((a.key, a.version) for a in given or ())
    return {"acknowledgements": f"{problem} See GET /api/acknowledgements."} if problem else {}


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
    body = schemas.parse(schemas.CreateBooking, json_body())
    itinerary = itinerary_for_offer(body.offer_id)
    flight = itinerary.slices[0].first if itinerary else None
    if flight is None:
        raise ApiError(422, "validation_error", "Unknown offer.", {"offerId": "No such offer. Search again."})
    # Every problem is reported in one 422: the notices not accepted alongside the details.
    fields = _acknowledgement_problems(body.acknowledgements)
    # The party is stored adults first, then children, then infants.
    order = {"adult": 0, "child": 1, "infant": 2}
    passengers = sorted(body.passengers, key=lambda p: order[p.type])
    types = [p.type for p in passengers]
    party = Party(types.count("adult"), types.count("child"), types.count("infant"))
    if party.problems():
        raise ApiError(422, "validation_error", "Invalid party.", {"passengers": m for m in party.problems().values()})

    # Validate people and contact with the same rules (and messages) as step 2.
    people = [p.values() for p in passengers]
    email, phone = body.contact.email or "", body.contact.phone or ""
    for i, (values, passenger_type) in enumerate(zip(people, types)):
        problems = passenger_rules.passenger_problems(values, passenger_type, flight.departure_date,
                                                      itinerary.international, gender_required=True,
                                                      last_travel_date=itinerary.flights[-1].departure_date)
        fields |= {f"passengers.{i}.{CAMEL[name]}": message for name, message in problems.items()}
        if passengers[i].seat_problem():
            fields[f"passengers.{i}.seat"] = passengers[i].seat_problem()
        if len(passengers[i].seats or ()) > len(itinerary.flights):
            fields[f"passengers.{i}.seats"] = (f"This trip has {len(itinerary.flights)} flights: give at most "
                                               f"{len(itinerary.flights)} seats, in order of travel.")
    fields |= {f"contact.{name}": message for name, message in passenger_rules.contact_problems(email, phone).items()}
    if fields:
        message = ("The traveller must accept every current notice before booking." if list(fields) == ["acknowledgements"]
                   else "Some details are missing or invalid.")
        raise ApiError(422, "validation_error", message, fields)

    choices = {"fareFamily": body.fare_family or None, "bundle": body.bundle or None, "insurance": body.insurance,
               "priorityBoarding": body.priority_boarding, "bags": {i: p.bags for i, p in enumerate(passengers)},
               "seats": {(i, segment): code for i, p in enumerate(passengers)
                         for segment, code in p.seat_choices().items()}}
    accepted = [a.key for a in body.acknowledgements or ()]
    address = request.remote_addr or "unknown"
    try:
        with one_at_a_time(address, email):
            booking = _book_in_turn(address, email, itinerary, party, choices, accepted,
                                    travellers=[passenger_rules.passenger_details(values) for values in people],
                                    contact=passenger_rules.contact_details(email, phone))
    except NoTurn:
        raise ApiError(503, "busy", "Another booking for this email or network is still being made. Try again in a few seconds.",
                       retry_after=5)
    return schemas.BookingSummary(**booking_summary(booking)).answer(201)


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
        booking = service.create_draft(itinerary, party, fare_family_code=choices["fareFamily"], channel="api",
                                       client_address=address)
        service.choose_bundle(booking, choices["bundle"])
        service.choose_extras(booking, bags=choices["bags"], insurance=choices["insurance"],
                              priority_boarding=choices["priorityBoarding"])
        for (i, segment), seat in choices["seats"].items():
            service.choose_seat(booking, i, seat, segment=segment)
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


def _discard_draft(booking: Booking | None) -> None:
    """An API call is all or nothing: a half-built draft is removed with its holds."""
    if booking is not None and booking.id:
        service.discard_draft(booking.id)


def _camel_field(name: str) -> str:
    if name.startswith("bags-"):
        return f"passengers.{name[5:]}.bags"
    return {"fare_family": "fareFamily", "seat": "passengers.seat"}.get(name, name)
