"""Every booking holds a place in its cabin, on PostgreSQL: a cabin is never sold twice over.

A passenger without a chosen seat still holds a real seat row (a place assigned by us, shown
as "assigned at check-in"), so the unique (flight, seat) row is what stops overselling.
"""
import threading
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from checkout.bookings import seat_holds, service
from checkout.catalog.search import Party
from checkout.clock import utcnow
from checkout.extensions import db
from checkout.models import Booking, BookingStatus, Flight, SeatHold
from checkout.payments.sweeper import ABANDONED_DRAFT, sweep
from tests.capacity_support import cabin_seats, cabins, flight_on, free_seats, live_holds_in_cabin  # noqa: F401 (a fixture)

NARROW = "FA205"  # LAX-JFK, A321: economy only
WIDE = "FA300"  # SFO-NRT, 787-9: business and economy


def holds_of(booking) -> list[SeatHold]:
    return db.session.execute(select(SeatHold).where(SeatHold.booking_id == booking.id)).scalars().all()


def test_fifty_travellers_for_the_last_ten_places_exactly_ten_get_one(app, cabins):
    with app.app_context():
        flight = flight_on(NARROW)
        flight_id, capacity = flight.id, len(cabin_seats(flight, "economy"))
        cabins.fill(flight, "economy", leave=10)
    travellers = 50
    barrier = threading.Barrier(travellers, timeout=60)
    booked, refused, errors = [], [], []

    def book():
        with app.app_context():
            try:
                barrier.wait()
                booking = service.create_draft(db.session.get(Flight, flight_id), Party(1))
                booked.append(booking.id)
            except service.BookingError as err:
                refused.append(err.message)
            except Exception as err:  # noqa: BLE001 - a crash must fail the test, not hang it
                errors.append(repr(err))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=book) for _ in range(travellers)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"\n{travellers} concurrent bookings for 10 places: {len(booked)} booked, {len(refused)} refused, "
          f"{time.monotonic() - started:.2f}s")
    assert errors == []
    assert len(booked) == 10 and len(refused) == 40
    assert all("sold out" in message for message in refused), refused[:3]
    with app.app_context():
        flight = db.session.get(Flight, flight_id)
        holds = live_holds_in_cabin(flight, "economy")
        assert len(holds) == capacity  # the cabin is exactly full, not one more
        assert len({h.seat_code for h in holds}) == capacity
        assert sorted(h.booking_id for h in holds if h.booking_id) == sorted(booked)
        # Nothing half-made: a refused booking left no draft behind.
        assert db.session.execute(select(func.count()).select_from(Booking).where(Booking.flight_id == flight_id)).scalar() == 10


def test_a_party_needs_a_place_for_everyone_but_infants_on_a_lap(app_ctx, cabins):
    flight = flight_on(NARROW)
    cabins.fill(flight, "economy", leave=3)
    with pytest.raises(service.BookingError) as refused:
        service.create_draft(flight, Party(adults=4))
    assert "Only 3 seats are left" in refused.value.message and "4 passengers" in refused.value.message
    assert db.session.execute(select(func.count()).select_from(Booking)).scalar() == 0
    booking = service.create_draft(flight, Party(adults=2, children=1, infants=1))
    assert len(holds_of(booking)) == 3  # the infant travels on a lap and takes no seat
    assert all(h.expires_at == booking.hold_expires_at for h in holds_of(booking))
    assert [p.seat_code for p in booking.passengers] == [None] * 4  # nothing chosen: assigned at check-in
    assert free_seats(flight, "economy") == []


def test_business_and_economy_are_counted_separately(app_ctx, cabins):
    flight = flight_on(WIDE)
    cabins.fill(flight, "economy", leave=0)
    with pytest.raises(service.BookingError, match="sold out"):
        service.create_draft(flight, Party(1), fare_family_code="BASIC")
    business = service.create_draft(flight, Party(2), fare_family_code="BUSINESS")
    assert {seat_holds_cabin(flight, h.seat_code) for h in holds_of(business)} == {"business"}
    # Without a fare family, the first one with room is taken: here Business.
    assert service.create_draft(flight, Party(1)).fare_family_code == "BUSINESS"
    cabins.fill(flight, "business", leave=0)
    with pytest.raises(service.BookingError, match="sold out"):
        service.create_draft(flight, Party(1))


