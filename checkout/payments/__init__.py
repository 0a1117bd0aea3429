"""Payments: the Stripe gateway, payment attempts, one reconcile, webhooks, the sweeper.

Code outside this package uses only the names below (tests/unit/test_payments_public_api.py checks);
the modules inside are free to change. Payments depends on bookings (the booking lock,
states, seat holds); bookings' domain modules never import payments (only its routes, a
screen, do): docs/adr/0056-cancelling-and-reopening-belong-to-payments.md.
"""
from .booking_changes import cancel_booking, reopen_as_draft
from .fulfilment import reserve_refund, send_refunds
from .gateway import CardDeclined, GatewayUnavailable, PaymentError, decline_message
from .gateway import check_reachable as check_stripe_reachable
from .service import (
    MAX_FAILED_ATTEMPTS, Outcome, PaymentRefused, PaymentStart, attempt_for_intent, can_retry, cancel_open_intents,
    failed_attempts, last_failure, reconcile, record_card_error, start_payment,
)
from .sweeper import sweep

__all__ = [
    "MAX_FAILED_ATTEMPTS", "CardDeclined", "GatewayUnavailable", "Outcome", "PaymentError", "PaymentRefused",
    "PaymentStart", "attempt_for_intent", "can_retry", "cancel_booking", "check_stripe_reachable", "cancel_open_intents", "reserve_refund", "send_refunds", "decline_message",
    "failed_attempts", "last_failure", "reconcile", "record_card_error", "reopen_as_draft", "start_payment",
    "sweep",
]
