"""Manage my booking: find it with the reference and a last name or the email, then see it,
download the e-ticket, change the contact details, or cancel with the refund the rules allow.

Proving a booking puts its id in this browser's server-side session
(session["managed_booking_ids"]); every page below /manage/<reference> requires that.
Look-ups are limited per address (Flask-Limiter, Redis), and wrong guesses at one reference
refuse the guessing address, never the booking (bookings/proof.py), so references cannot be
guessed by brute force and the owner is never locked out.
"""
from __future__ import annotations

from functools import wraps

from flask import (
    Blueprint, flash, make_response, redirect, render_template, request, session, url_for,
)
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from . import audit, payments
from .bookings import amendments, cancellation, service
from .bookings.passengers import contact_details
from .bookings.proof import guesser_wait, matches, normalize_reference, record_failure, wait_message
from .bookings.service import BookingError
from .clock import utcnow
from .extensions import db, limiter
from .models import Booking, BookingStatus
from .notifications.eticket import card_label, eticket_response
from .presentation import go_to, money
from .steps.forms import ContactFields

bp = Blueprint("manage", __name__, url_prefix="/manage")

NOT_FOUND = "We couldn't find a booking with those details."
SESSION_KEY = "managed_booking_ids"


class LookupForm(FlaskForm):
    reference = StringField("Booking reference", validators=[
        DataRequired("Enter your booking reference, like FLY2A-K7M3QX."),
        Length(max=20, message="A booking reference looks like FLY2A-K7M3QX.")],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"})
    secret = StringField("Last name or email", validators=[
        DataRequired("Enter the last name of a passenger, or the email the booking was made with."),
        Length(max=254, message="Use at most 254 characters.")],
        render_kw={"autocomplete": "family-name"})  # most people type a name; an email works as well


class CancelForm(FlaskForm):
    expected_refund = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9]{1,10}$")])  # int() never fails


class ContactForm(ContactFields, FlaskForm):
    """Email and phone, checked as in step 2 (the same rules and messages)."""


# -- finding a booking ---------------------------------------------------------------

def proven_booking(reference: str) -> Booking | None:
    """The booking, only if this browser has proven it in this session."""
    booking = service.booking_by_reference(normalize_reference(reference))
    if booking is None or booking.id not in session.get(SESSION_KEY, []):
        return None
    return booking


def _proven_or_redirect(reference: str):
    booking = proven_booking(reference)
    if booking is None:
        # The same answer whether or not the reference exists.
        return None, redirect(url_for("manage.lookup_form", reference=normalize_reference(reference)), code=303)
    return booking, None


def with_proven_booking(view):
    """Views of /manage/<reference>: only for a booking proven in this session."""
    @wraps(view)
    def wrapper(reference: str):
        booking, redirect_response = _proven_or_redirect(reference)
        if booking is None:
            return redirect_response
        return view(booking)
    return wrapper


def _actor(booking: Booking) -> str:
    return f"traveller {booking.contact_email}"


@bp.get("")
def lookup_form():
    form = LookupForm(data={"reference": request.args.get("reference", "")[:20]})
    return render_template("manage/lookup.html", form=form, problem=None)


@bp.post("")
@limiter.limit("10 per minute; 50 per hour",
               error_message="Too many look-ups from your network. Please wait a few minutes and try again.")
def lookup():
    form = LookupForm()
    if not form.validate():
        return render_template("manage/lookup.html", form=form, problem=None), 422
    now = utcnow()
    reference = normalize_reference(form.reference.data)
    address = request.remote_addr or "unknown"
    wait = guesser_wait(reference, address, now)
    if wait:
        response = make_response(render_template("manage/lookup.html", form=form, problem=wait_message(wait)), 429)
        response.headers["Retry-After"] = str(wait)
        return response
    booking = service.booking_by_reference(reference)
    if booking is None or not matches(booking, form.secret.data):
        record_failure(reference, address, now)
        return render_template("manage/lookup.html", form=form, problem=NOT_FOUND), 422
    proven = [i for i in session.get(SESSION_KEY, []) if i != booking.id]
    session.regenerate()  # a new session id once it opens a booking: a planted cookie gains nothing
    session[SESSION_KEY] = (proven + [booking.id])[-20:]
    return go_to(url_for("manage.show", reference=booking.reference))


