"""Helpers for payment tests: bookings ready to pay, the browser's part of a card payment,
and signed webhook events shaped like Stripe's published fixtures."""
from __future__ import annotations

import copy
import json
import time
import urllib.parse
import urllib.request
from datetime import date, timedelta
from pathlib import Path

import stripe
from flask import current_app
from sqlalchemy import select

from checkout.bookings import service
from checkout.bookings.acknowledgements import ACKNOWLEDGEMENTS
from checkout.bookings.service import Contact, PassengerDetails
from checkout.catalog.search import Party
from checkout.clock import utcnow
from checkout.extensions import db
from checkout.models import Flight
from checkout.payments import gateway
from tests.conftest import PUBLISHABLE_KEY, WEBHOOK_SECRET

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "stripe"


def bookable_flight(number: str = "FA100", days_ahead: int = 2) -> Flight:
    """The first `number` flight leaving more than `days_ahead` days from now: the one
    pending_booking books (pick its seat with tests.seats_support.free_seat)."""
    return db.session.execute(
        select(Flight).where(Flight.flight_number == number, Flight.departs_at > utcnow() + timedelta(days=days_ahead))
        .order_by(Flight.departs_at)
    ).scalars().first()


REDRESS, KTN = "1234567", "TT7654321"  # pending_booking's traveller has both (Secure Flight)


def pending_booking(number: str = "FA100", seat: str | None = None, days_ahead: int = 2):
    """A PENDING_PAYMENT booking for one adult, through the real services."""
    booking = service.create_draft(bookable_flight(number, days_ahead), Party(1))
    if seat:
        service.choose_seat(booking, 0, seat)
    service.save_passengers(booking, [PassengerDetails("Ada", "Lovelace", date(1985, 12, 10), "GB", "X1234567",
                                                       date(2035, 1, 1), gender="F", redress_number=REDRESS,
                                                       known_traveler_number=KTN)],
                            Contact("ada@example.com", "+12125550100"))
    return service.submit(booking, [a.key for a in ACKNOWLEDGEMENTS])


def card_token(number: str) -> str:
    """What the Stripe.js stand-in does in the browser: the card goes to Stripe, never to us."""
    body = urllib.parse.urlencode({"key": PUBLISHABLE_KEY, "card[number]": number, "card[exp_month]": "12",
                                   "card[exp_year]": str(date.today().year + 3), "card[cvc]": "123"}).encode()
    base = current_app.config["STRIPE_API_BASE"]
    with urllib.request.urlopen(urllib.request.Request(f"{base}/v1/tokens", data=body), timeout=10) as response:
        return json.loads(response.read())["id"]


def pay_at_stripe(payment_intent_id: str, number: str):
    """Submit a card for this PaymentIntent at Stripe, without telling our side."""
    return gateway.attach_card_token_and_confirm(payment_intent_id, card_token(number), f"test-{time.monotonic_ns()}")


def authenticate(payment_intent_id: str, client_secret: str, success: bool) -> None:
    base = current_app.config["STRIPE_API_BASE"]
    body = urllib.parse.urlencode({"key": PUBLISHABLE_KEY, "client_secret": client_secret}).encode()
    url = f"{base}/v1/payment_intents/{payment_intent_id}/_authenticate?success={'true' if success else 'false'}"
    with urllib.request.urlopen(urllib.request.Request(url, data=body), timeout=10):
        pass


def event(event_type: str, obj: dict, event_id: str | None = None) -> dict:
    """An event shaped like Stripe's published fixture, around our object."""
    evt = copy.deepcopy(json.loads((FIXTURES / "event.json").read_text()))
    evt["id"] = event_id or f"evt_test_{time.monotonic_ns()}"
    evt["type"] = event_type
    evt["created"] = int(time.time())
    evt["data"] = {"object": obj}
    return evt


def payment_intent_object(payment_intent_id: str, status: str, amount: int, reference: str) -> dict:
    obj = copy.deepcopy(json.loads((FIXTURES / "payment_intent.json").read_text()))
    obj.update(id=payment_intent_id, status=status, amount=amount, metadata={"booking_reference": reference})
    return obj


def charge_object(payment_intent_id: str, amount: int, refunded: int) -> dict:
    obj = copy.deepcopy(json.loads((FIXTURES / "charge.json").read_text()))
    obj.update(payment_intent=payment_intent_id, amount=amount, amount_refunded=refunded, refunded=refunded >= amount)
    return obj


def signed(evt: dict, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> tuple[bytes, dict]:
    payload = json.dumps(evt)
    header = stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=timestamp)
    return payload.encode(), {"Stripe-Signature": header, "Content-Type": "application/json"}


def post_event(client, evt: dict, **kwargs):
    payload, headers = signed(evt, **kwargs)
    return client.post("/api/payments/webhook", data=payload, headers=headers)
