"""Disputes: a cardholder asks their bank for the money back (Stripe's `charge.dispute.*` events).

Where the facts come from: the dispute's own fields (amount, reason, status) from the event's
dispute object, which Stripe signed and we verified on the raw body (localstripe has no
disputes to re-read). Which booking it concerns is never taken from the event: the charge is
re-read from Stripe and its PaymentIntent matched to our attempt rows.

Events arrive in any order, any number of times. Whichever comes first creates the row;
a closed dispute stays closed with its outcome; an event older than the one last applied
changes nothing. Operations get one email per dispute, whichever event brought it, also for a
dispute we cannot match to a booking (kept with no booking, never an error).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from flask import current_app
from sqlalchemy import select, update

from .. import notifications
from ..bookings.service import lock_booking
from ..clock import utcnow
from ..extensions import db, upsert_insert
from ..models import Booking, Dispute, DisputeStatus, WebhookEvent
from ..formatting import date_time, money
from . import gateway
from .service import attempt_for_intent

EVENT_PREFIX = "charge.dispute."
CLOSED_EVENT = "charge.dispute.closed"
# How far along a dispute is, to order events that Stripe stamped in the same second.
PROGRESS = {"warning_needs_response": 0, "warning_under_review": 1, "needs_response": 2, "under_review": 3}


def handles(event_type: str) -> bool:
    return event_type.startswith(EVENT_PREFIX)


@dataclass(frozen=True)
class DisputeFacts:
    """What the signed event says about the dispute itself."""
    id: str
    charge_id: str
    amount: int
    currency: str
    reason: str
    status: str
    created_at: datetime
    evidence_due_by: datetime | None


def _moment(epoch) -> datetime | None:
    return datetime.fromtimestamp(epoch, timezone.utc) if isinstance(epoch, int) else None


def facts_from(event: dict) -> DisputeFacts | None:
    """The dispute object of the event, or None if it is not shaped like one."""
    obj = (event.get("data") or {}).get("object") or {}
    charge = obj.get("charge")
    charge_id = charge.get("id") if isinstance(charge, dict) else charge
    amount, created = obj.get("amount"), _moment(obj.get("created"))
    if (obj.get("object") != "dispute" or not isinstance(obj.get("id"), str) or not isinstance(charge_id, str)
            or not isinstance(amount, int) or isinstance(amount, bool) or not isinstance(obj.get("currency"), str)
            or created is None):
        return None
    return DisputeFacts(
        id=obj["id"], charge_id=charge_id, amount=amount, currency=obj["currency"].upper(),
        reason=str(obj.get("reason") or "general")[:40], status=str(obj.get("status") or "needs_response")[:40],
        created_at=created, evidence_due_by=_moment((obj.get("evidence_details") or {}).get("due_by")),
    )


def handle(event: dict, now: datetime | None = None) -> str:
    """Record one `charge.dispute.*` event. Returns "processed" or "ignored" (not a dispute).

    Locks the booking row (when there is one), then the dispute row, so two events for one
    dispute apply one after the other. Raises gateway.GatewayUnavailable if Stripe cannot be
    asked about the charge: the webhook answers 503 and Stripe delivers again.
    """
    now = now or utcnow()
    facts = facts_from(event)
    if facts is None:
        current_app.logger.warning("Stripe event %s has no dispute object; ignored", event.get("id"))
        return "ignored"
    event_at = _moment(event.get("created")) or now
    charge = gateway.retrieve_charge(facts.charge_id)
    payment_intent_id = charge.payment_intent_id if charge else None
    attempt = attempt_for_intent(payment_intent_id) if payment_intent_id else None
    booking = lock_booking(attempt.booking_id) if attempt else None
    closing = event["type"] == CLOSED_EVENT or facts.status in DisputeStatus.CLOSED
    inserted = db.session.execute(
        upsert_insert(Dispute).values(
            booking_id=booking.id if booking else None, stripe_dispute_id=facts.id, charge_id=facts.charge_id,
            payment_intent_id=payment_intent_id, amount=facts.amount, currency=facts.currency, reason=facts.reason,
            status=facts.status, evidence_due_by=facts.evidence_due_by, created_at=facts.created_at,
            closed_at=event_at if closing else None, outcome=facts.status if closing else None,
            last_event_at=event_at, updated_at=now,
        ).on_conflict_do_nothing(index_elements=["stripe_dispute_id"]).returning(Dispute.id)
    ).first() is not None
    dispute = db.session.execute(
        select(Dispute).where(Dispute.stripe_dispute_id == facts.id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    if not inserted:
        _apply(dispute, facts, closing, event_at, now)
        if dispute.booking_id is None and booking is not None:
            dispute.booking_id, dispute.payment_intent_id = booking.id, payment_intent_id
    _alert(dispute, booking, now)
    if payment_intent_id:  # the booking's timeline lists this event with its payments
        db.session.execute(update(WebhookEvent).where(WebhookEvent.stripe_event_id == event["id"])
                           .values(payment_intent_id=payment_intent_id))
    db.session.commit()
    return "processed"


def _progress(status: str) -> int:
    return PROGRESS.get(status, len(PROGRESS))


def _apply(dispute: Dispute, facts: DisputeFacts, closing: bool, event_at: datetime, now: datetime) -> None:
    """One more event for a dispute we know. A close is final; otherwise the newest event wins."""
    if dispute.closed_at is not None:
        return  # a late "opened" or "updated" never reopens it, and the first outcome stands
    if closing:
        dispute.status = dispute.outcome = facts.status
        dispute.closed_at = max(event_at, dispute.last_event_at)
    elif (event_at, _progress(facts.status)) >= (dispute.last_event_at, _progress(dispute.status)):
        dispute.status = facts.status
    else:
        return
    dispute.amount, dispute.reason = facts.amount, facts.reason
    dispute.evidence_due_by = facts.evidence_due_by or dispute.evidence_due_by
    dispute.last_event_at, dispute.updated_at = max(event_at, dispute.last_event_at), now


def _alert(dispute: Dispute, booking: Booking | None, now: datetime) -> None:
    """One email to operations per dispute (the outbox's unique key makes repeats no-ops)."""
    amount = money(dispute.amount, dispute.currency)
    due = f" Respond in Stripe by {date_time(dispute.evidence_due_by)}." if dispute.evidence_due_by else ""
    if booking is None:
        subject = f"Dispute {dispute.stripe_dispute_id} on a charge we cannot match to a booking"
        text = (f"Stripe reports a dispute of {amount} (reason {dispute.reason}, status {dispute.status}) on charge "
                f"{dispute.charge_id}, which paid for no booking of ours. Look it up in Stripe.{due}")
    else:
        subject = f"Booking {booking.reference} is disputed: {amount}, {dispute.reason}"
        text = (f"The cardholder disputed {amount} paid for booking {booking.reference} (charge {dispute.charge_id}, "
                f"PaymentIntent {dispute.payment_intent_id}). Reason: {dispute.reason}; status: {dispute.status}."
                f"{due}")
    notifications.queue_ops_alert(subject=subject, body_key=f"dispute:{dispute.stripe_dispute_id}", text=text,
                                  booking_id=booking.id if booking else None, now=now)