# -- the booking ---------------------------------------------------------------------

def _render_show(booking: Booking, contact_form=None, problem: str | None = None, status: int = 200):
    if contact_form is None:
        contact_form = ContactForm(data={"email": booking.contact_email, "phone": booking.contact_phone})
    paid = booking.paid_attempt
    refunds = [r for r in booking.refunds if r.status != "failed"]
    return render_template(
        "manage/show.html", booking=booking, contact_form=contact_form, problem=problem,
        terms=cancellation.cancellation_terms(booking), paid=paid, card=card_label(paid),
        refunded=sum(r.amount for r in refunds), refunds=refunds,
        can_amend=amendments.amendment_problem(booking, utcnow()) is None,
    ), status


@bp.get("/<reference>")
@with_proven_booking
def show(booking: Booking):
    return _render_show(booking)


@bp.post("/<reference>/contact")
@with_proven_booking
def change_contact(booking: Booking):
    form = ContactForm()
    if not form.validate():
        return _render_show(booking, contact_form=form, status=422)
    try:
        amendments.amend(booking.id, _actor(booking), contact=contact_details(form.email.data, form.phone.data),
                         may_change_paid_email=True)  # the traveller who proved it; the old address is told
    except amendments.AmendmentRefused as err:
        return _render_show(booking, contact_form=form, problem=err.message, status=409)
    flash("Your contact details are updated. We will use them for everything about this booking.", "success")
    return go_to(url_for("manage.show", reference=booking.reference))


@bp.get("/<reference>/e-ticket.pdf")
@with_proven_booking
def eticket(booking: Booking):
    return eticket_response(booking)


def _render_cancel(booking: Booking, problem: str | None = None, status: int = 200):
    terms = cancellation.cancellation_terms(booking)
    form = CancelForm(formdata=None, data={"expected_refund": str(terms.refund_amount)})
    return render_template("manage/cancel.html", booking=booking, terms=terms, form=form, problem=problem,
                           card=card_label(booking.paid_attempt)), status


@bp.get("/<reference>/cancel")
@with_proven_booking
def cancel_quote(booking: Booking):
    """The quote: what cancelling now gives back, and why. Nothing changes until confirmed."""
    return _render_cancel(booking)


@bp.post("/<reference>/cancel")
@with_proven_booking
def cancel(booking: Booking):
    """Confirm the quoted cancellation. If the refund would now differ, nothing happens (409)."""
    form = CancelForm()
    if not form.validate():
        return _render_cancel(booking, "That form had expired. Please check the refund below and confirm again.", 400)
    if booking.status == BookingStatus.CANCELLED:
        return go_to(url_for("manage.show", reference=booking.reference))
    actor = _actor(booking)
    before = audit.snapshot(booking)
    try:
        booking, refunded = payments.cancel_booking(booking.id, actor=actor[:80], expected_refund=int(form.expected_refund.data))
    except BookingError as err:
        db.session.rollback()
        return _render_cancel(booking, err.message, 409)
    audit.record(actor, "cancel_booking", booking, before, audit.snapshot(booking),
                 detail=f"manage my booking: refunded {refunded} {booking.currency}")
    db.session.commit()
    if refunded:
        card = card_label(booking.paid_attempt)
        flash(f"Cancelled. We are refunding {money(refunded, booking.currency)} to "
              f"{'your ' + card if card else 'the card you paid with'}. We have emailed you a confirmation.", "success")
    else:
        flash("Cancelled. We have emailed you a confirmation.", "success")
    return go_to(url_for("manage.show", reference=booking.reference))
