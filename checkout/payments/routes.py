"""Payment endpoints: the JSON API, the webhook, the return URL and the status poll."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, render_template, request, session, url_for
from sqlalchemy.exc import SQLAlchemyError

from ..bookings import service as bookings
from ..errors import ApiError
from ..extensions import csrf, db, limiter
from ..models import BookingStatus
from ..presentation import go_to
from . import gateway, measures, webhooks
from .service import PaymentRefused, attempt_for_intent, reconcile, start_payment
from ..parsing import is_digits

bp = Blueprint("payments", __name__)
# The webhook is authenticated by its signature. The JSON endpoints, like the rest of /api,
# take only application/json bodies (a cross-site form cannot send one), so API clients
# need no CSRF token; the browser sends X-CSRFToken anyway.
for view in ("webhook", "create_intent", "confirm"):
    csrf.exempt(f"checkout.payments.routes.{view}")


def _json() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(415 if not request.is_json else 400, "invalid_body",
                       "Send a JSON object with Content-Type: application/json.")
    return body


def _booking_for(reference: str, email: str):
    """The booking, only if the email is its contact's; otherwise the same 404 either way."""
    booking = bookings.booking_by_reference(reference or "")
    if booking is None or not email or (booking.contact_email or "").lower() != email.strip().lower():
        raise ApiError(404, "not_found", "We couldn't find a booking with that reference and email.")
    return booking


@bp.post("/api/payments/create-intent")
@limiter.limit("5 per minute")
def create_intent():
    body = _json()
    booking = _booking_for(str(body.get("bookingReference", "")), str(body.get("email", "")))
    if body.get("amount") is not None and body.get("amount") != booking.total_amount:
        raise ApiError(409, "amount_mismatch", "The amount does not match the booking's total.",
                       {"amount": f"The total is {booking.total_amount} {booking.currency}."})
    if body.get("currency") is not None and str(body.get("currency")).upper() != booking.currency:
        raise ApiError(409, "currency_mismatch", "The currency does not match the booking's.",
                       {"currency": f"The booking is in {booking.currency}."})
    try:
        started = start_payment(booking.id)
    except PaymentRefused as err:
        raise ApiError(err.status, err.code, err.message)
    except gateway.PaymentError as err:
        raise ApiError(503, err.code, err.message)
    return jsonify({"clientSecret": started.client_secret, "paymentIntentId": started.attempt.payment_intent_id,
                    "amount": started.attempt.amount, "currency": started.attempt.currency})


@bp.post("/api/payments/confirm")
@limiter.limit("30 per minute")
def confirm():
    """Re-read a PaymentIntent from Stripe and apply it; answers the booking's status."""
    body = _json()
    booking = bookings.booking_by_reference(str(body.get("bookingReference", "")))
    attempt = attempt_for_intent(str(body.get("paymentIntentId", "")))
    if booking is None or attempt is None or attempt.booking_id != booking.id:
        raise ApiError(404, "not_found", "No such payment for this booking.")
    try:
        outcome = reconcile(attempt.payment_intent_id, actor="confirm endpoint")
    except gateway.PaymentError as err:
        raise ApiError(503, err.code, err.message)
    db.session.refresh(attempt)
    return jsonify({"status": outcome.booking_status, "paymentStatus": outcome.attempt_status,
                    "message": attempt.failure_message})


@bp.post("/api/payments/webhook")
def webhook():
    try:
        receipt = webhooks.receive(request.get_data(), request.headers.get("Stripe-Signature"))
    except gateway.InvalidSignature:
        return jsonify({"error": {"code": "invalid_signature", "message": "Signature verification failed."}}), 400
    except (SQLAlchemyError, gateway.PaymentError) as err:
        current_app.logger.warning("webhook will be retried by Stripe: %s", err)
        return jsonify({"error": {"code": "retry_later", "message": "Temporarily unavailable; please retry."}}), 503
    return jsonify({"received": True, "status": receipt.status}), 200


@bp.get("/payment/return")
def payment_return():
    """Where Stripe.js sends the traveller back. Reconciles now, whatever the webhook does."""
    attempt = attempt_for_intent(request.args.get("payment_intent", ""))
    if attempt is None:
        abort(404, "We couldn't find that payment. If you were charged, your confirmation email will follow.")
    booking = attempt.booking
    reference = booking.reference
    try:
        reconcile(attempt.payment_intent_id, actor="return url")
    except (SQLAlchemyError, gateway.PaymentError):
        db.session.rollback()
        current_app.logger.exception("return URL could not reconcile %s", attempt.payment_intent_id)
        if request.args.get("redirect_status") == "succeeded":
            # Stripe has the money; our records will catch up (webhook retry or sweeper).
            return render_template("payments/received.html", reference=reference), 200
        return render_template("payments/received.html", reference=reference, unknown=True), 200
    return go_to(url_for("bookings.show", reference=reference))


@bp.get("/booking/<reference>/status")
def payment_status(reference: str):
    """Polled every 2 s by the processing view; tells htmx to move on when settled."""
    booking = bookings.booking_by_reference(reference)
    if booking is None or booking.id not in session.get("booking_ids", []):
        abort(404)
    polls = request.args.get("n", "0")
    polls = int(polls) + 1 if is_digits(polls) else 1
    attempt = booking.payment_attempts[-1] if booking.payment_attempts else None
    if attempt is not None and attempt.status in ("processing", "requires_action", "created"):
        try:
            reconcile(attempt.payment_intent_id, actor="status poll")
            db.session.refresh(booking)
        except (SQLAlchemyError, gateway.PaymentError):
            db.session.rollback()
    settled = booking.status != BookingStatus.PENDING_PAYMENT or (attempt and attempt.status in ("failed", "canceled"))
    if settled:
        return go_to(url_for("bookings.show", reference=reference))
    return render_template("payments/_status.html", booking=booking, polls=polls, keep_polling=polls < 30)


@bp.post("/booking/<reference>/pay-started")
def pay_started(reference: str):
    """The payment page's beacon when the traveller presses Pay: where the dashboard's payment
    time starts. CSRF-protected like every browser POST; only for this browser's booking."""
    booking = bookings.booking_by_reference(reference)
    if booking is None or booking.id not in session.get("booking_ids", []):
        abort(404)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, "Send a JSON object with the paymentIntentId.")
    attempt = attempt_for_intent(str(body.get("paymentIntentId", "")))
    if attempt is None or attempt.booking_id != booking.id:
        abort(404)
    measures.record_pay_click(attempt.id)
    return "", 204
