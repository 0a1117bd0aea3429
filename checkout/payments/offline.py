"""Offline only (STRIPE_API_BASE set): the server half of the Stripe.js stand-in.

The stand-in tokenises the card at localstripe itself, so the card number never reaches
us; here we only receive the token id, attach it and confirm, as the real Stripe.js
would do inside Stripe. Never registered when STRIPE_API_BASE is empty.
"""
from __future__ import annotations

import json
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, request, url_for

from ..errors import ApiError
from . import gateway
from .proof import holds_client_secret
from .service import attempt_for_intent, reconcile, record_card_error

bp = Blueprint("offline_stripe", __name__, url_prefix="/offline/stripe")
STAND_IN = Path(__file__).resolve().parents[2] / "offline" / "stripe-v3.js"


@bp.get("/v3.js")
def stripe_js():
    config = json.dumps({"api": current_app.config["STRIPE_API_BASE"], "attach": url_for(".attach")})
    source = STAND_IN.read_text().replace(
        'var CONFIG = {"api": "__LOCALSTRIPE_URL__", "attach": "__ATTACH_URL__"};', f"var CONFIG = {config};", 1)
    return Response(source, mimetype="application/javascript")


@bp.post("/attach")
def attach():
    """Attach the stand-in's card token and confirm. A Stripe that cannot be reached, at any
    of the calls, is a 503 JSON answer after the first call that times out
    (STRIPE_TIMEOUT_SECONDS): reading the client secret used to raise it uncaught (a 500)."""
    try:
        return _attach()
    except gateway.GatewayUnavailable as err:
        response = jsonify({"status": "unavailable", "error": {"type": "api_error", "code": err.code,
                                                                "message": err.message}})
        response.headers["Retry-After"] = "30"
        return response, 503


def _attach():
    # A JSON body here is an object (the edge, inputs.refuse_unreadable_json, refuses others).
    body = request.get_json(silent=True) or {}
    attempt = attempt_for_intent(str(body.get("paymentIntentId", "")))
    token = str(body.get("token", ""))
    if attempt is None or not token.startswith("tok_"):
        raise ApiError(404, "not_found", "No such payment.")
    if not holds_client_secret(attempt.payment_intent_id, body.get("clientSecret")):
        raise ApiError(403, "forbidden", "This payment belongs to another session.")
    try:
        confirmed = gateway.attach_card_token_and_confirm(
            attempt.payment_intent_id, token, idempotency_prefix=f"{attempt.payment_intent_id}-{token}")
    except gateway.CardDeclined as err:
        record_card_error(attempt.id, err)
        return jsonify({"status": "requires_payment_method", "error": {
            "type": "card_error", "code": err.code, "decline_code": err.decline_code, "message": err.message}})
    except gateway.GatewayUnavailable:
        raise
    except gateway.PaymentError as err:
        return jsonify({"status": "requires_payment_method", "error": {"type": "api_error", "code": err.code,
                                                                        "message": err.message}})
    if confirmed.status in ("succeeded", "requires_payment_method"):
        try:
            reconcile(attempt.payment_intent_id, actor="offline confirm")
        except gateway.GatewayUnavailable:
            # The card was charged: never answer "not charged". The return URL, the webhook
            # and the sweeper reconcile it once Stripe answers again.
            current_app.logger.warning("offline confirm: reconcile of %s left to the return URL",
                                       attempt.payment_intent_id)
    result = {"status": confirmed.status}
    if confirmed.status == "requires_payment_method":
        result["error"] = {"type": "card_error", "code": confirmed.failure_code,
                           "decline_code": confirmed.failure_decline_code,
                           "message": gateway.decline_message(confirmed.failure_code, confirmed.failure_decline_code)}
    return jsonify(result)
