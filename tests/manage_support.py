"""Helpers for the bookings API and manage-my-booking tests: confirmed bookings far enough
ahead for the 24-hour rule, staff sessions and API tokens."""
from __future__ import annotations

import re

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select

from checkout.catalog.seed import flight_times
from checkout.clock import utcnow
from checkout.extensions import db
from checkout.models import Booking, Flight, SeatHold
from checkout.payments import service as payments
from checkout.staff.auth import create_api_token, create_staff
from tests.payments_support import pay_at_stripe, pending_booking

FAR_DAYS = 20  # the seeded flights cover only SEED_DAYS; the 24-hour rule needs >= 7 days


def make_far_flight(number: str = "FA100", days: int = FAR_DAYS) -> Flight:
    """A flight `days` ahead, copying the seeded flight's route, local times and aircraft (made once)."""
    template = db.session.execute(
        select(Flight).where(Flight.flight_number == number).order_by(Flight.departs_at)).scalars().first()
    # The same wall-clock time where it leaves, as the seed does: shifting the UTC time by
    # whole days would move it an hour whenever a daylight-saving change lies in between.
    origin_tz = template.origin.tz
    departs, arrives = flight_times(
        utcnow().date() + timedelta(days=days), template.departs_at.astimezone(ZoneInfo(origin_tz)).time(),
        (template.arrives_at - template.departs_at) // timedelta(minutes=1), origin_tz)
    flight = db.session.execute(
        select(Flight).where(Flight.flight_number == number, Flight.departs_at == departs)).scalar_one_or_none()
    if flight is None:
        flight = Flight(flight_number=number, origin_code=template.origin_code,
                        destination_code=template.destination_code, departs_at=departs,
                        arrives_at=arrives, aircraft=template.aircraft,
                        base_fare=template.base_fare, currency=template.currency)
        db.session.add(flight)
        db.session.commit()
    return flight


@pytest.fixture
def far_flight(app):
    """FA100 departing FAR_DAYS ahead, for the 24-hour rule. Removed after the test, with
    its bookings, so the seeded catalogue is as every other test expects it."""
    with app.app_context():
        flight_id = make_far_flight().id
    yield flight_id
    with app.app_context():
        db.session.execute(delete(SeatHold).where(SeatHold.flight_id == flight_id))
        db.session.execute(delete(Booking).where(Booking.flight_id == flight_id))
        db.session.execute(delete(Flight).where(Flight.id == flight_id))
        db.session.commit()


def confirmed_booking(far: bool = False, number: str = "FA100", seat: str | None = None) -> Booking:
    """A booking paid with 4242 at localstripe and reconciled, booked just now.

    `far`: on the far_flight fixture's flight, FAR_DAYS ahead (the 24-hour rule applies);
    otherwise on a seeded flight 2-3 days ahead.
    """
    if far and not db.session.execute(select(Flight.id).where(
            Flight.flight_number == number, Flight.departs_at > utcnow() + timedelta(days=FAR_DAYS - 1))).first():
        raise RuntimeError("confirmed_booking(far=True) needs the far_flight fixture")
    booking = pending_booking(number=number, seat=seat, days_ahead=FAR_DAYS - 1 if far else 2)
    started = payments.start_payment(booking.id)
    assert pay_at_stripe(started.attempt.payment_intent_id, "4242424242424242").status == "succeeded"
    assert payments.reconcile(started.attempt.payment_intent_id).booking_status == "CONFIRMED"
    db.session.refresh(booking)
    return booking


def booked_days_ago(booking: Booking, days: int) -> None:
    """Move the booking's own timestamps back, as if it had been made `days` ago."""
    shift = timedelta(days=days)
    booking.created_at -= shift
    booking.submitted_at -= shift
    if booking.confirmed_at:
        booking.confirmed_at -= shift
    db.session.commit()


def api_token(role: str | None = "supervisor") -> str:
    """A bearer token, owned by a staff member of `role` (None: an unowned service token)."""
    owner = create_staff(f"api-{role}@fly2any.test", "a long test password", role) if role else None
    return create_api_token(f"test {role or 'service'}", owner)


def sign_in_staff(client, app, role: str = "supervisor") -> dict:
    """Give this test client a signed-in staff session (as staff.auth.sign_in leaves it).
    Returns the headers a console page's script sends with an API call that changes something:
    the page's CSRF token and our Origin (checkout/api/bookings.py asks a cookie for both)."""
    with app.app_context():
        user = create_staff(f"staff-{role}@fly2any.test", "a long test password", role)
        user_id = user.id
    now = utcnow().isoformat()
    with client.session_transaction() as session:
        session["staff_user_id"] = user_id
        session["staff_signed_in_at"] = now
        session["staff_seen_at"] = now
    page = client.get("/staff/bookings").get_data(as_text=True)
    return {"X-CSRFToken": re.search(r'name="csrf-token" content="([^"]+)"', page).group(1), "Origin": "http://localhost"}
