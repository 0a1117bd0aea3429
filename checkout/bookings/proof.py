"""A traveller proving a booking: what counts as proof, and the limits against guessing.

Manage my booking (reference + last name or email) and the bookings API (reference + email
headers) share these limits. Failed proofs are `proof_failures` rows (never staff sign-in
failures), keyed by reference and address. The guesser is refused, never the booking:

- one address may guess wrong PER_ADDRESS times at one reference in WINDOW and
  PER_ADDRESS_DAY times in a DAY; then that address is refused for that reference
  (whatever it sends) until its failures age out;
- once a reference has had PER_REFERENCE wrong guesses in WINDOW from all addresses
  together, every address gets a single wrong guess at it per WINDOW.

An address with no recent failure at a reference is always checked, so the owner with the
right last name or email gets in from their own network, whoever is guessing elsewhere.
Per-address request rates (Flask-Limiter, Redis) sit in front of both entry points.
See docs/SECURITY.md ("Access control") for the figures.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from ..extensions import db
from ..models import Booking, ProofFailure

PER_ADDRESS = 5
PER_ADDRESS_DAY = 10
PER_REFERENCE = 10
WINDOW = timedelta(hours=1)
DAY = timedelta(days=1)


def normalize_reference(raw: str) -> str:
    """'fly2a-k7m3qx', ' K7M3QX ', 'FLY2A K7M3QX', 'K7M 3QX' -> 'FLY2A-K7M3QX': spaces and
    dashes are how people copy or read out a reference, not part of it."""
    compact = "".join(ch for ch in (raw or "").upper() if not ch.isspace() and ch not in "-‐‑–—")
    if compact.startswith("FLY2A") and len(compact) == 11:
        compact = compact[5:]
    if len(compact) == 6:
        return f"FLY2A-{compact}"
    return "".join((raw or "").split()).upper()


def _wait(failures: list[datetime], allowance: int, window: timedelta, now: datetime) -> int | None:
    """Seconds until fewer than `allowance` of these (sorted) failures are inside `window`."""
    recent = [at for at in failures if at > now - window]
    if len(recent) < allowance:
        return None
    free_at = recent[len(recent) - allowance] + window
    return max(1, int((free_at - now).total_seconds()) + 1)


def guesser_wait(reference: str, ip_address: str, now: datetime) -> int | None:
    """Seconds before this address may try this reference again; None when it may try now."""
    everyone = db.session.execute(select(func.count()).where(
        ProofFailure.reference == reference, ProofFailure.at > now - WINDOW)).scalar()
    allowance = 1 if everyone >= PER_REFERENCE else PER_ADDRESS
    mine = db.session.execute(select(ProofFailure.at).where(
        ProofFailure.reference == reference, ProofFailure.ip_address == ip_address, ProofFailure.at > now - DAY,
    ).order_by(ProofFailure.at)).scalars().all()
    waits = [wait for wait in (_wait(mine, allowance, WINDOW, now), _wait(mine, PER_ADDRESS_DAY, DAY, now)) if wait]
    return max(waits) if waits else None


def record_failure(reference: str, ip_address: str, now: datetime) -> None:
    """Count a failed proof of `reference` (which may name no booking) from `ip_address`. Commits."""
    db.session.add(ProofFailure(reference=reference[:20], ip_address=ip_address[:64], at=now))
    db.session.commit()


def matches(booking: Booking, secret: str) -> bool:
    """The contact email, or the last name of any passenger on the booking (case-insensitive)."""
    given = " ".join(secret.split()).casefold()
    if "@" in given:
        return (booking.contact_email or "").casefold() == given
    return any(" ".join((p.last_name or "").split()).casefold() == given for p in booking.passengers)


def wait_message(seconds: int) -> str:
    minutes = max(1, (seconds + 59) // 60)
    return (f"Too many unsuccessful attempts for this booking reference from your network. "
            f"Please try again in {minutes} minute{'s' if minutes != 1 else ''}.")
