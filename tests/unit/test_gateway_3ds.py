"""What Stripe's PaymentIntent says about 3-D Secure, read from its published shape."""
from __future__ import annotations

import copy
import json

import pytest

from checkout.payments.gateway import _view
from tests.payments_support import FIXTURES


def _intent(status="succeeded", three_d_secure=None, next_action=None, error=None) -> dict:
    """Stripe's fixture PaymentIntent with its latest_charge expanded (Stripe's fixture charge)."""
    intent = json.loads((FIXTURES / "payment_intent.json").read_text())
    charge = copy.deepcopy(json.loads((FIXTURES / "charge.json").read_text()))
    charge["payment_method_details"]["card"]["three_d_secure"] = three_d_secure
    intent.update(status=status, latest_charge=charge, next_action=next_action, last_payment_error=error)
    return intent


@pytest.mark.parametrize("intent, challenged", [
    (_intent(), False),
    (_intent(three_d_secure={"authentication_flow": "challenge", "result": "authenticated", "version": "2.2.0"}), True),
    (_intent(three_d_secure={"authentication_flow": "frictionless", "result": "attempt_acknowledged"}), True),
    (_intent(three_d_secure={"authentication_flow": None, "result": "exempted"}), False),
    (_intent(status="requires_action", next_action={"type": "use_stripe_sdk", "use_stripe_sdk": {}}), True),
    (_intent(status="requires_payment_method", error={"code": "payment_intent_authentication_failure"}), True),
    (_intent(status="requires_payment_method", error={"code": "card_declined", "decline_code": "generic_decline"}), False),
])
def test_used_3ds_follows_what_stripe_reports(intent, challenged):
    assert _view(intent).used_3ds is challenged
