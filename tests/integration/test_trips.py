"""A booking holds a whole trip (issue 18): a place for every seated passenger on every
flight, seats chosen flight by flight, every flight priced at its held fare, and the
whole trip refused, leaving nothing held, when one flight has no room."""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from checkout.bookings import service
from checkout.bookings.acknowledgements import ACKNOWLEDGEMENTS
from checkout.bookings.service import CabinFull, Contact, PassengerDetails
from checkout.catalog import search
from checkout.catalog.search import Party
from checkout.catalog.seatmaps import find_seat
from checkout.extensions import db
from checkout.models import Booking, BookingStatus, SeatHold
from checkout.payments.booking_changes import reopen_as_draft
from checkout.payments.sweeper import ABANDONED_DRAFT, sweep
from tests.capacity_support import cabins, free_seats  # noqa: F401 (a fixture)
from tests.trip_support import connection, expected_total, return_trip

PEOPLE = [PassengerDetails("Ada", "Lovelace", date(1985, 12, 10), "GB", "X1234567", date.today() + timedelta(days=3000), gender="F"),
          PassengerDetails("Charles", "Babbage", date(1981, 12, 26), "GB", "X7654321", date.today() + timedelta(days=3000), gender="M")]


def holds_by_flight(booking_id: int) -> dict[int, list[tuple[str, int]]]:
    held: dict[int, list[tuple[str, int]]] = {}
    for hold in db.session.execute(select(SeatHold).where(SeatHold.booking_id == booking_id)).scalars():
        held.setdefault(hold.flight_id, []).append((hold.seat_code, hold.passenger_id))
    return held


def priced_seat(flight, cabin="economy", skip=()) -> str:
    """A free seat the Basic fare pays for (not an exit row, which a test passenger may not take)."""
    return next(code for code in free_seats(flight, cabin)
                if code not in skip and not find_seat(flight.aircraft, code).is_exit_row
                and find_seat(flight.aircraft, code).price)


def test_a_return_trip_holds_both_flights_and_seats_are_chosen_on_each(app_ctx):
    trip = return_trip()
    out, back = trip.flights
    booking = service.create_draft(trip, Party(2))
    assert booking.flight == out and [s.flight for s in booking.segments] == [out, back]
    assert [[s.flight for s in leg] for leg in booking.legs] == [[out], [back]]
    passengers = sorted(p.id for p in booking.seated_passengers)
    held = holds_by_flight(booking.id)
    assert {f: sorted(p for _, p in holds) for f, holds in held.items()} == {out.id: passengers, back.id: passengers}
    assert service.quote_for(booking).total == search.price_itinerary(trip, booking.fare_family, Party(2)).total

    outbound_seat, return_seat = priced_seat(out), priced_seat(back)
    service.choose_seat(booking, 0, outbound_seat, segment=0)
    service.choose_seat(booking, 0, return_seat, segment=1)
    db.session.expire_all()
    booking = service.get_booking(booking.id)
    first = booking.passengers[0]
    assert [first.seat_on(s) for s in booking.segments] == [outbound_seat, return_seat]
    held = holds_by_flight(booking.id)
    assert (outbound_seat, first.id) in held[out.id] and (return_seat, first.id) in held[back.id]
    assert len(held[out.id]) == len(held[back.id]) == 2  # the seat replaced the place assigned there
    quote = service.quote_for(booking)
    assert quote.total == expected_total(booking, trip, [[outbound_seat, return_seat], [None, None]])
    seat_lines = [line.description for line in quote.lines if line.kind == "seat"]
    assert seat_lines == [f"Seat {outbound_seat} on {out.label}, Passenger 1 (adult)",
                          f"Seat {return_seat} on {back.label}, Passenger 1 (adult)"]

    service.choose_seat(booking, 0, None, segment=1)  # given back on the return flight only
    db.session.expire_all()
    booking = service.get_booking(booking.id)
    assert [booking.passengers[0].seat_on(s) for s in booking.segments] == [outbound_seat, None]
    assert return_seat not in {code for code, _ in holds_by_flight(booking.id)[back.id]}


def test_a_connection_with_no_room_on_its_second_flight_is_refused_naming_it(app, cabins):
    with app.app_context():
        trip = connection()
        first, second = trip.flights
        cabins.fill(second, "economy", leave=1)
        with pytest.raises(CabinFull) as refused:
            service.create_draft(trip, Party(2))
        assert f"flight {second.flight_number}" in refused.value.message
        assert "Only 1 seat is left" in refused.value.message or "not enough" in refused.value.message
        # Nothing half-made: no draft, and no place kept on the first flight.
        assert db.session.execute(select(func.count()).select_from(Booking)).scalar() == 0
        assert db.session.execute(select(func.count()).select_from(SeatHold).where(
            SeatHold.booking_id.is_not(None))).scalar() == 0
        assert service.create_draft(trip, Party(1)).status == BookingStatus.DRAFT  # one still fits


