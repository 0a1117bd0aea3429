"""How many seat holds one caller may keep open: every API booking holds seats for the hold
time, so an address or an email with too many unpaid, unexpired bookings must wait for one
to be paid or to lapse. The figures are config (API_OPEN_HOLDS_PER_ADDRESS / _PER_EMAIL).

Calls for one address or one email take turns (`one_at_a_time`): the count and the
booking it allows happen inside the turn, so calls in flight together cannot all pass the
check before any of them is stored.
"""
from __future__ import annotations

import hashlib
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from ..extensions import db
from ..models import Booking, BookingStatus

OPEN = (BookingStatus.DRAFT, BookingStatus.PENDING_PAYMENT)
TURN_WAIT = "5s"  # a booking takes well under a second; a wait longer than this is a fault, and
# a waiting call holds a web thread
_one_process = threading.Lock()  # the demo's SQLite: one process, so a lock in memory is the turn


class NoTurn(Exception):
    """Another call for the same address or email held its turn for too long."""


@dataclass(frozen=True)
class TooManyHolds:
    message: str
    retry_after: int  # seconds until the oldest of these holds lapses


def _open_holds(now: datetime, condition) -> tuple[int, datetime | None]:
    count, first_expiry = db.session.execute(select(func.count(), func.min(Booking.hold_expires_at)).where(
        condition, Booking.status.in_(OPEN), Booking.hold_expires_at > now)).one()
    return count, first_expiry


def too_many_holds(address: str, email: str, now: datetime, per_address: int, per_email: int) -> TooManyHolds | None:
    """Why this caller may not hold more seats now, or None when it may."""
    for condition, limit, whose in (
            (Booking.client_address == address, per_address, "from your network"),
            (func.lower(Booking.contact_email) == email.strip().lower(), per_email, "for this email")):
        count, first_expiry = _open_holds(now, condition)
        if count >= limit:
            wait = max(1, int((first_expiry - now).total_seconds()) + 1)
            return TooManyHolds(
                f"There are already {count} unpaid bookings {whose} holding seats (at most {limit}). "
                f"Pay for one, cancel one, or wait about {max(1, wait // 60)} minutes for a hold to lapse.", wait)
    return None


def _turn_key(kind: str, value: str) -> int:
    """A PostgreSQL advisory-lock key (a signed 64-bit number) for an address or an email."""
    return int.from_bytes(hashlib.sha256(f"holds:{kind}:{value}".encode()).digest()[:8], "big", signed=True)


@contextmanager
def one_at_a_time(address: str, email: str):
    """Calls for the same address or the same email run this block one after another.

    PostgreSQL advisory locks, taken on a connection of their own, because the booking
    services commit several times and a transaction's lock would end at the first commit.
    Keys are taken in sorted order, so two calls can never wait on each other in a circle.
    Raises NoTurn when the wait passes TURN_WAIT.
    """
    if db.engine.dialect.name != "postgresql":
        with _one_process:
            yield
        return
    keys = sorted({_turn_key("address", address), _turn_key("email", email.strip().lower())})
    with db.engine.connect() as turn:
        try:
            # The wait bound lasts for this transaction only; the locks outlive it.
            turn.execute(select(func.set_config("lock_timeout", TURN_WAIT, True)))
            for key in keys:
                turn.execute(select(func.pg_advisory_lock(key)))
            turn.commit()
        except OperationalError as err:
            # A first key may be held already, and a session-level lock survives the pool's
            # rollback: close this connection, which ends every lock it holds.
            turn.invalidate()
            raise NoTurn() from err
        try:
            yield
        finally:
            # Session-level locks outlive the connection's return to the pool: end them here.
            turn.execute(text("SELECT pg_advisory_unlock_all()"))
            turn.commit()
