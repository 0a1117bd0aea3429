"""Payment endpoints: the JSON API, the webhook, the return URL and the status poll."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, make_response, render_template, request, url_for
from sqlalchemy.exc import SQLAlchemyError

from ..bookings import service as bookings
from ..bookings.routes import made_in_this_browser
from ..api.schemas import ConfirmPayment, CreateIntent, IntentCreated, PaymentConfirmed, WebhookReceipt, parse
from ..api.support import json_body
from ..errors import ApiError
from ..extensions import csrf, db, limiter
from ..models import AttemptStatus, BookingStatus
from ..presentation import go_to
from . import gateway, measures, webhooks
from .proof import holds_client_secret
from .service import PaymentRefused, attempt_for_intent, reconcile, start_payment
from ..parsing import is_digits

bp = Blueprint("payments", __name__)
# The webhook is authenticated by its signature. The JSON endpoints, like the rest of /api,
# take only application/json bodies (a cross-site form cannot send one), so API clients
# need no CSRF token; the browser sends X-CSRFToken anyway.
for view in ("webhook", "create_intent", "confirm"):
    csrf.exempt(f"checkout.payments.routes.{view}")


def _email_matches(booking, email: object) -> bool:
    return isinstance(email, str) and bool(email.strip()) and \
        (booking.contact_email or "").lower() == email.strip().lower()


def _booking_for(reference: str, email: str):
    """The booking, only if the email is its contact's; otherwise the same 404 either way."""
    booking = bookings.booking_by_reference(reference or "")
    if booking is None or not _email_matches(booking, email):
        raise ApiError(404, "not_found", "We couldn't find a booking with that reference and email.")
    return booking


@bp.post("/api/payments/create-intent")
@limiter.limit("5 per minute")
def create_intent():
    body = parse(CreateIntent, json_body())
    booking = _booking_for(body.booking_reference or "", body.email or "")
    if body.amount is not None and body.amount != booking.total_amount:
        raise ApiError(409, "amount_mismatch", "The amount does not match the booking's total.",
                       {"amount": f"The total is {booking.total_amount} {booking.currency}."})
    if body.currency is not None and body.currency.upper() != booking.currency:
        raise ApiError(409, "currency_mismatch", "The currency does not match the booking's.",
                       {"currency": f"The booking is in {booking.currency}."})
    try:
        started = start_payment(booking.id)
    except PaymentRefused as err:
        raise ApiError(err.status, err.code, err.message)
    except gateway.PaymentError as err:
        raise ApiError(503, err.code, err.message)
    return IntentCreated(client_secret=started.client_secret, payment_intent_id=started.attempt.payment_intent_id,
                         amount=started.attempt.amount, currency=started.attempt.currency).answer()


@bp.post("/api/payments/confirm")
@limiter.limit("30 per minute")
def confirm():
    """Re-read a PaymentIntent from Stripe and apply it; answers the booking's status.

    Only to whoever proves the booking with the PaymentIntent's client secret (the paying page
    has it) or the booking's email: a reference and a PaymentIntent id alone get the same 404
    as an unknown booking.
    """
    body = parse(ConfirmPayment, json_body())
    reference, intent_id = body.booking_reference or "", body.payment_intent_id or ""
    booking = bookings.booking_by_reference(reference)
    attempt = attempt_for_intent(intent_id)
    not_found = ApiError(404, "not_found", "No such payment for this booking.")
    if booking is None or attempt is None or attempt.booking_id != booking.id:
        raise not_found
    try:
        if not (_email_matches(booking, body.email)
                or holds_client_secret(attempt.payment_intent_id, body.client_secret)):
            raise not_found
        outcome = reconcile(attempt.payment_intent_id, actor="confirm endpoint")
    except gateway.PaymentError as err:
        raise ApiError(503, err.code, err.message)
    db.session.refresh(attempt)
    return PaymentConfirmed(status=outcome.booking_status, payment_status=outcome.attempt_status,
                            message=attempt.failure_message).answer()


