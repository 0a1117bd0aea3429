"""The email outbox: news written in the same transaction as the change it reports.

Queuing never sends and never commits; the caller's transaction decides whether the
email exists at all, so a rolled-back confirmation is never announced. The unique
`dedupe_key` makes queuing idempotent: reconcile may run many times, the traveller
hears once. Bodies are rendered at send time from the booking as it is then.
"""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum, nonmember

from flask import current_app

from ..clock import utcnow
from ..extensions import db, upsert_insert
from ..models import Booking, OutboxEmail, PaymentAttempt, Refund
from ..formatting import money

SUBJECT_LENGTH = OutboxEmail.__table__.c.subject.type.length


class Kind(StrEnum):
    """An email's kind, the string kept in outbox_emails.kind (a StrEnum, as models' statuses)."""
    CONFIRMATION = "confirmation"
    PAYMENT_FAILED = "payment_failed"
    CANCELLATION = "cancellation"
    OPS_ALERT = "ops_alert"
    CONTACT_CHANGED = "contact_changed"
    PAYMENT_REFUNDED = "payment_refunded"
    REFUND_MADE = "refund_made"
    ALL = nonmember((CONFIRMATION, PAYMENT_FAILED, CANCELLATION, OPS_ALERT, CONTACT_CHANGED, PAYMENT_REFUNDED,
                     REFUND_MADE))



def enqueue(kind: str, to: str, subject: str, dedupe_key: str, booking_id: int | None = None,
            now: datetime | None = None, body: str | None = None) -> bool:
    """Queue one email in the caller's transaction (no commit). True if this call queued it,
    False if an email with `dedupe_key` was already queued (whatever its status).

    `body` is for emails with no booking to render from (ops alerts); others leave it None.
    """
    if kind not in Kind.ALL:
        raise ValueError(f"unknown email kind {kind!r}")
    now = now or utcnow()
    values = dict(
        kind=kind, to_address=to, subject=subject[:SUBJECT_LENGTH], dedupe_key=dedupe_key,
        booking_id=booking_id, body=body, status="pending", attempts=0, next_attempt_at=now, created_at=now,
    )
    stmt = upsert_insert(OutboxEmail).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(OutboxEmail.id)
    return db.session.execute(stmt).first() is not None


def _to_traveller(booking: Booking, kind: str) -> str | None:
    if not booking.contact_email:
        current_app.logger.warning("booking %s has no contact email: %s email not queued", booking.id, kind)
    return booking.contact_email


def _queue_for_traveller(kind: str, booking: Booking, subject: str, dedupe_key: str,
                         now: datetime | None) -> bool:
    """One email of `kind` to the booking's contact, once per `dedupe_key`; False when the
    booking has no contact email (logged)."""
    to = _to_traveller(booking, kind)
    if not to:
        return False
    return enqueue(kind, to, subject, dedupe_key, booking.id, now)


def queue_confirmation(booking: Booking, now: datetime | None = None) -> bool:
    """The booking confirmation with the e-ticket attached; once per booking."""
    return _queue_for_traveller(Kind.CONFIRMATION, booking, f"Your flight is booked: {booking.reference}",
                                f"confirmation:{booking.id}", now)


def queue_payment_failed(booking: Booking, attempt: PaymentAttempt, now: datetime | None = None) -> bool:
    """"Your card was not charged"; once per failed attempt (the attempt id is in the key)."""
    db.session.flush()  # the attempt needs its id for the key
    return _queue_for_traveller(Kind.PAYMENT_FAILED, booking, f"Payment not completed for booking {booking.reference}",
                                f"payment_failed:{attempt.id}", now)


def queue_cancellation(booking: Booking, refund_amount: int, now: datetime | None = None) -> bool:
    """The cancellation notice; once per booking. The body states the refunds on record at
    send time; `refund_amount` (what this cancellation gives back) goes in the subject."""
    subject = f"Booking {booking.reference} cancelled"
    if refund_amount:
        subject += f": {money(refund_amount, booking.currency)} refund on its way"
    return _queue_for_traveller(Kind.CANCELLATION, booking, subject, f"cancellation:{booking.id}", now)


def queue_payment_refunded(booking: Booking, refund: Refund, now: datetime | None = None) -> bool:
    """"We refunded a payment we could not accept" (a PaymentIntent changed at Stripe, then
    paid); once per refund (its id is in the key, read back at send time)."""
    return _queue_about_refund(Kind.PAYMENT_REFUNDED, booking, refund,
                               f"Your payment for booking {booking.reference} has been refunded", now)


def queue_refund_made(booking: Booking, refund: Refund, now: datetime | None = None) -> bool:
    """"We refunded part of your booking" (support refunded a seat, a bag…, the booking stays
    as it is); once per refund. A refund that cancels the booking is told by the cancellation
    email instead, and one Stripe refuses is not told at all (the sender checks at send time)."""
    return _queue_about_refund(Kind.REFUND_MADE, booking, refund,
                               f"{money(refund.amount, refund.currency)} refunded for booking {booking.reference}", now)


def _queue_about_refund(kind: str, booking: Booking, refund: Refund, subject: str, now: datetime | None) -> bool:
    """One email of `kind` per refund: its id is in the key (the sender reads the refund back by it)."""
    db.session.flush()  # the refund needs its id for the key
    return _queue_for_traveller(kind, booking, subject, f"{kind}:{refund.id}", now)


def queue_contact_changed(booking: Booking, old_email: str, dedupe_key: str, now: datetime | None = None) -> bool:
    """Tell the address a paid booking's emails used to go to that they go elsewhere now, so
    an e-ticket cannot be redirected unnoticed. The caller's key names the change (its audit
    entry): one notice per change."""
    return enqueue(Kind.CONTACT_CHANGED, old_email, f"The email for booking {booking.reference} was changed",
                   dedupe_key, booking.id, now)


def masked_email(address: str | None) -> str:
    """'ada.king@example.com' -> 'ad******@example.com': enough to recognise, not to copy."""
    local, _, domain = (address or "").partition("@")
    keep = 1 if len(local) <= 2 else 2
    return f"{local[:keep]}{'*' * (len(local) - keep)}@{domain}"


def queue_ops_alert(subject: str, body_key: str, text: str, booking_id: int | None = None,
                    now: datetime | None = None) -> bool:
    """An alert to OPS_EMAIL for a person to look at. `body_key` is the dedupe key the
    caller chooses (e.g. `late_refund:{payment_intent_id}`): one alert per incident.
    `text` is stored as the body, since there may be no booking to render from.
    """
    to = current_app.config.get("OPS_EMAIL") or "ops@fly2any.test"
    return enqueue(Kind.OPS_ALERT, to, f"[Fly2Any ops] {subject}", body_key, booking_id, now, body=text)
