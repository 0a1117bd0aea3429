"""Stripe errors become our own exceptions, with messages that tell the traveller what to do."""
import pytest
import stripe

from checkout.payments import gateway


def card_error(code, decline_code=None, message="Stripe's own words"):
    body = {"error": {"type": "card_error", "code": code, "message": message}}
    if decline_code:
        body["error"]["decline_code"] = decline_code
    return stripe.CardError(message, param=None, code=code, http_status=402, json_body=body)


@pytest.mark.parametrize("code,decline_code,words", [
    ("card_declined", "insufficient_funds", "insufficient funds"),
    ("card_declined", "generic_decline", "declined"),
    ("card_declined", "do_not_honor", "contact your bank"),
    ("card_declined", "lost_card", "use another card"),
    ("card_declined", "card_velocity_exceeded", "too many attempts"),
    ("expired_card", None, "expired"),
    ("incorrect_cvc", None, "security code"),
    ("incorrect_number", None, "card number"),
    ("processing_error", None, "try again"),
    ("payment_intent_authentication_failure", None, "authenticate"),
    ("card_declined", None, "declined"),
    ("some_future_code", "some_future_decline", "declined"),
])
def test_card_errors_map_to_safe_messages(app, code, decline_code, words):
    with app.app_context():
        translated = gateway._translate(card_error(code, decline_code))
    assert isinstance(translated, gateway.CardDeclined)
    assert words in translated.message.lower()
    assert "Stripe's own words" not in translated.message
    assert translated.decline_code == decline_code


def test_insufficient_funds_suggests_a_cheaper_choice(app):
    with app.app_context():
        message = gateway._translate(card_error("card_declined", "insufficient_funds")).message
    assert "cheaper fare or fewer extras" in message


@pytest.mark.parametrize("error", [
    stripe.APIConnectionError("network down"),
    stripe.RateLimitError("slow down"),
    stripe.APIError("stripe had a problem"),
])
def test_unreachable_stripe_is_gateway_unavailable(app, error):
    with app.app_context():
        translated = gateway._translate(error)
    assert isinstance(translated, gateway.GatewayUnavailable)
    assert "not charged" in translated.message


def test_a_request_stripe_refuses_is_not_blamed_on_the_card(app):
    with app.app_context():
        translated = gateway._translate(stripe.InvalidRequestError("Unexpected description", param="description"))
    assert isinstance(translated, gateway.GatewayRejected)
    assert "not charged" in translated.message


def test_signatures_are_checked_on_the_raw_body_and_expire_after_five_minutes():
    import json
    import time
    payload = json.dumps({"id": "evt_1", "type": "payment_intent.succeeded"}).encode()
    secret = "whsec_test"
    sign = stripe.WebhookSignature.generate_signature_header
    assert gateway.verify_event(payload, sign(payload.decode(), secret), secret)["id"] == "evt_1"
    with pytest.raises(gateway.InvalidSignature):  # the body was changed after signing
        gateway.verify_event(payload.replace(b"evt_1", b"evt_2"), sign(payload.decode(), secret), secret)
    with pytest.raises(gateway.InvalidSignature):  # signed with another secret
        gateway.verify_event(payload, sign(payload.decode(), "whsec_other"), secret)
    with pytest.raises(gateway.InvalidSignature):  # older than 300 s
        gateway.verify_event(payload, sign(payload.decode(), secret, timestamp=int(time.time()) - 301), secret)
    with pytest.raises(gateway.InvalidSignature):
        gateway.verify_event(payload, None, secret)