@bp.post("/api/payments/webhook")
def webhook():
    try:
        receipt = webhooks.receive(request.get_data(), request.headers.get("Stripe-Signature"))
    except gateway.InvalidSignature:
        return jsonify({"error": {"code": "invalid_signature", "message": "Signature verification failed."}}), 400
    except webhooks.MalformedEvent as err:
        return jsonify({"error": {"code": "malformed_event", "message": f"Not a Stripe event we can accept: {err}."}}), 400
    except (SQLAlchemyError, gateway.PaymentError) as err:
        current_app.logger.warning("webhook will be retried by Stripe: %s", err)
        return jsonify({"error": {"code": "retry_later", "message": "Temporarily unavailable; please retry."}}), 503
    return WebhookReceipt(received=True, status=receipt.status).answer()


NO_SUCH_PAYMENT = "We couldn't find that payment. If you were charged, your confirmation email will follow."


@bp.get("/payment/return")
def payment_return():
    """Where Stripe.js sends the traveller back. Reconciles now, whatever the webhook does.

    The browser that made the booking goes on to its booking page. Any other browser (a bank's
    app often opens its own) must hold the PaymentIntent's client secret, which Stripe puts in
    this URL: it sees the outcome and the reference only, and is offered manage-my-booking for
    the rest. Without either, the same 404 as an unknown payment.
    """
    attempt = attempt_for_intent(request.args.get("payment_intent", ""))
    if attempt is None:
        abort(404, NO_SUCH_PAYMENT)
    booking = attempt.booking
    own = made_in_this_browser(booking)
    if not own:
        try:
            proven = holds_client_secret(attempt.payment_intent_id, request.args.get("payment_intent_client_secret"))
        except gateway.PaymentError:
            current_app.logger.warning("return URL could not check the client secret of %s", attempt.payment_intent_id)
            return _private(render_template("payments/received.html", reference=None, unknown=True, own=False))
        if not proven:
            abort(404, NO_SUCH_PAYMENT)
    reference = booking.reference
    try:
        reconcile(attempt.payment_intent_id, actor="return url")
    except (SQLAlchemyError, gateway.PaymentError):
        db.session.rollback()
        current_app.logger.exception("return URL could not reconcile %s", attempt.payment_intent_id)
        # Stripe has the money if it says so; our records will catch up (webhook retry or sweeper).
        unknown = request.args.get("redirect_status") != "succeeded"
        return _private(render_template("payments/received.html", reference=reference, unknown=unknown, own=own))
    if own:
        return go_to(url_for("bookings.show", reference=reference))
    db.session.refresh(booking)
    db.session.refresh(attempt)
    return _private(render_template(
        "payments/outcome.html", reference=reference, outcome=payment_outcome(booking, attempt),
        booking_status=booking.status, hold_expires_at=booking.hold_expires_at,
        failure_message=attempt.failure_message))


def payment_outcome(booking, attempt) -> str:
    """What the return page tells whoever paid with `attempt`, in one word."""
    if attempt.status == AttemptStatus.SUCCEEDED:
        paid = booking.paid_attempt
        if booking.status == BookingStatus.CONFIRMED and paid is not None and paid.id == attempt.id:
            return "confirmed"
        return "refunded"  # it came too late for the seats, or a second time: refunded in full (fulfilment)
    if booking.status == BookingStatus.CONFIRMED:
        return "confirmed"  # paid with another attempt
    if attempt.status == AttemptStatus.PROCESSING:
        return "processing"
    if booking.status in (BookingStatus.EXPIRED, BookingStatus.CANCELLED):
        return "closed"
    if attempt.status in (AttemptStatus.FAILED, AttemptStatus.CANCELED):
        return "failed"
    return "incomplete"  # authentication not finished, or no card given: nothing charged


def _private(html: str):
    """The URL carries the client secret: keep the page out of caches and referrers."""
    response = make_response(html)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/booking/<reference>/status")
def payment_status(reference: str):
    """Polled every 2 s by the processing view; tells htmx to move on when settled."""
    booking = bookings.booking_by_reference(reference)
    if booking is None or not made_in_this_browser(booking):
        abort(404)
    polls = request.args.get("n", "0")
    polls = int(polls) + 1 if is_digits(polls) and len(polls) < 4 else 1  # it stops polling at 30
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
    if booking is None or not made_in_this_browser(booking):
        abort(404)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, "Send a JSON object with the paymentIntentId.")
    attempt = attempt_for_intent(str(body.get("paymentIntentId", "")))
    if attempt is None or attempt.booking_id != booking.id:
        abort(404)
    measures.record_pay_click(attempt.id)
    return "", 204
