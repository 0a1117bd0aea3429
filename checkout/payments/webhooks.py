"""Stripe webhook events: verified, stored once, and turned into reconcile calls.

The event body is never trusted for state: it only says which PaymentIntent to re-read.
Answers: 2xx processed, duplicate or ignored; 400 bad signature or a signed body that is not
an event we can store (nothing written); 5xx when our database or Stripe is unavailable, so
Stripe delivers again later.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select, update

from ..clock import utcnow
from ..extensions import db, insert_if_absent
from ..models import WebhookEvent
from . import disputes, gateway, measures
from .service import reconcile

RECONCILE_TYPES = {"payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.canceled",
                   "payment_intent.processing", "payment_intent.requires_action"}
LOG_TYPES = {"payment_intent.created", "charge.succeeded"}


class MalformedEvent(ValueError):
    """Correctly signed, but not an event of the shape Stripe sends: refused (400), never stored.

    Answering 5xx instead would have Stripe retry it for three days, failing every time."""


EVENT_ID = re.compile(r"evt_[A-Za-z0-9_]+")
EVENT_TYPE = re.compile(r"[a-z_]+(\.[a-z_]+)+")
OBJECT_ID = re.compile(r"[a-z]+_[A-Za-z0-9_]+")
PAYMENT_INTENT_ID = re.compile(r"pi_[A-Za-z0-9_]+")
STRIPE_ID_LENGTH = 255  # Stripe's documented longest id


def _short(value, pattern: re.Pattern, length: int) -> bool:
    return isinstance(value, str) and len(value) <= length and pattern.fullmatch(value) is not None


def _checked(event: dict) -> tuple[str, str, str | None]:
    """The event's id, type and PaymentIntent id, each fitting the column that keeps it."""
    if not _short(event.get("id"), EVENT_ID, WebhookEvent.stripe_event_id.type.length):
        raise MalformedEvent("the event id is not an evt_ id that fits our records")
    if not _short(event.get("type"), EVENT_TYPE, WebhookEvent.event_type.type.length):
        raise MalformedEvent("the event type is not a Stripe event type")
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict) or not _short(obj.get("id"), OBJECT_ID, STRIPE_ID_LENGTH):
        raise MalformedEvent("data.object is not a Stripe object with an id")
    payment_intent_id = _payment_intent_id(event)
    if payment_intent_id is not None and not _short(payment_intent_id, PAYMENT_INTENT_ID,
                                                    WebhookEvent.payment_intent_id.type.length):
        raise MalformedEvent("the PaymentIntent id is not a pi_ id that fits our records")
    return event["id"], event["type"], payment_intent_id


@dataclass
class Receipt:
    status: str  # processed | duplicate | ignored
    event_id: str


def _payment_intent_id(event: dict) -> str | None:
    obj = (event.get("data") or {}).get("object") or {}
    if event["type"].startswith("payment_intent."):
        return obj.get("id")
    pi = obj.get("payment_intent")
    return pi.get("id") if isinstance(pi, dict) else pi


def _outcome_without_processing(event_type: str, payment_intent_id: str | None) -> str | None:
    """The final status of an event that needs no work (logged or ignored), else None."""
    if disputes.handles(event_type):
        return None
    if event_type in LOG_TYPES:
        return "processed"
    if payment_intent_id and (event_type in RECONCILE_TYPES or event_type == "charge.refunded"):
        return None
    return "ignored"


def receive(payload: bytes, signature: str | None) -> Receipt:
    """Verify, record once, process. Raises gateway.InvalidSignature for a forged or stale event,
    MalformedEvent (logged, nothing stored) for a signed one we could not store.

    An event that needs no work (one we only log, or ignore) is stored already final: one
    INSERT and one commit, as most of what Stripe sends is such events.
    """
    event = gateway.verify_event(payload, signature, current_app.config["STRIPE_WEBHOOK_SECRET"])
    try:
        event_id, event_type, payment_intent_id = _checked(event)
    except MalformedEvent as err:
        # The reason and the claimed id/type only: the body may carry a customer's details.
        current_app.logger.warning("refused a signed but malformed Stripe event (%s): id %.100r, type %.100r",
                                   err, event.get("id"), event.get("type"))
        raise
    now = utcnow()
    final = _outcome_without_processing(event_type, payment_intent_id)
    inserted = db.session.execute(
        insert_if_absent(WebhookEvent, ("stripe_event_id", "event_type", "payment_intent_id", "status", "deliveries",
                                        "received_at", "processed_at"), ("stripe_event_id",), "id"),
        dict(stripe_event_id=event_id, event_type=event_type, payment_intent_id=payment_intent_id,
             status=final or "received", deliveries=1, received_at=now, processed_at=now if final else None)).first()
    if inserted is None:
        status = db.session.execute(
            update(WebhookEvent).where(WebhookEvent.stripe_event_id == event_id)
            .values(deliveries=WebhookEvent.deliveries + 1).returning(WebhookEvent.status)
        ).scalar_one()
        if status in ("processed", "ignored"):
            db.session.commit()
            return Receipt("duplicate", event_id)
    db.session.commit()
    if final is not None and inserted is not None:
        if event_type in LOG_TYPES:
            current_app.logger.info("Stripe event %s for %s", event_type, payment_intent_id)
        return Receipt(final, event_id)
    try:
        status = disputes.handle(event) if disputes.handles(event_type) else _process(event_type, payment_intent_id)
    except Exception as err:
        db.session.rollback()
        _mark(event_id, "failed", f"{type(err).__name__}: {err}"[:500])
        raise
    _mark(event_id, status, None)
    return Receipt(status, event_id)


def _process(event_type: str, payment_intent_id: str | None) -> str:
    if event_type in LOG_TYPES:
        current_app.logger.info("Stripe event %s for %s", event_type, payment_intent_id)
        return "processed"
    if not payment_intent_id:
        return "ignored"
    if event_type == "payment_intent.requires_action":
        # Signed by Stripe: the bank asked for 3-D Secure, whatever the intent's status is by now.
        measures.record_three_d_secure(payment_intent_id)
    if event_type in RECONCILE_TYPES:
        return "processed" if reconcile(payment_intent_id, actor=f"webhook {event_type}") else "ignored"
    if event_type == "charge.refunded":
        # The payment's own state first: a refund may outrun "succeeded".
        outcome = reconcile(payment_intent_id, actor="webhook charge.refunded", refunds=True)
        return "processed" if outcome else "ignored"
    return "ignored"


def _mark(event_id: str, status: str, error: str | None) -> None:
    """Best effort: if the database is down this fails too, and Stripe's retry will tell."""
    try:
        row = db.session.execute(select(WebhookEvent).where(WebhookEvent.stripe_event_id == event_id)).scalar_one()
        row.status, row.error = status, error
        row.processed_at = utcnow() if status in ("processed", "ignored") else None
        db.session.commit()
    except Exception:  # noqa: BLE001
        db.session.rollback()
        current_app.logger.exception("could not record webhook event %s as %s", event_id, status)
