"""What we keep about travellers, and for how long: re-encrypting passport, redress and Known
Traveler numbers with the newest key, and removing travel documents once the flight is long gone.

After travel we keep what accounting, refunds and card disputes need: the reference, the
passengers' names and types, the itinerary and seats, prices, payments, refunds, the
accepted notices and the contact email (the address disputes and refunds are settled
with). We remove what only the journey needed: passport number and expiry, date of
birth, nationality, the Secure Flight details (gender, redress number, Known Traveler
Number), and the contact phone (also from the audit trail's snapshots).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm.attributes import flag_modified

from .. import audit
from ..clock import utcnow
from ..extensions import db
from ..models import AuditEntry, Booking, BookingSegment, Flight, Passenger

BATCH = 500  # rows per transaction: short locks, and a crash loses at most one batch of work


# Every EncryptedText column of Passenger.
ENCRYPTED = ("passport_number", "redress_number", "known_traveler_number")


def rotate_passport_key() -> int:
    """Re-encrypt every stored passport, redress and Known Traveler number with the newest
    key of PII_ENCRYPTION_KEYS.

    Each row is read (decrypting with whichever key it was made with) and written back
    (encrypting with the first key), a batch per transaction, so it can be stopped and run
    again. Returns how many passengers' numbers were re-encrypted.
    """
    done, after = 0, 0
    has_numbers = or_(*(getattr(Passenger, name).isnot(None) for name in ENCRYPTED))
    while True:
        # The bookings' rows first, in id order (the lock every write to a booking takes), so a
        # traveller saving new numbers meanwhile is not overwritten with the old ones.
        ids = db.session.execute(
            select(Booking.id).where(Booking.id > after, select(Passenger.id).where(
                Passenger.booking_id == Booking.id, has_numbers).exists())
            .order_by(Booking.id).limit(BATCH).with_for_update(of=Booking)).scalars().all()
        if not ids:
            return done
        batch = db.session.execute(
            select(Passenger).where(Passenger.booking_id.in_(ids), has_numbers)
            .execution_options(populate_existing=True)).scalars().all()
        for passenger in batch:
            for name in ENCRYPTED:
                if getattr(passenger, name) is not None:
                    flag_modified(passenger, name)  # same value, written again: a new token
        after = ids[-1]
        done += len(batch)
        db.session.commit()


@dataclass(frozen=True)
class PurgeReport:
    bookings: int  # bookings whose personal data was removed by this run
    departed_before: datetime


def purge_after_travel(days: int, actor: str = "flask purge-pii", now: datetime | None = None) -> PurgeReport:
    """Remove travel documents, dates of birth, nationality, the Secure Flight details and
    phone from every booking whose last flight departed more than `days` days ago; audited once
    per run with the count.

    Idempotent: a purged booking is stamped `pii_purged_at` and never counted again. A batch
    per transaction; a booking locked by someone else right now (a refund under way) is
    skipped and taken by the next run.
    """
    now = now or utcnow()
    cutoff = now - timedelta(days=days)
    purged = 0
    # flight_id is the trip's first flight: a return or later leg may still be ahead, and its
    # passengers need their documents until it has flown.
    still_to_fly = (select(BookingSegment.id).join(Flight, BookingSegment.flight_id == Flight.id)
                    .where(BookingSegment.booking_id == Booking.id, Flight.departs_at >= cutoff).exists())
    while True:
        ids = list(db.session.execute(
            select(Booking.id).join(Flight, Booking.flight_id == Flight.id)
            .where(Flight.departs_at < cutoff, ~still_to_fly, Booking.pii_purged_at.is_(None))
            .order_by(Booking.id).limit(BATCH).with_for_update(of=Booking, skip_locked=True)).scalars())
        if not ids:
            break
        db.session.execute(update(Passenger).where(Passenger.booking_id.in_(ids)).values(
            passport_number=None, passport_expiry=None, date_of_birth=None, nationality=None,
            gender=None, redress_number=None, known_traveler_number=None),
            execution_options={"synchronize_session": False})
        db.session.execute(update(Booking).where(Booking.id.in_(ids)).values(contact_phone=None, pii_purged_at=now),
                           execution_options={"synchronize_session": False})
        _forget_phones_in_audit(ids)
        purged += len(ids)
        db.session.commit()
    audit.record(actor, "purge_pii", detail=(
        f"Removed passport numbers and expiry, dates of birth, nationality, gender, redress and Known "
        f"Traveler numbers and phone from {purged} "
        f"booking{'' if purged == 1 else 's'} whose flights departed before {cutoff:%Y-%m-%d %H:%M} UTC "
        f"(more than {days} days ago)"), now=now)
    db.session.commit()
    return PurgeReport(purged, cutoff)


def _forget_phones_in_audit(booking_ids: list[int]) -> None:
    """The audit trail's before/after snapshots carry the contact phone; it goes too."""
    entries = db.session.execute(select(AuditEntry).where(
        AuditEntry.booking_id.in_(booking_ids),
        or_(AuditEntry.before.contains('"contactPhone"'), AuditEntry.after.contains('"contactPhone"')))).scalars()
    for entry in entries:
        for name in ("before", "after"):
            snapshot = json.loads(getattr(entry, name) or "null")
            if isinstance(snapshot, dict) and snapshot.get("contactPhone"):
                snapshot["contactPhone"] = None
                setattr(entry, name, json.dumps(snapshot))