def seat_holds_cabin(flight, seat_code):
    from checkout.catalog.seatmaps import find_seat
    return find_seat(flight.aircraft, seat_code).cabin


def test_switching_to_a_full_cabin_is_refused_and_changes_nothing(app_ctx, cabins):
    flight = flight_on(WIDE)
    booking = service.create_draft(flight, Party(2), fare_family_code="STANDARD")
    before = sorted(h.seat_code for h in holds_of(booking))
    cabins.fill(flight, "business", leave=1)
    with pytest.raises(service.BookingError, match="Only 1 seat is left in Business"):
        service.choose_fare(booking, "BUSINESS")
    db.session.refresh(booking)
    assert booking.fare_family_code == "STANDARD" and sorted(h.seat_code for h in holds_of(booking)) == before
    # A cabin with room: the places move with the fare.
    service.choose_fare(booking, "FLEX")
    assert sorted(h.seat_code for h in holds_of(booking)) == before
    cabins.empty()
    service.choose_fare(booking, "BUSINESS")
    assert {seat_holds_cabin(flight, h.seat_code) for h in holds_of(booking)} == {"business"}
    assert len(holds_of(booking)) == 2 and set(before) <= set(free_seats(flight, "economy"))


def test_choosing_a_seat_moves_the_place_and_giving_it_back_keeps_one(app_ctx):
    flight = flight_on(NARROW)
    booking = service.create_draft(flight, Party(2))
    assigned = {h.passenger_id: h.seat_code for h in holds_of(booking)}
    first, second = booking.passengers
    assert set(assigned) == {first.id, second.id}
    # Passenger 1 picks the seat we had assigned to passenger 2: passenger 2 is given another.
    service.choose_seat(booking, 0, assigned[second.id])
    now_held = {h.passenger_id: h.seat_code for h in holds_of(booking)}
    assert now_held[first.id] == assigned[second.id] == first.seat_code
    assert now_held[second.id] not in (assigned[second.id], None) and len(holds_of(booking)) == 2
    # A free seat of their own choosing, then none: the place stays, the choice goes.
    chosen = free_seats(flight, "economy")[0]
    service.choose_seat(booking, 0, chosen)
    assert {h.seat_code for h in holds_of(booking)} == {chosen, now_held[second.id]}
    service.choose_seat(booking, 0, None)
    assert first.seat_code is None and len(holds_of(booking)) == 2


def _ready(booking):
    service.save_passengers(booking, [service.PassengerDetails("Ada", "Lovelace", date(1985, 12, 10), "GB",
                                                               "X1234567", date(2035, 1, 1), gender="F")],
                            service.Contact("ada@example.com", "+12125550100"))
    return booking


def test_a_lapsed_draft_gives_its_place_back_and_it_is_sold_again(app_ctx, cabins):
    flight = flight_on(NARROW)
    cabins.fill(flight, "economy", leave=1)
    first = _ready(service.create_draft(flight, Party(1)))
    with pytest.raises(service.BookingError, match="sold out"):
        service.create_draft(flight, Party(1))
    later = first.hold_expires_at + timedelta(seconds=1)
    second = service.create_draft(flight, Party(1), now=later)  # the lapsed place is taken over
    assert len(holds_of(second)) == 1
    # The first traveller comes back: the place is gone and the flight is full, so they are told.
    renewal = service.renew_hold_if_expired(first, now=later)
    assert renewal.sold_out and "sold out" in renewal.sold_out
    assert first.status == BookingStatus.EXPIRED and holds_of(first) == []
    assert len(live_holds_in_cabin(flight, "economy")) == len(cabin_seats(flight, "economy"))


