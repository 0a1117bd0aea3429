"""Migration 0015 turns every booking, whatever its state, into a trip of one slice of one
segment, its chosen seats into seats on that segment; the downgrade gives them back."""
import secrets
from datetime import date

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from checkout import create_app
from checkout.catalog.seed import seed_all
from checkout.extensions import db
from checkout.models import Booking, BookingStatus
from tests.conftest import BASE_URL, RATE_LIMITS, _admin, _with_database


@pytest.fixture
def database_at_0013():
    """A database at 0013 with a booking in every state, each with a seated passenger, the
    first four of them with a chosen seat, and each on its own flight at its own held fare."""
    name = f"fly2any_trips_{secrets.token_hex(4)}"
    _admin(f'CREATE DATABASE "{name}"')
    url = _with_database(BASE_URL, name)
    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": url, **RATE_LIMITS})
    with app.app_context():
        upgrade(revision="0013")
        seed_all(date(2026, 12, 1), 1)
        for number, status in enumerate(BookingStatus.ALL):
            booking_id = db.session.execute(text(
                "INSERT INTO bookings (status, flight_id, fare_family_code, insurance, priority_boarding, currency,"
                " held_base_fare, hold_expires_at, created_at, updated_at, channel)"
                " SELECT :status, id, 'STANDARD', false, false, 'USD', 10000 + :n, now(), now(), now(), 'web'"
                " FROM flights ORDER BY id OFFSET :n LIMIT 1 RETURNING id"), {"status": status, "n": number}).scalar_one()
            db.session.execute(text(
                "INSERT INTO passengers (booking_id, position, passenger_type, checked_bags, seat_code)"
                " VALUES (:b, 0, 'adult', 0, :seat), (:b, 1, 'infant', 0, NULL)"),
                {"b": booking_id, "seat": f"{number + 10}C" if number < 4 else None})
        db.session.commit()
        db.engine.dispose()
    yield app
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def before() -> list[tuple]:
    rows = list(db.session.execute(text(
        "SELECT b.status, b.flight_id, b.fare_family_code, b.held_base_fare, p.seat_code FROM bookings b"
        " JOIN passengers p ON p.booking_id = b.id AND p.position = 0 ORDER BY b.id")).all())
    db.session.commit()  # no transaction left open for the migration's ALTER TABLE to wait on
    return rows


def test_every_booking_becomes_a_trip_of_one_flight_and_back(database_at_0013):
    app = database_at_0013
    with app.app_context():
        was = before()
        upgrade()
        bookings = db.session.query(Booking).order_by(Booking.id).all()
        assert [(b.status, b.flight_id, b.fare_family_code, b.segments[0].held_base_fare,
                 b.passengers[0].seat_code) for b in bookings] == [tuple(row) for row in was]
        for booking in bookings:
            assert [s.position for s in booking.slices] == [0]
            assert [(s.position, s.flight_id, s.slice) for s in booking.segments] == [(0, booking.flight_id,
                                                                                       booking.slices[0])]
            assert booking.slices[0].fare_family_code == booking.fare_family_code
            infant = booking.passengers[1]
            assert infant.seats == []
        assert sum(len(p.seats) for b in bookings for p in b.passengers) == 4
        assert {b.status for b in bookings} == set(BookingStatus.ALL)
        db.session.commit()

        downgrade(revision="0013")
        assert before() == was
        db.session.commit()
        db.engine.dispose()
