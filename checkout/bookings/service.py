"""Booking services: drafts, choices, seats, passengers, the hold, and submission.

Views and the JSON API call these with plain values; the functions own the
transaction (they commit) and raise BookingError subclasses with messages safe to show.
Every change to a booking that may still be a draft goes through one unit of work,
`booking_change` / `draft_change`: the booking row's lock first, then its seat holds.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.exc import IntegrityError

from .. import pricing
from ..catalog import search
from ..catalog.itineraries import Itinerary, Slice
from ..catalog.itineraries import problem as itinerary_problem
from ..catalog.seatmaps import Seat, find_seat, neighbours
from ..clock import utcnow
from ..extensions import db
from ..models import (
    Booking, BookingAcknowledgement, BookingPriceLine, BookingSegment, BookingSlice, BookingStatus, FareFamily,
    Flight, Passenger, PassengerSeat, PassengerType,
)
from . import seat_holds, states
from .acknowledgements import ACKNOWLEDGEMENTS
from .reference import new_reference


class BookingError(Exception):
    """A problem the traveller can act on. `field` names the input it concerns, if any;
    `fields` has every problem found at once ({field: message}), when there are several."""

    def __init__(self, message: str, field: str | None = None, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message, self.field = message, field
        self.fields = fields or ({field: message} if field else {"form": message})


class SeatUnavailable(BookingError):
    pass


class CabinFull(SeatUnavailable):
    """No place left in the cabin for everyone in the party (a 409 in the API)."""


class BookingClosed(BookingError):
    """The booking is no longer a draft (already submitted, expired or cancelled)."""


@dataclass
class Contact:
    email: str
    phone: str  # E.164


@dataclass
class PassengerDetails:
    first_name: str
    last_name: str
    date_of_birth: date
    nationality: str
    passport_number: str | None = None
    passport_expiry: date | None = None
    # Secure Flight. Every way in asks for gender; a draft cannot be paid without it
    # (passengers_complete).
    gender: str | None = None
    redress_number: str | None = None
    known_traveler_number: str | None = None


@dataclass
class HoldRenewal:
    """What changed when an expired hold was renewed, for telling the traveller."""
    lost_seats: list[str] = field(default_factory=list)
    price_from: int | None = None
    price_to: int | None = None
    # Set when the cabin filled up while the hold had lapsed: the draft is closed.
    sold_out: str | None = None

    @property
    def changed(self) -> bool:
        return bool(self.lost_seats) or self.price_from is not None


def hold_duration() -> timedelta:
    return timedelta(minutes=current_app.config["HOLD_MINUTES"])


# -- reading -------------------------------------------------------------------------

def get_booking(booking_id: int | None) -> Booking | None:
    """The booking with its flight, fares, passengers and the trip's flights (the passengers'
    chosen seats in one more statement)."""
    return db.session.get(Booking, booking_id, options=_WHOLE_TRIP) if booking_id else None


# The passengers with their chosen seats and every flight of the trip (each with its slice),
# in the booking's one statement: a trip is a handful of rows, and each step reads them all.
_WHOLE_TRIP = [joinedload(Booking.passengers).joinedload(Passenger.seats), joinedload(Booking.segments)]


def booking_by_reference(reference: str) -> Booking | None:
    return db.session.execute(
        select(Booking).where(Booking.reference == (reference or "").strip().upper())
    ).scalar_one_or_none()


def lock_booking(booking_id: int, *, with_passengers: bool = False) -> Booking:
    """Lock the booking row (PostgreSQL), then read it afresh for a state change.

    Two statements. The locking one reads nothing but the row's id: when the row changed
    while we waited for its lock, PostgreSQL hands back its new version but keeps any row
    joined to it as it was, so a fare family joined there could be the old one, or none at
    all (issue 16: a submit racing a fare change read `fare_family` as None). The second
    starts after the lock is held, so the row and everything joined to it (flight, fare
    family, bundle and, `with_passengers`, the passengers a draft's changes read and write)
    are as committed; populate_existing refreshes the objects this session already holds.
    """
    db.session.execute(select(Booking.id).where(Booking.id == booking_id).with_for_update())
    query = select(Booking).where(Booking.id == booking_id)
    if with_passengers:
        query = query.options(*_WHOLE_TRIP)
    else:
        # A booking past its draft: what its services decide on is its payment attempts, which
        # another transaction (a second tab, a webhook) may have changed since this session
        # read them; populate_existing refreshes them too (a commit does not expire them).
        query = query.options(selectinload(Booking.payment_attempts))
    return db.session.execute(query.execution_options(populate_existing=True)).unique().scalar_one()


@contextmanager
def booking_change(booking_id: int) -> Iterator[Booking]:
    """One change to one booking as one transaction: the unit of work of every draft service.

    Locks the booking row first and yields it read afresh under the lock, passengers
    included (populate_existing: the caller's own object, loaded before, is the one
    refreshed), so a change committed meanwhile (a submit, another tab's choice) is seen.
    Seat holds are taken only inside the block, after the row lock: two changes to one
    booking queue on its row instead of deadlocking on each other's holds. Commits when the
    block ends, rolls back (releasing the lock and anything half-done) when it raises.
    """
    try:
        yield lock_booking(booking_id, with_passengers=True)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


@contextmanager
def draft_change(booking_id: int) -> Iterator[Booking]:
    """`booking_change` for a draft: raises BookingClosed, changing nothing, when under the
    lock the booking is no longer a DRAFT (a submit or the sweeper got there first)."""
    with booking_change(booking_id) as booking:
        _require_draft(booking)
        yield booking


def seat_of(segment: BookingSegment, passenger: Passenger) -> Seat | None:
    """The seat the passenger chose on this flight of the trip, or None."""
    code = passenger.seat_on(segment)
    return find_seat(segment.flight.aircraft, code) if code else None


def segment_at(booking: Booking, position: int | None) -> BookingSegment:
    """The trip's flight at `position` (0 = the first), the first when there is no such one."""
    return next((s for s in booking.segments if s.position == position), booking.segments[0])


def itinerary_of(booking: Booking) -> Itinerary:
    return Itinerary(tuple(Slice(tuple(g.flight for g in leg)) for leg in booking.legs))


def bag_allowance(booking: Booking) -> int:
    """Checked bags included per seated passenger with the booking's fare and bundle."""
    return pricing.included_bags(search.fare_terms(booking.fare_family), search.bundle_terms(booking.bundle))


def checked_bags(passenger: Passenger) -> pricing.CheckedBags:
    """'1 included + 0 extra': how every page, email and e-ticket tells a passenger's bags."""
    return pricing.checked_bags(passenger.checked_bags, bag_allowance(passenger.booking), passenger.passenger_type)


def frozen_quote(booking: Booking) -> pricing.Quote:
    """The price the traveller agreed to at review (the lines frozen then), as a Quote the
    price summary can show; never repriced."""
    return pricing.Quote(booking.currency, [
        pricing.PriceLine(kind=line.kind, description=line.description, amount=line.amount,
                          passenger_position=line.passenger_position)
        for line in booking.price_lines])


def quote_for(booking: Booking, fare_family: FareFamily | None = None) -> pricing.Quote:
    """The price of the booking as it stands, at the fare held for it.

    Every flight of the trip at its held fare, under its slice's fare family. `fare_family`
    prices the same choices under another fare family for the whole trip (for comparison).
    """
    segments = booking.segments
    return pricing.quote(
        segments=[pricing.Segment(
            s.held_base_fare, s.flight.international, s.label, s.slice.position,
            fare=None if fare_family is not None or s.slice.fare_family_code == booking.fare_family_code
            else search.fare_terms(s.slice.fare_family)) for s in segments],
        currency=booking.currency,
        fare=search.fare_terms(fare_family or booking.fare_family),
        bundle=search.bundle_terms(booking.bundle),
        passengers=[
            pricing.PassengerChoice(p.passenger_type, p.checked_bags, seats=tuple(seat_of(s, p) for s in segments))
            for p in booking.passengers
        ],
        insurance=booking.insurance,
        priority_boarding=booking.priority_boarding,
    )


# -- the draft ------------------------------------------------------------------------

def create_draft(itinerary: Itinerary | Flight, party: search.Party, now: datetime | None = None,
                 fare_family_code: str | None = None, channel: str = "web",
                 client_address: str | None = None) -> Booking:
    """A DRAFT booking for `party` on the trip, holding every flight's current fare for a while
    and a place for every seated passenger on every flight (a Flight is the one-flight trip).

    Places are taken flight by flight in seat_holds.lock_order; a flight without room for the
    party makes the whole trip unbookable (CabinFull, naming that flight) and leaves nothing.
    """
    now = now or utcnow()
    if isinstance(itinerary, Flight):
        itinerary = Itinerary((Slice((itinerary,)),))
    problems = party.problems()
    if problems:
        field_name, message = next(iter(problems.items()))
        raise BookingError(message, field_name)
    trip_problem = itinerary_problem(itinerary)
    if trip_problem:
        raise BookingError(trip_problem, "offerId")
    first = itinerary.slices[0].first
    if first.departs_at <= now + timedelta(hours=1):
        raise BookingError("This flight is closed for booking. Please choose another.", "offerId")
    fares = search.fare_families_for_trip(itinerary)
    if fare_family_code:
        choices = [f for f in fares if f.code == fare_family_code]
        if not choices:
            raise BookingError("That fare family is not sold on this flight.", "fareFamily")
    else:  # the first fare of each cabin, in fare order: the first cabin with room is taken
        choices = [f for i, f in enumerate(fares) if f.cabin not in {g.cabin for g in fares[:i]}]
    booking = Booking(
        status=BookingStatus.DRAFT, flight=first, fare_family=choices[0], currency=first.currency,
        hold_expires_at=now + hold_duration(), created_at=now, updated_at=now, channel=channel,
        client_address=client_address[:64] if client_address else None,
        passengers=[Passenger(position=i, passenger_type=t, checked_bags=0)
                    for i, t in enumerate(party.passenger_types())],
    )
    for number, leg in enumerate(itinerary.slices):
        booked = BookingSlice(position=number, fare_family=choices[0])
        booking.slices.append(booked)
        for flight in leg.flights:
            booking.segments.append(BookingSegment(position=len(booking.segments), flight=flight, slice=booked,
                                                   held_base_fare=flight.base_fare))
    db.session.add(booking)
    db.session.flush()
    seated = [p.id for p in booking.seated_passengers]
    short_on = None
    for fare in choices:
        with db.session.begin_nested() as savepoint:
            full = _place_everyone(booking, fare.cabin, seated, now)
            if full is None:
                booking.fare_family = fare
                for booked in booking.slices:
                    booked.fare_family = fare
                break
            short_on = short_on or full
            savepoint.rollback()
    else:
        db.session.rollback()  # nothing half-made: no draft, no places
        raise CabinFull(_no_room(short_on, [f.cabin for f in choices], len(seated), now),
                        "fareFamily" if fare_family_code else "offerId")
    states.record(booking, None, BookingStatus.DRAFT, actor=f"traveller ({channel})")
    db.session.commit()
    return booking


def _place_everyone(booking: Booking, cabin: str, passenger_ids: list[int], now: datetime) -> Flight | None:
    """An assigned place in `cabin` for each passenger on every flight, in lock order; the first
    flight without room for them all (the caller rolls back), or None when everyone has one."""
    for flight in seat_holds.lock_order(s.flight for s in booking.segments):
        if seat_holds.assign_places(flight, cabin, booking.id, passenger_ids, booking.hold_expires_at, now) is None:
            return flight
    return None


def discard_draft(booking_id: int) -> None:
    """Remove a draft and its holds (an API call is all or nothing). A booking no longer a
    draft is left as it is. Locks the booking, then its holds (draft_change)."""
    try:
        with draft_change(booking_id) as booking:
            seat_holds.release(booking.id)
            db.session.delete(booking)
    except BookingClosed:
        pass


def _no_room(flight: Flight, cabins: list[str], seated: int, now: datetime) -> str:
    """Why the party cannot have places in `cabins`, with how many are left."""
    left = {cabin: seat_holds.places_left(flight, cabin, now) for cabin in cabins}
    if not any(left.values()):
        where = f"{cabins[0].capitalize()} is" if len(cabins) == 1 else "This flight is"
        return f"Sorry, {where} sold out on flight {flight.flight_number}. Please choose another flight."
    if len(cabins) > 1:
        return (f"There are not enough seats left together on flight {flight.flight_number} for "
                f"{seated} passengers. Please choose another flight.")
    n = left[cabins[0]]
    return (f"Only {n} seat{' is' if n == 1 else 's are'} left in {cabins[0].capitalize()} on flight "
            f"{flight.flight_number}: not enough for {seated} passengers. Please choose another fare or flight.")


def _require_draft(booking: Booking) -> None:
    if booking.status != BookingStatus.DRAFT:
        raise BookingClosed("This booking has already been submitted and can no longer be changed here.")


def choose_fare(booking: Booking, fare_family_code: str) -> list[str]:
    """Switch the trip's fare family (every slice takes it). Returns seats released because
    they are in another cabin. Locks the booking, then its holds (draft_change); places in
    the new cabin are taken flight by flight in lock order."""
    released = []
    with draft_change(booking.id) as booking:
        fare = next((f for f in search.fare_families_for_trip(itinerary_of(booking)) if f.code == fare_family_code),
                    None)
        if fare is None:
            raise BookingError("Please choose one of the fare families shown.", "fare_family")
        now = utcnow()
        if fare.cabin != booking.fare_family.cabin:
            seated = [p.id for p in booking.seated_passengers]
            with db.session.begin_nested() as move:
                # Every place moves to the new cabin; chosen seats there are chosen afresh.
                for passenger in booking.passengers:
                    released += [s.seat_code for s in passenger.seats]
                    passenger.seats = []
                db.session.flush()
                seat_holds.release(booking.id)
                full = _place_everyone(booking, fare.cabin, seated, now)
                if full is not None:
                    move.rollback()  # the old places and seats back, before counting what is left
            if full is not None:
                raise CabinFull(_no_room(full, [fare.cabin], len(seated), now), "fare_family")
        booking.fare_family = fare
        for booked in booking.slices:
            booked.fare_family = fare
        booking.updated_at = now
    return released


def choose_bundle(booking: Booking, bundle_code: str | None) -> None:
    """A bundle, or none (None). Locks the booking (draft_change)."""
    bundle = None
    if bundle_code:
        bundle = next((b for b in search.all_bundles() if b.code == bundle_code), None)
        if bundle is None:
            raise BookingError("Please choose one of the bundles shown, or none.", "bundle")
    with draft_change(booking.id) as booking:
        booking.bundle = bundle
        booking.updated_at = utcnow()


def choose_extras(booking: Booking, *, bags: dict[int, int], insurance: bool, priority_boarding: bool) -> None:
    """Checked bags per passenger position, insurance and priority boarding for the party.
    Locks the booking (draft_change)."""
    with draft_change(booking.id) as booking:
        for passenger in booking.passengers:
            count = bags.get(passenger.position, passenger.checked_bags)
            if passenger.passenger_type == PassengerType.INFANT:
                count = 0
            if not 0 <= count <= pricing.MAX_CHECKED_BAGS:
                raise BookingError(f"Choose between 0 and {pricing.MAX_CHECKED_BAGS} checked bags.",
                                   f"bags-{passenger.position}")
            passenger.checked_bags = count
        booking.insurance = insurance
        booking.priority_boarding = priority_boarding
        booking.updated_at = utcnow()


def seat_restriction(booking: Booking, passenger: Passenger, seat: Seat) -> str | None:
    """Why this passenger may not sit in this seat, or None."""
    if passenger.passenger_type == PassengerType.INFANT:
        return "Infants travel on an adult's lap and do not have a seat of their own."
    if seat.cabin != booking.fare_family.cabin:
        # No fare name: a change between fares of one cabin redraws the legend, not the map, so
        # "your Basic fare" stayed on every business seat after switching to Standard.
        return f"This seat is in the {seat.cabin} cabin; your fare is in {booking.fare_family.cabin}."
    if seat.is_exit_row:
        if passenger.passenger_type == PassengerType.CHILD:
            return "Children cannot sit in an exit row: passengers there must be able to help in an evacuation."
        if passenger.position < infant_carriers(booking):
            return "Passengers travelling with an infant cannot sit in an exit row."
    return None


def children_apart(booking: Booking) -> list[tuple[Passenger, BookingSegment]]:
    """(child, flight) wherever a child of the booking has no seat beside one of its adults:
    no seat chosen (seated at check-in, maybe apart) or a seat with no adult of the booking
    next to it. Airlines' family seating policies seat a child beside an adult; the review
    page warns before payment (issue 19)."""
    apart = []
    for segment in booking.segments:
        beside = neighbours(segment.flight.aircraft)
        adults = {p.seat_on(segment) for p in booking.passengers if p.passenger_type == PassengerType.ADULT}
        for child in (p for p in booking.passengers if p.passenger_type == PassengerType.CHILD):
            seat = child.seat_on(segment)
            if seat is None or not beside.get(seat, frozenset()) & adults:
                apart.append((child, segment))
    return apart


def infant_carriers(booking: Booking) -> int:
    """The first N adults carry the N infants on their laps."""
    return sum(1 for p in booking.passengers if p.passenger_type == PassengerType.INFANT)


def choose_seat(booking: Booking, position: int, seat_code: str | None, now: datetime | None = None,
                segment: int = 0) -> None:
    """Hold `seat_code` for the passenger at `position` on the trip's flight at `segment`
    (0 = the first; None gives their seat there back).

    Either way the passenger keeps a place in the cabin: a chosen seat replaces the place
    they held, and giving a seat back swaps it for an assigned place. Locks the booking, then
    the seat's hold (draft_change); the seat is checked against the fare held under the lock.
    """
    now = now or utcnow()
    with draft_change(booking.id) as booking:
        passenger = next((p for p in booking.passengers if p.position == position), None)
        if passenger is None:
            raise BookingError("Choose which passenger this seat is for.", "seat_passenger")
        on = next((s for s in booking.segments if s.position == segment), None)
        if on is None:
            raise BookingError("Choose which flight this seat is on.", "seat")
        flight = on.flight
        if not seat_code:
            if passenger.seat_on(on):
                # Their place moves to a seat nobody pays for, so the chosen one is free again.
                seat_holds.release_passenger(booking.id, passenger.id, flight.id)
                passenger.set_seat(on, None)
                if seat_holds.assign_places(flight, booking.fare_family.cabin, booking.id, [passenger.id],
                                            booking.hold_expires_at, now) is None:
                    raise CabinFull("Sorry, we could not keep a place for this passenger. Please try again.", "seat")
                booking.updated_at = now
            return
        seat = find_seat(flight.aircraft, seat_code)
        if seat is None:
            raise SeatUnavailable("That seat does not exist on this aircraft.", "seat")
        reason = seat_restriction(booking, passenger, seat)
        if reason:
            raise SeatUnavailable(reason, "seat")
        if seat.code == passenger.seat_on(on):
            return
        if any(p.seat_on(on) == seat.code for p in booking.passengers if p is not passenger):
            raise SeatUnavailable(f"Seat {seat.code} is already chosen for another passenger in your party.", "seat")
        taken = seat_holds.take(flight.id, seat.code, booking.id, passenger.id, booking.hold_expires_at, now)
        if not taken.held:
            raise SeatUnavailable(f"Sorry, seat {seat.code} has just been taken. Please choose another.", "seat")
        seat_holds.release_passenger(booking.id, passenger.id, flight.id, keep=seat.code)
        passenger.set_seat(on, seat.code)
        # The seat may have been the place we assigned a fellow passenger: they are given another.
        if taken.displaced not in (None, passenger.id) and seat_holds.assign_places(
                flight, booking.fare_family.cabin, booking.id, [taken.displaced], booking.hold_expires_at,
                now) is None:
            raise CabinFull("Sorry, we could not keep a place for everyone with that seat. Please choose another.",
                            "seat")
        booking.updated_at = now


def save_passengers(booking: Booking, details: list[PassengerDetails], contact: Contact) -> None:
    """Store names, documents and contact. Validation happened in the form layer.
    Locks the booking (draft_change)."""
    with draft_change(booking.id) as booking:
        if len(details) != len(booking.passengers):
            raise BookingError("Please fill in every passenger.")
        international = booking.international
        for passenger, given in zip(booking.passengers, details):
            passenger.first_name = given.first_name
            passenger.last_name = given.last_name
            passenger.date_of_birth = given.date_of_birth
            passenger.nationality = given.nationality
            passenger.passport_number = given.passport_number if international else None
            passenger.passport_expiry = given.passport_expiry if international else None
            passenger.gender = given.gender
            passenger.redress_number = given.redress_number
            passenger.known_traveler_number = given.known_traveler_number
        booking.contact_email = contact.email
        booking.contact_phone = contact.phone
        booking.updated_at = utcnow()


def passengers_complete(booking: Booking) -> bool:
    """Everything the booking needs before payment, however it was made (pages or API):
    Secure Flight needs every passenger's date of birth and gender."""
    needs_passport = booking.international
    return bool(booking.contact_email) and all(
        p.first_name and p.last_name and p.date_of_birth and p.nationality and p.gender
        and (not needs_passport or (p.passport_number and p.passport_expiry))
        for p in booking.passengers
    )


# -- the hold -----------------------------------------------------------------------

def renew_hold_if_expired(booking: Booking, now: datetime | None = None) -> HoldRenewal:
    """After the hold lapses, hold again at today's fare and re-claim the places and seats.

    Anything that changed (a seat somebody else took, a different price) is returned and
    kept on the booking until the traveller has seen it. If the cabin has filled up
    meanwhile so that someone in the party has no place, the draft is closed (EXPIRED) and
    `sold_out` says why. Locks the booking, then its holds (draft_change), only when the
    hold has lapsed; a draft submitted or closed meanwhile is left alone (nothing renewed).
    """
    now = now or utcnow()
    renewal = HoldRenewal()
    # A look without the lock first: nearly every page finds its hold running and locks nothing.
    if booking.status != BookingStatus.DRAFT or booking.hold_expires_at > now:
        return renewal
    try:
        with draft_change(booking.id) as booking:
            if booking.hold_expires_at > now:  # renewed by a request that had the lock first
                return renewal
            old_total = quote_for(booking).total
            places = _hold_every_place(booking, now + hold_duration(), now, reassign_lost_seats=True)
            if not places.complete:
                renewal.sold_out = _no_room(places.short_on, [booking.fare_family.cabin],
                                            len(booking.seated_passengers), now)
                seat_holds.release(booking.id)
                states.transition(booking, BookingStatus.EXPIRED, "hold renewal", note="no place left in the cabin")
                return renewal
            booking.hold_expires_at = now + hold_duration()
            renewal.lost_seats = places.lost_seats
            for segment in booking.segments:  # today's fare on every flight: a change on any is told
                segment.held_base_fare = segment.flight.base_fare
            new_total = quote_for(booking).total
            if new_total != old_total:
                renewal.price_from, renewal.price_to = old_total, new_total
                booking.price_change_from, booking.price_change_to = old_total, new_total
            booking.updated_at = now
    except BookingClosed:
        pass
    return renewal


def _hold_every_place(booking: Booking, expires_at: datetime | None, now: datetime, *,
                      reassign_lost_seats: bool) -> seat_holds.Places:
    """seat_holds.hold_places in a savepoint: when someone is left without a place, what it
    took is given back at once while the booking's lock is kept, so the places left can be
    counted for the message before the caller gives up."""
    with db.session.begin_nested() as attempt:
        places = seat_holds.hold_places(booking, expires_at, now, reassign_lost_seats=reassign_lost_seats)
        if not places.complete:
            attempt.rollback()
    return places


def can_extend_hold(booking: Booking, now: datetime | None = None) -> bool:
    return (booking.status in (BookingStatus.DRAFT, BookingStatus.PENDING_PAYMENT)
            and booking.hold_extended_at is None and booking.hold_expires_at > (now or utcnow()))


def extend_hold(booking_id: int, now: datetime | None = None) -> Booking:
    """More time, once per booking: the hold (places, chosen seats, price) lasts HOLD_MINUTES
    longer, if every seat is still the party's. Refused once used or after the hold lapsed
    (a lapsed draft is held again on its next page; a lapsed payment hold has expired).
    Locks the booking, then its holds (booking_change: a draft or a booking being paid)."""
    now = now or utcnow()
    with booking_change(booking_id) as booking:
        if booking.hold_extended_at is not None:
            raise BookingError("You have already extended this hold once.")
        if not can_extend_hold(booking, now):
            raise BookingError("This hold has ended and can no longer be extended.")
        until = booking.hold_expires_at + hold_duration()
        if not _hold_every_place(booking, until, now, reassign_lost_seats=False).complete:
            raise BookingError("We could not hold your seats for longer. Your current hold still stands.")
        booking.hold_expires_at = until
        booking.hold_extended_at = booking.updated_at = now
        states.record(booking, booking.status, booking.status, actor="traveller (web)",
                      note=f"hold extended by {hold_duration().seconds // 60} minutes")
    return booking


def acknowledge_price_change(booking: Booking) -> None:
    """The traveller has seen the renewed price: stop showing it. Locks the booking (draft_change)
    only when there is something to acknowledge."""
    if booking.price_change_from is None:
        return
    with draft_change(booking.id) as booking:
        booking.price_change_from = booking.price_change_to = None


# -- submission -----------------------------------------------------------------------

class PriceChanged(BookingError):
    pass


def submit(booking: Booking, accepted: list[str], now: datetime | None = None, actor: str = "traveller (web)") -> Booking:
    """DRAFT -> PENDING_PAYMENT: a reference, a frozen price breakdown and a payment deadline.

    Requires complete passenger details and every acknowledgement. If the hold had lapsed
    and the price changed, raises PriceChanged so the traveller sees it before going on.
    Idempotent: submitting an already pending booking returns it unchanged. Renews a lapsed
    hold first (its own unit of work), then locks the booking and its holds (draft_change)
    and prices exactly what it holds under that lock: no change can land in between.
    """
    now = now or utcnow()
    if booking.status == BookingStatus.PENDING_PAYMENT:
        return booking
    renewal = renew_hold_if_expired(booking, now)
    if renewal.sold_out:
        raise CabinFull(renewal.sold_out)
    try:
        with draft_change(booking.id) as booking:
            if not passengers_complete(booking):
                raise BookingError("Some passenger details are missing. Please complete step 2.")
            missing = [a for a in ACKNOWLEDGEMENTS if a.key not in accepted]
            if missing:
                # Every missing one at once, so the traveller fixes them in one go.
                raise BookingError(f"Please confirm you have read: {missing[0].title}.", f"ack_{missing[0].key}",
                                   {f"ack_{a.key}": f"Please confirm you have read: {a.title}." for a in missing})
            if renewal.changed or booking.price_change_from is not None:
                raise PriceChanged("Your hold had expired and we have renewed it. "
                                   "Please check what changed before you continue.")
            expires_at = now + hold_duration()
            # Every place (and chosen seat) now lasts as long as the payment window.
            places = _hold_every_place(booking, expires_at, now, reassign_lost_seats=False)
            if not places.complete:
                raise CabinFull(_no_room(places.short_on, [booking.fare_family.cabin],
                                         len(booking.seated_passengers), now))
            _assign_reference(booking)
            quote = quote_for(booking)
            booking.price_lines = [
                BookingPriceLine(position=i, kind=line.kind, passenger_position=line.passenger_position,
                                 description=line.description, amount=line.amount)
                for i, line in enumerate(quote.lines)
            ]
            booking.total_amount = quote.total
            booking.submitted_at = now
            booking.hold_expires_at = expires_at
            booking.acknowledgements = [
                BookingAcknowledgement(key=a.key, version=a.version, accepted_at=now) for a in ACKNOWLEDGEMENTS
            ]
            states.transition(booking, BookingStatus.PENDING_PAYMENT, actor=actor,
                              note=f"total {quote.total} {booking.currency}")
    except BookingClosed:
        if booking.status == BookingStatus.PENDING_PAYMENT:  # a second click got here first
            return booking
        raise
    return booking


def _assign_reference(booking: Booking, attempts: int = 8) -> None:
    """Give the booking a fresh unique reference, drawing again if one collides.

    Each try is its own savepoint, so a collision undoes only that one UPDATE.
    """
    for _ in range(attempts):
        reference = new_reference()
        try:
            with db.session.begin_nested():
                db.session.execute(update(Booking).where(Booking.id == booking.id).values(reference=reference))
        except IntegrityError:
            continue
        set_committed_value(booking, "reference", reference)
        return
    raise RuntimeError("Could not draw a unique booking reference")


def copy_as_draft(booking: Booking, now: datetime) -> Booking:
    """A new DRAFT with the same trip, choices, passengers and seats; the unpaid original is cancelled.

    Caller: `checkout.payments.reopen_as_draft`, which holds the booking's lock and has first
    cancelled its open PaymentIntents (transitions only go forward). Commits.
    """
    if booking.status != BookingStatus.PENDING_PAYMENT:
        raise BookingClosed("This booking can no longer be changed.")
    draft = Booking(
        status=BookingStatus.DRAFT, flight=booking.flight, fare_family=booking.fare_family, bundle=booking.bundle,
        insurance=booking.insurance, priority_boarding=booking.priority_boarding, currency=booking.currency,
        contact_email=booking.contact_email, contact_phone=booking.contact_phone,
        hold_expires_at=booking.hold_expires_at, created_at=now, updated_at=now, channel=booking.channel,
        passengers=[Passenger(position=p.position, passenger_type=p.passenger_type, first_name=p.first_name,
                              last_name=p.last_name, date_of_birth=p.date_of_birth, nationality=p.nationality,
                              passport_number=p.passport_number, passport_expiry=p.passport_expiry,
                              gender=p.gender, redress_number=p.redress_number,
                              known_traveler_number=p.known_traveler_number,
                              checked_bags=p.checked_bags)
                    for p in booking.passengers],
    )
    segments = {}
    for old_slice in booking.slices:
        copied = BookingSlice(position=old_slice.position, fare_family=old_slice.fare_family)
        draft.slices.append(copied)
        for old in old_slice.segments:
            segments[old.id] = BookingSegment(position=old.position, flight=old.flight, slice=copied,
                                              held_base_fare=old.held_base_fare)
            draft.segments.append(segments[old.id])
    for old_passenger, passenger in zip(booking.passengers, draft.passengers):
        passenger.seats = [PassengerSeat(segment=segments[s.segment_id], seat_code=s.seat_code)
                           for s in old_passenger.seats]
    db.session.add(draft)
    db.session.flush()
    states.record(draft, None, BookingStatus.DRAFT, actor="traveller (web)", note=f"reopened from {booking.reference}")
    by_position = {p.position: p for p in draft.passengers}
    old_by_id = {p.id: p.position for p in booking.passengers}
    seat_holds.lock_holds_of(booking.id)  # before the flush moves them, in whatever order it likes
    for hold in list(booking.seat_holds):
        if hold.expires_at is not None:
            hold.booking_id = draft.id
            hold.passenger_id = by_position[old_by_id[hold.passenger_id]].id if hold.passenger_id in old_by_id else None
    states.transition(booking, BookingStatus.CANCELLED, "traveller (web)", note=f"changed before paying: {draft.id}")
    db.session.commit()
    return draft