def test_a_fare_in_the_other_cabin_moves_every_place_and_gives_back_every_seat(app_ctx):
    trip = return_trip()
    booking = service.create_draft(trip, Party(1), fare_family_code="BASIC")
    service.choose_seat(booking, 0, priced_seat(trip.flights[0]), segment=0)
    service.choose_seat(booking, 0, priced_seat(trip.flights[1]), segment=1)
    released = service.choose_fare(booking, "BUSINESS")
    assert len(released) == 2
    db.session.expire_all()
    booking = service.get_booking(booking.id)
    assert [s.fare_family_code for s in booking.slices] == ["BUSINESS", "BUSINESS"]
    assert booking.passengers[0].seats == []
    for flight in trip.flights:
        [(code, _)] = holds_by_flight(booking.id)[flight.id]
        assert find_seat(flight.aircraft, code).cabin == "business"


def test_a_renewed_hold_tells_the_price_change_of_any_flight(app_ctx):
    trip = return_trip()
    booking = service.create_draft(trip, Party(1))
    before = service.quote_for(booking).total
    trip.flights[1].base_fare += 5000  # the return flight's fare moves while the hold lapses
    db.session.commit()
    renewal = service.renew_hold_if_expired(booking, now=booking.hold_expires_at + timedelta(seconds=1))
    assert renewal.price_from == before and renewal.price_to > before
    assert [s.held_base_fare for s in booking.segments] == [f.base_fare for f in trip.flights]
    assert len(holds_by_flight(booking.id)) == 2


def test_submit_prices_the_whole_trip_and_a_reopened_draft_keeps_every_seat(app_ctx):
    trip = connection()
    booking = service.create_draft(trip, Party(2))
    seats = [priced_seat(trip.flights[0]), priced_seat(trip.flights[1])]
    service.choose_seat(booking, 1, seats[0], segment=0)
    service.choose_seat(booking, 1, seats[1], segment=1)
    service.save_passengers(booking, PEOPLE, Contact("ada@example.com", "+12125550100"))
    booking = service.submit(booking, [a.key for a in ACKNOWLEDGEMENTS])
    assert booking.status == BookingStatus.PENDING_PAYMENT
    assert booking.total_amount == expected_total(booking, trip, [[None, None], seats])
    assert all(h.expires_at == booking.hold_expires_at for h in booking.seat_holds) and len(booking.seat_holds) == 4

    draft = reopen_as_draft(booking)
    db.session.expire_all()
    draft = service.get_booking(draft.id)
    assert [s.flight_id for s in draft.segments] == [f.id for f in trip.flights]
    assert [draft.passengers[1].seat_on(s) for s in draft.segments] == seats
    assert {(f, code) for f, holds in holds_by_flight(draft.id).items() for code, _ in holds} >= {
        (trip.flights[0].id, seats[0]), (trip.flights[1].id, seats[1])}


def test_the_sweeper_gives_back_every_flight_of_an_abandoned_trip(app_ctx):
    trip = return_trip()
    booking = service.create_draft(trip, Party(2))
    sweep(now=booking.hold_expires_at + ABANDONED_DRAFT + timedelta(seconds=1))
    assert holds_by_flight(booking.id) == {}


def test_travel_documents_are_kept_until_the_last_flight_of_the_trip_has_flown(app_ctx):
    from checkout.bookings.personal_data import purge_after_travel
    trip = return_trip()
    out, back = trip.flights
    booking = service.create_draft(trip, Party(1))
    service.save_passengers(booking, PEOPLE[:1], Contact("ada@example.com", "+12125550100"))
    booking = service.submit(booking, [a.key for a in ACKNOWLEDGEMENTS])
    booking_id = booking.id
    between = out.departs_at + timedelta(hours=12)  # the outbound has flown, the return has not
    purge_after_travel(0, now=between)
    db.session.expire_all()
    assert db.session.get(Booking, booking_id).passengers[0].passport_number == "X1234567"
    purge_after_travel(0, now=back.departs_at + timedelta(hours=12))
    db.session.expire_all()
    assert db.session.get(Booking, booking_id).passengers[0].passport_number is None
