"""Seat holds on PostgreSQL: one seat, one holder, whatever the race."""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from checkout.bookings import seat_holds, service
from checkout.bookings.service import SeatUnavailable
from checkout.catalog.search import Party
from checkout.clock import utcnow
from checkout.extensions import db
from checkout.models import Flight, SeatHold
from tests.seats_support import free_seat


def _flight(app, number="FA200"):
    return db.session.execute(
        select(Flight).where(Flight.flight_number == number, Flight.departs_at > utcnow() + timedelta(days=1))
        .order_by(Flight.departs_at)
    ).scalars().first()


def race_for_the_seat(app, booking_ids: list[int], seat: str, now=None) -> list[str]:
    """Each booking's first passenger chooses `seat` at once, from its own thread: won / lost."""
    barrier = threading.Barrier(len(booking_ids), timeout=60)
    results = []

    def race(booking_id):
        with app.app_context():
            booking = service.get_booking(booking_id)
            db.session.commit()  # give the connection back while waiting at the start line
            barrier.wait()
            try:
                service.choose_seat(booking, 0, seat, now=now)
                results.append("won")
            except SeatUnavailable:
                results.append("lost")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=race, args=(b,)) for b in booking_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_twenty_travellers_racing_for_one_seat_get_exactly_one_hold(app):
    with app.app_context():
        flight = _flight(app)
        seat = free_seat(flight, kind="standard")
        booking_ids = [service.create_draft(flight, Party(1)).id for _ in range(20)]
    results = race_for_the_seat(app, booking_ids, seat)
    assert sorted(results) == ["lost"] * 19 + ["won"]
    with app.app_context():
        holds = db.session.execute(select(SeatHold).where(SeatHold.flight_id == flight.id, SeatHold.seat_code == seat)).scalars().all()
        assert len(holds) == 1
        winner = service.get_booking(holds[0].booking_id)
        assert winner.passengers[0].seat_code == seat
        losers = [service.get_booking(b) for b in booking_ids if b != winner.id]
        assert all(b.passengers[0].seat_code is None for b in losers)


def test_an_expired_hold_is_taken_over_but_a_live_or_sold_one_is_not(app):
    with app.app_context():
        flight = _flight(app)
        seat = free_seat(flight, kind="standard")
        first = service.create_draft(flight, Party(1))
        second = service.create_draft(flight, Party(1))
        service.choose_seat(first, 0, seat)
        try:
            service.choose_seat(second, 0, seat)
            raise AssertionError("a live hold was taken over")
        except SeatUnavailable as err:
            assert "just been taken" in err.message
        # The first traveller's hold lapses: the second may now take the seat, atomically.
        later = first.hold_expires_at + timedelta(seconds=1)
        second.hold_expires_at = later + timedelta(minutes=15)
        db.session.commit()
        service.choose_seat(second, 0, seat, now=later)
        hold = db.session.execute(select(SeatHold).where(SeatHold.flight_id == flight.id, SeatHold.seat_code == seat)).scalar_one()
        assert hold.booking_id == second.id
        # A sold seat (expires_at NULL) is never taken over, however late.
        seat_holds.extend(second.id, None)
        db.session.commit()
        third = service.create_draft(flight, Party(1))
        assert not seat_holds.claim(flight.id, seat, third.id, None, utcnow() + timedelta(minutes=15), utcnow() + timedelta(days=365))


def test_changing_seat_gives_the_old_one_back(app):
    with app.app_context():
        flight = _flight(app)
        booking = service.create_draft(flight, Party(1))
        first = free_seat(flight, kind="standard")
        service.choose_seat(booking, 0, first)
        second = free_seat(flight, kind="standard")
        service.choose_seat(booking, 0, second)
        mine = db.session.execute(select(func.count()).select_from(SeatHold).where(SeatHold.booking_id == booking.id)).scalar()
        assert mine == 1
        assert first not in seat_holds.unavailable_seats(flight.id, None, utcnow())


@pytest.mark.parametrize("how", ["claim", "take"])
def test_losing_a_seat_leaves_no_lock_on_the_winners_hold(app, how):
    """A traveller whose claim failed must not make the holder wait (queues and deadlocks):
    neither as a place is claimed nor as a seat is chosen (which also reads whose it was)."""
    from sqlalchemy import text
    with app.app_context():
        flight = _flight(app)
        seat = free_seat(flight, kind="standard")
        holder = service.create_draft(flight, Party(1))
        service.choose_seat(holder, 0, seat)
        rival_id, holder_id, flight_id = service.create_draft(flight, Party(1)).id, holder.id, flight.id
    lost, done = threading.Event(), threading.Event()
    outcome = []

    def rival():  # loses the seat, and stays in its transaction a while
        with app.app_context():
            attempt = seat_holds.claim if how == "claim" else lambda *args: seat_holds.take(*args).held
            outcome.append(attempt(flight_id, seat, rival_id, None, utcnow() + timedelta(minutes=15), utcnow()))
            lost.set()
            done.wait(30)
            db.session.rollback()
            db.session.remove()

    thread = threading.Thread(target=rival)
    thread.start()
    try:
        assert lost.wait(30) and outcome == [False]
        with app.app_context():
            db.session.execute(text("SET LOCAL lock_timeout = '2s'"))
            seat_holds.extend(holder_id, utcnow() + timedelta(minutes=30))  # the holder goes on to pay
            db.session.commit()
    finally:
        done.set()
        thread.join()


def test_travellers_racing_for_a_lapsed_hold_get_exactly_one(app):
    """Taking over a lapsed hold (read, locked, rewritten) is as exclusive as taking a free seat."""
    with app.app_context():
        flight = _flight(app)
        seat = free_seat(flight, kind="standard")
        lapsed = service.create_draft(flight, Party(1))
        service.choose_seat(lapsed, 0, seat)
        later = lapsed.hold_expires_at + timedelta(seconds=1)
        booking_ids = [service.create_draft(flight, Party(1), now=later).id for _ in range(10)]
    results = race_for_the_seat(app, booking_ids, seat, now=later)
    assert sorted(results) == ["lost"] * 9 + ["won"]
    with app.app_context():
        hold = db.session.execute(select(SeatHold).where(SeatHold.flight_id == flight.id,
                                                         SeatHold.seat_code == seat)).scalar_one()
        assert hold.booking_id in booking_ids
        assert service.get_booking(hold.booking_id).passengers[0].seat_code == seat
