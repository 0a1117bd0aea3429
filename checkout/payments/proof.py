"""Proof of a payment: its PaymentIntent's client secret, checked with Stripe.

Stripe hands the client secret only to the page that pays (our booking page) and puts it in
the return URL, so whoever holds it may learn that payment's outcome, in any browser. The
secret as sent is never trusted: it is compared with the one Stripe holds for the intent.
"""
from __future__ import annotations

import hmac

from . import gateway


def holds_client_secret(payment_intent_id: str, client_secret: object) -> bool:
    """True only if `client_secret` is the one Stripe holds for this PaymentIntent.

    Asks Stripe (raises gateway.PaymentError if it cannot be reached) and compares in constant
    time. A value that cannot be this intent's secret (Stripe's read "<intent id>_secret_...")
    is refused without asking.
    """
    if not isinstance(client_secret, str) or not client_secret.startswith(f"{payment_intent_id}_secret_"):
        return False
    held = gateway.retrieve_payment_intent(payment_intent_id).client_secret
    return bool(held) and hmac.compare_digest(held.encode(), client_secret.encode())
