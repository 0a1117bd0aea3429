"""The traveller's booking page: pay while pending, the confirmation once paid, the e-ticket."""
from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, render_template, request, session, url_for

from .. import monitoring, payments
from ..models import AttemptStatus, Booking, BookingStatus, FunnelStage
from ..presentation import go_to
from ..security import payment_page
from ..steps import STEPS
from ..steps.forms import EmptyForm
from . import service
from .calendar import calendar_filename, flight_event

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


@bp.get("/<reference>")
@payment_page
def show(reference: str):
    booking = _own_booking(reference)
    context = dict(booking=booking, steps=STEPS, current_step="review.show", form=EmptyForm(),
                   last_failure=payments.last_failure(booking), max_attempts=payments.MAX_FAILED_ATTEMPTS,
                   failed_attempts=payments.failed_attempts(booking), payment=None, payment_problem=None,
                   processing=None)
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
    return render_template("bookings/show.html", **context)


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
    back = request.form.get("back", "")
    if not back.startswith("/") or back.startswith("//"):
        back = url_for("bookings.show", reference=booking.reference) if booking.reference else url_for("customize.show")
    return go_to(back)


@bp.get("/<reference>/flight.ics")
def calendar(reference: str):
    """"Add to calendar": the flight as an .ics file, for the browser that owns the booking."""
    booking = _own_booking(reference)
    if booking.status != BookingStatus.CONFIRMED:
        abort(409, "The flight goes in your calendar once the booking is confirmed.")
    response = make_response(flight_event(booking))
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{calendar_filename(booking)}"'
    return response


@bp.post("/<reference>/change")
def change(reference: str):
    """Change fare or extras while unpaid: a new draft with the same choices and seats."""
    form = EmptyForm()
    if not form.validate():
        abort(400, "The form had expired. Please try again.")
    booking = _own_booking(reference)
    try:
        draft = payments.reopen_as_draft(booking)
    except service.BookingError as err:
        abort(409, err.message)
    session["draft_id"] = draft.id
    return go_to(url_for("customize.show"))