def test_a_returning_traveller_keeps_a_lapsed_place_nobody_took(app_ctx, cabins):
    flight = flight_on(NARROW)
    cabins.fill(flight, "economy", leave=1)
    booking = service.create_draft(flight, Party(1))
    later = booking.hold_expires_at + timedelta(seconds=1)
    renewal = service.renew_hold_if_expired(booking, now=later)
    assert not renewal.sold_out and booking.status == BookingStatus.DRAFT
    assert [h.expires_at for h in holds_of(booking)] == [booking.hold_expires_at]


def test_the_sweeper_closing_an_abandoned_draft_frees_its_place(app_ctx, cabins):
    flight = flight_on(NARROW)
    cabins.fill(flight, "economy", leave=1)
    abandoned = service.create_draft(flight, Party(1))
    sweep(now=abandoned.hold_expires_at + ABANDONED_DRAFT + timedelta(seconds=1))
    db.session.refresh(abandoned)
    assert abandoned.status == BookingStatus.EXPIRED and holds_of(abandoned) == []
    assert len(free_seats(flight, "economy")) == 1
    assert len(holds_of(service.create_draft(flight, Party(1)))) == 1


def test_cancelling_a_pending_booking_frees_its_place(app_ctx, cabins):
    from checkout.payments import cancel_booking as cancel
    flight = flight_on(NARROW)
    cabins.fill(flight, "economy", leave=1)
    pending = service.submit(_ready(service.create_draft(flight, Party(1))), [a.key for a in service.ACKNOWLEDGEMENTS])
    assert [h.expires_at for h in holds_of(pending)] == [pending.hold_expires_at]  # the payment window
    with pytest.raises(service.BookingError, match="sold out"):
        service.create_draft(flight, Party(1))
    cancel(pending.id, "test")
    assert len(holds_of(service.create_draft(flight, Party(1)))) == 1


def _paid_late(flight, cabins, leave):
    """A pending booking without a chosen seat whose hold lapses (places released) while the
    traveller is on the 3-D Secure page; then the cabin fills up to `leave` free places."""
    from checkout.bookings import states
    from checkout.payments import service as payments
    from tests.payments_support import authenticate, pay_at_stripe
    booking = service.submit(_ready(service.create_draft(flight, Party(1))), [a.key for a in service.ACKNOWLEDGEMENTS])
    started = payments.start_payment(booking.id)
    pay_at_stripe(started.attempt.payment_intent_id, "4000002760003184")
    states.transition(booking, BookingStatus.EXPIRED, "test")
    seat_holds.release(booking.id)
    db.session.commit()
    cabins.fill(flight, "economy", leave=leave)
    authenticate(started.attempt.payment_intent_id, started.client_secret, success=True)
    return booking, payments.reconcile(started.attempt.payment_intent_id)


def test_a_paid_booking_owns_its_assigned_place(app_ctx):
    from checkout.payments import service as payments
    from tests.payments_support import pay_at_stripe
    booking = service.submit(_ready(service.create_draft(flight_on(NARROW), Party(1))),
                             [a.key for a in service.ACKNOWLEDGEMENTS])
    started = payments.start_payment(booking.id)
    pay_at_stripe(started.attempt.payment_intent_id, "4242424242424242")
    assert payments.reconcile(started.attempt.payment_intent_id).booking_status == "CONFIRMED"
    assert [h.expires_at for h in holds_of(booking)] == [None]  # sold: no sweeper can give it away


def test_late_payment_confirms_only_if_the_cabin_still_has_a_place(app_ctx, cabins):
    flight = flight_on(NARROW)
    booking, outcome = _paid_late(flight, cabins, leave=1)
    assert outcome.booking_status == "CONFIRMED"
    assert [h.expires_at for h in holds_of(booking)] == [None]
    assert free_seats(flight, "economy") == []


def test_late_payment_for_a_full_cabin_is_refunded(app_ctx, cabins):
    booking, outcome = _paid_late(flight_on(NARROW), cabins, leave=0)
    assert outcome.booking_status == "CANCELLED"
    db.session.refresh(booking)
    assert "Late payment refunded" in booking.attention_reason and holds_of(booking) == []
