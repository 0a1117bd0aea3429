"""Helpers for staff console tests: accounts, a signed-in client, paid bookings at localstripe."""
from __future__ import annotations

import secrets

from flask import g, has_app_context

from checkout.extensions import db
from checkout.models import Booking
from checkout.payments import service as payments
from checkout.staff.auth import create_staff
from tests.conftest import Checkout
from tests.payments_support import bookable_flight, pay_at_stripe, pending_booking
from tests.seats_support import free_seat

PASSWORD = "correct horse battery"


def staff_email(role: str) -> str:
    return f"{role}-{secrets.token_hex(4)}@fly2any.test"


def make_staff(app, role: str = "supervisor") -> str:
    """A new staff account with PASSWORD; returns its email."""
    email = staff_email(role)
    with app.app_context():
        create_staff(email, PASSWORD, role)
    return email


def fresh_ip() -> str:
    return f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"


def _fresh_g() -> None:
    """A test holding the app context open shares `g` across requests (Flask reuses the
    pushed context); in production each request starts with an empty `g`. Flask-WTF keeps
    the page's CSRF token there, so a token from another session would leak in."""
    if has_app_context():
        for name in list(g):
            g.pop(name)


class StaffClient(Checkout):
    """A test client that signs in as a person would and keeps the page's CSRF token."""

    def __init__(self, client, ip: str | None = None):
        super().__init__(client)
        self.ip = ip or fresh_ip()

    def get(self, url, **kwargs):
        kwargs.setdefault("environ_base", {"REMOTE_ADDR": self.ip})
        _fresh_g()
        return super().get(url, **kwargs)

    def post(self, url, data=None, **kwargs):
        kwargs.setdefault("environ_base", {"REMOTE_ADDR": self.ip})
        _fresh_g()
        return super().post(url, data, **kwargs)

    def sign_in(self, email: str, password: str = PASSWORD, next_path: str | None = None):
        self.get("/staff/login" + (f"?next={next_path}" if next_path else ""))
        response = self.post("/staff/login", {"email": email, "password": password, "next": next_path or ""})
        if response.status_code == 303:
            self.get(response.location)  # the next page carries the new session's CSRF token
        return response


def paid_booking(number: str = "FA200", seat: str | None = None, card: str = "4242424242424242") -> Booking:
    """A CONFIRMED booking paid at localstripe through the real services (Basic fare: seats are charged)."""
    booking = pending_booking(number=number, seat=seat)
    started = payments.start_payment(booking.id)
    pay_at_stripe(started.attempt.payment_intent_id, card)
    payments.reconcile(started.attempt.payment_intent_id)
    db.session.refresh(booking)
    assert booking.status == "CONFIRMED"
    return booking


def seat_line(booking: Booking):
    return next(line for line in booking.price_lines if line.kind == "seat")


def free_standard_seat(number: str = "FA200", days_ahead: int = 2) -> str:
    """A standard economy seat still free on the flight `pending_booking` picks (costs money on Basic)."""
    return free_seat(bookable_flight(number, days_ahead), kind="standard")
