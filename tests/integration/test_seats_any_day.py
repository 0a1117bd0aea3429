"""The seats the suite's scenarios need can be had whatever day the suite runs.

The demo seed sells about a fifth of every flight's seats by hashing flight number, date
and seat, so a seat code written into a test is sold on some days, and that test fails
only on those days (27C broke `make test` on 2026-12-01). Here the seat choices of the
seat-needing scenarios (paying for a seat, expiry, a late payment for a seat taken
meanwhile, exit rows refused to a child, manage-my-booking's seat) run through the real
services on flights seeded for 30 days spread over a year. The days are counted from
today, so this test itself never depends on the date.
"""
from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import delete, select

from checkout.bookings import seat_holds, service, states
from checkout.bookings.acknowledgements import ACKNOWLEDGEMENTS
from checkout.bookings.service import Contact, PassengerDetails
from checkout.catalog.search import Party
from checkout.catalog.seatmaps import SEAT_PRICES
from checkout.catalog.seed import seed_flights
from checkout.clock import utcnow
from checkout.extensions import db
from checkout.models import Booking, BookingStatus, Flight, SeatHold
from checkout.steps.customize import SeatMapView
from tests.seats_support import free_seat

# Days ahead: every 12th day for a year, clear of conftest's seeded week and of
# manage_support's far flight (FAR_DAYS = 20), whose rows the test must not touch.
DAYS_AHEAD = [7 + 12 * k for k in range(30)]
ADA = PassengerDetails("Ada", "Lovelace", date(1985, 12, 10), "GB", "X1234567", date(2099, 1, 1), gender="F")
CONTACT = Contact("ada@example.com", "+12125550100")


@pytest.fixture(scope="module")
def seeded_from(app):
    """The day counted from; that year's flights are seeded as the demo seeds them, and
    removed afterwards so the rest of the suite sees only its own week."""
    today = utcnow().date()  # once: the run may cross midnight
    with app.app_context():
        before = set(db.session.execute(select(Flight.id)).scalars())
        for days in DAYS_AHEAD:
            seed_flights(today + timedelta(days=days), 1)
        added = set(db.session.execute(select(Flight.id)).scalars()) - before
    yield today
    with app.app_context():
        db.session.execute(delete(SeatHold).where(SeatHold.flight_id.in_(added)))
        db.session.execute(delete(Booking).where(Booking.flight_id.in_(added)))
        db.session.execute(delete(Flight).where(Flight.id.in_(added)))
        db.session.commit()


def flight_on(number: str, day: date) -> Flight:
    around = datetime.combine(day, time(0), tzinfo=timezone.utc)
    candidates = db.session.execute(select(Flight).where(
        Flight.flight_number == number, Flight.departs_at.between(around - timedelta(days=1), around + timedelta(days=2)),
    )).scalars()
    return next(f for f in candidates if f.departure_date == day)


def pending_with_seat(flight: Flight, seat: str) -> Booking:
    """What tests.payments_support.pending_booking does, on this flight."""
    booking = service.create_draft(flight, Party(1))
    service.choose_seat(booking, 0, seat)
    service.save_passengers(booking, [ADA], CONTACT)
    return service.submit(booking, [a.key for a in ACKNOWLEDGEMENTS])


@pytest.mark.parametrize("days_ahead", DAYS_AHEAD)
def test_every_seat_a_scenario_needs_is_free_on_any_day(seeded_from, app_ctx, days_ahead):
    day = seeded_from + timedelta(days=days_ahead)
    domestic, international = flight_on("FA200", day), flight_on("FA100", day)
    now = utcnow()

    # Paying for a standard seat on a Basic fare (payments, staff seat refunds).
    seat = free_seat(domestic, kind="standard")
    booking = pending_with_seat(domestic, seat)
    assert booking.passengers[0].seat_code == seat
    assert [line.amount for line in booking.price_lines if line.kind == "seat"] == [SEAT_PRICES["standard"]]

    # The hold lapses, someone else takes the seat, the late payment cannot have it back.
    states.transition(booking, BookingStatus.EXPIRED, "test")
    seat_holds.release(booking.id)
    db.session.commit()
    assert seat not in seat_holds.unavailable_seats(domestic.id, None, now)
    rival = service.create_draft(domestic, Party(1))
    service.choose_seat(rival, 0, seat)
    assert not seat_holds.claim(domestic.id, seat, booking.id, booking.passengers[0].id, None, now)
    db.session.rollback()

    # An exit-row seat free for adults is refused to a child, and the seat map says why.
    family = service.create_draft(domestic, Party(adults=2, children=1, infants=1))
    exit_seat = free_seat(domestic, kind="exit")
    with pytest.raises(service.SeatUnavailable, match="Children cannot sit in an exit row"):
        service.choose_seat(family, 2, exit_seat)
    shown_to_child = {view.seat.code: view for _, _, blocks in SeatMapView(family, 2).rows() for block in blocks for view in block}
    assert shown_to_child[exit_seat].state == "restricted"
    assert "taken" in {view.state for view in shown_to_child.values()}  # a sold seat to refuse, too
    service.choose_seat(family, 1, exit_seat)
    assert family.passengers[1].seat_code == exit_seat

    # Manage my booking and the bookings API show the seat of a transatlantic booking.
    seat = free_seat(international)
    assert pending_with_seat(international, seat).passengers[0].seat_code == seat
