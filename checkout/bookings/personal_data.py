"""What we keep about travellers, and for how long: re-encrypting passport numbers with the
newest key, and removing travel documents once the flight is long gone."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified

from ..extensions import db
from ..models import Passenger

BATCH = 500  # rows per transaction: short locks, and a crash loses at most one batch of work


def rotate_passport_key() -> int:
    """Re-encrypt every stored passport number with the newest key of PII_ENCRYPTION_KEYS.

    Each row is read (decrypting with whichever key it was made with) and written back
    (encrypting with the first key), a batch per transaction, so it can be stopped and run
    again. Returns how many numbers were re-encrypted.
    """
    done, after = 0, 0
    while True:
        batch = db.session.execute(
            select(Passenger).where(Passenger.passport_number.isnot(None), Passenger.id > after)
            .order_by(Passenger.id).limit(BATCH)).scalars().all()
        if not batch:
            return done
        for passenger in batch:
            flag_modified(passenger, "passport_number")  # same value, written again: a new token
        after = batch[-1].id
        done += len(batch)
        db.session.commit()
