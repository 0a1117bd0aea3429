"""The traveller's booking page: pay while pending, the confirmation once paid, the e-ticket."""
from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, make_response, render_template, request, session, url_for

from .. import monitoring, payments
from ..extensions import limiter
from ..models import AttemptStatus, Booking, BookingStatus, FunnelStage
from ..notifications.calendar import calendar_filename, trip_calendar
from ..presentation import go_to, local_path
from ..security import payment_page
from ..steps import STEPS
from ..steps.forms import EmptyForm
from . import service

bp = Blueprint("bookings", __name__, url_prefix="/booking")


def made_in_this_browser(booking: Booking) -> bool:
    """The review step gives the browser that submits a booking its page (session["booking_ids"])."""
    return booking.id in session.get("booking_ids", [])


def _own_booking(reference: str) -> Booking:
    """Only the browser that made the booking sees it here (manage-my-booking is separate)."""
    booking = service.booking_by_reference(reference)
    if booking is None or not made_in_this_browser(booking):
        abort(404, "We couldn't find that booking in this browser.")
    return booking


def _payment_notice(booking: Booking, payment_problem: str | None = None) -> dict:
    """What the payment section's notice (payments/_notice.html) shows: the last decline and
    the attempts left, or why the booking cannot be paid now."""
    return dict(booking=booking, form=EmptyForm(), last_failure=payments.last_failure(booking),
                max_attempts=payments.MAX_FAILED_ATTEMPTS, failed_attempts=payments.failed_attempts(booking),
                payment_problem=payment_problem)


@bp.get("/<reference>")
@payment_page
def show(reference: str):
    booking = _own_booking(reference)
    context = dict(_payment_notice(booking), steps=STEPS, current_step="review.show", payment=None, processing=None)
    if booking.status == BookingStatus.PENDING_PAYMENT:
        context["quote"] = service.frozen_quote(booking)
        latest = booking.payment_attempts[-1] if booking.payment_attempts else None
        if latest is not None and latest.status == AttemptStatus.PROCESSING:
            context["processing"] = latest
        else:
            try:
                context["payment"] = payments.start_payment(booking.id)
                monitoring.record_stage(FunnelStage.PAYMENT_REACHED, booking_id=booking.id)
            except payments.PaymentRefused as err:
                context["payment_problem"] = err.message
            except payments.PaymentError as err:
                context["payment_problem"] = err.message
                if isinstance(err, payments.GatewayUnavailable):
                    # Stripe is away or slow (or its slots are taken): the page still shows the
                    # booking and says why it cannot be paid yet, as a 503 worth retrying.
                    return render_template("bookings/show.html", **context), 503, {"Retry-After": "30"}
    return render_template("bookings/show.html", **context)


@bp.post("/<reference>/next-attempt")
@limiter.limit("30 per minute")
def next_attempt(reference: str):
    """The payment page's next attempt, after a decline, without a reload (so the card form
    keeps what the traveller typed): the PaymentIntent to confirm next and the page's notice.

    start_payment() decides, as for the page itself: the open attempt's PaymentIntent while
    Stripe can still take it, otherwise (the last one was declined, and is recorded as failed
    here if nobody has yet) a new attempt with a new PaymentIntent. One attempt, one
    PaymentIntent; the cap of failed attempts and the hold's deadline refuse with 409.
    JSON, like the page's other calls: {clientSecret, paymentIntentId, amount, currency,
    notice}, or {error: {code, message}, notice}; `notice` is payments/_notice.html rendered.
    CSRF-protected like every browser POST; only for the browser that made the booking.
    """
    booking = _own_booking(reference)
    try:
        started = payments.start_payment(booking.id)
    except payments.PaymentRefused as err:
        return _next_attempt_refused(booking, err.status, err.code, err.message)
    except payments.PaymentError as err:
        return _next_attempt_refused(booking, 503, err.code, err.message)
    return jsonify({"clientSecret": started.client_secret, "paymentIntentId": started.attempt.payment_intent_id,
                    "amount": started.attempt.amount, "currency": started.attempt.currency.lower(),
                    "notice": render_template("payments/_notice.html", **_payment_notice(booking))})


def _next_attempt_refused(booking: Booking, status: int, code: str, message: str):
    notice = render_template("payments/_notice.html", **_payment_notice(booking, payment_problem=message))
    return jsonify({"error": {"code": code, "message": message}, "notice": notice}), status


@bp.get("/<reference>/e-ticket.pdf")
def eticket(reference: str):
    from ..notifications.eticket import eticket_response
    return eticket_response(_own_booking(reference))


@bp.post("/extend-hold")
def extend_hold():
    """"Give me more time": the booking being paid (its reference, this browser's) or the draft
    in progress. A plain form, so it works without JavaScript; back to the page it came from."""
    form = EmptyForm()
    if not form.validate():
        abort(400, "The form had expired. Please try again.")
    reference = request.form.get("reference", "")
    booking = _own_booking(reference) if reference else service.get_booking(session.get("draft_id"))
    if booking is None:
        abort(404, "We couldn't find that booking in this browser.")
    try:
        booking = service.extend_hold(booking.id)
    except service.BookingError as err:
        flash(err.message, "warning")
    else:
        flash("Done: your seats and price are held for longer. You can extend once.", "info")
    back = local_path(request.form.get("back"))
    if back is None:
        back = url_for("bookings.show", reference=booking.reference) if booking.reference else url_for("customize.show")
    return go_to(back)


@bp.get("/<reference>/flight.ics")
def calendar(reference: str):
    """"Add to calendar": the trip as an .ics file (an event per flight), for the browser that owns the booking."""
    booking = _own_booking(reference)
    if booking.status != BookingStatus.CONFIRMED:
        abort(409, "The flight goes in your calendar once the booking is confirmed.")
    response = make_response(trip_calendar(booking))
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{calendar_filename(booking)}"'
    return response


CHANGE_STEPS = {"passengers": "passengers.show", "customize": "customize.show"}


@bp.post("/<reference>/change")
def change(reference: str):
    """Change anything while unpaid (a misspelt name, the fare, bags, seats): the booking's
    PaymentIntents are cancelled, so none stays payable, and a new draft with the same choices,
    passengers and seats takes over its holds; the old reference is cancelled, the draft gets
    its own when submitted. `step`: the step to go back to (customise unless it names passengers)."""
    form = EmptyForm()
    if not form.validate():
        abort(400, "The form had expired. Please try again.")
    booking = _own_booking(reference)
    try:
        draft = payments.reopen_as_draft(booking)
    except service.BookingError as err:
        abort(409, err.message)
    session.regenerate()  # a new draft, as at /select
    session["draft_id"] = draft.id
    return go_to(url_for(CHANGE_STEPS.get(request.form.get("step", ""), "customize.show")))
