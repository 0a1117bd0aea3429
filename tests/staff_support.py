"""Helpers for staff console tests: accounts, a signed-in client, paid bookings at localstripe."""
from __future__ import annotations

import secrets
import time
from datetime import datetime, timedelta, timezone

import pyotp
from flask import g, has_app_context
from sqlalchemy import select

from checkout.extensions import db
from checkout.models import Booking, StaffUser
from checkout.payments import service as payments
from checkout.staff import two_factor
from checkout.staff.auth import create_staff
from tests.conftest import Checkout
from tests.payments_support import bookable_flight, pay_at_stripe, pending_booking
from tests.seats_support import free_seat

PASSWORD = "correct horse battery"


def staff_email(role: str) -> str:
    return f"{role}-{secrets.token_hex(4)}@fly2any.test"


def make_staff(app, role: str = "supervisor", two_factor: bool | None = None) -> str:
    """A new staff account with PASSWORD; returns its email. Supervisors (two-factor is
    required for them) are enrolled with an authenticator secret unless `two_factor=False`."""
    email = staff_email(role)
    with app.app_context():
        create_staff(email, PASSWORD, role)
        if two_factor if two_factor is not None else role == "supervisor":
            enrol_authenticator(email)
    return email


def enrol_authenticator(email: str) -> list[str]:
    """Enrol this account as a person would, with a code computed from a new secret; returns
    the recovery codes. Needs an app context."""
    user = db.session.execute(select(StaffUser).where(StaffUser.email == email)).scalar_one()
    secret = pyotp.random_base32()
    # The previous step's code (inside the window): the current and next steps stay free, so a
    # test can sign in twice without waiting for the clock.
    earlier = datetime.now(timezone.utc) - timedelta(seconds=30)
    codes = (two_factor.enrol(user.id, secret, pyotp.TOTP(secret).at(earlier), actor=email)
             or two_factor.enrol(user.id, secret, pyotp.TOTP(secret).now(), actor=email))  # a step had just ended
    assert codes, "enrolment refused a fresh code"
    return codes


def authenticator_code(app, email: str) -> str:
    """What the person's authenticator app shows: a code for a 30-second step not used yet for
    this account (the server takes each step once, one step either side of now). Waits for
    the clock when the next usable step is not within the window yet."""
    with app.app_context():
        user = db.session.execute(select(StaffUser).where(StaffUser.email == email)).scalar_one()
        secret, last = user.totp_secret, user.totp_last_step
    totp = pyotp.TOTP(secret)
    step = max(totp.timecode(datetime.now(timezone.utc)), (last or 0) + 1)
    while totp.timecode(datetime.now(timezone.utc)) + 1 < step:
        time.sleep(0.5)
    return totp.generate_otp(step)


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

    def second_tab(self) -> "StaffClient":
        """Another tab of the same browser: its own pages and CSRF token, the same signed-in
        session cookies (signing in again would wait for the next authenticator step)."""
        app = self.client.application
        tab = StaffClient(app.test_client(), self.ip)
        name = app.config["SESSION_COOKIE_NAME"]
        for key in (name, f"{name}_browser"):
            cookie = self.client.get_cookie(key)
            if cookie is not None:
                tab.client.set_cookie(key, cookie.value)
        return tab

    def sign_in(self, email: str, password: str = PASSWORD, next_path: str | None = None):
        """Email and password, then the authenticator code when the account asks for one."""
        self.get("/staff/login" + (f"?next={next_path}" if next_path else ""))
        response = self.post("/staff/login", {"email": email, "password": password, "next": next_path or ""})
        if response.status_code == 303 and response.location == "/staff/login/code":
            self.get(response.location)
            response = self.post("/staff/login/code", {"code": authenticator_code(self.client.application, email)})
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
