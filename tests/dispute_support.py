"""Dispute events shaped like Stripe's published fixture (tests/fixtures/stripe/dispute.json),
about a real charge at localstripe (which has no disputes of its own)."""
from __future__ import annotations

import copy
import json
import time

from checkout.payments import gateway
from tests.payments_support import FIXTURES, event


def charge_of(payment_intent_id: str) -> str:
    """The id of the charge that paid this PaymentIntent, as Stripe has it."""
    intent = gateway.client().v1.payment_intents.retrieve(payment_intent_id)
    charge = intent.latest_charge
    return charge if isinstance(charge, str) else charge.id


def dispute_object(charge_id: str, amount: int, status: str = "needs_response", reason: str = "fraudulent",
                   dispute_id: str = "dp_test_1", created: int | None = None) -> dict:
    obj = copy.deepcopy(json.loads((FIXTURES / "dispute.json").read_text()))
    created = created or int(time.time()) - 60
    obj.update(id=dispute_id, charge=charge_id, amount=amount, status=status, reason=reason, created=created)
    obj["evidence_details"]["due_by"] = created + 7 * 24 * 3600
    return obj


def dispute_event(event_type: str, dispute: dict, created: int | None = None, event_id: str | None = None) -> dict:
    evt = event(event_type, dispute, event_id)
    if created is not None:
        evt["created"] = created
    return evt
