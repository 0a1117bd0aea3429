"""Step 2: who is travelling, and how to reach them."""
from __future__ import annotations

from flask import Blueprint, g, request, url_for

from ..bookings import service
from ..bookings.passengers import contact_details, passenger_details
from ..bookings.service import BookingClosed, BookingError
from ..models import Booking
from ..presentation import go_to, render_step
from . import STEPS, price_change_notice, with_draft
from .forms import PassengersForm

bp = Blueprint("passengers", __name__, url_prefix="/passengers")
TEMPLATE = "steps/passengers.html"


def build_form(booking: Booking, formdata=None) -> PassengersForm:
    """The form, filled from the post if there is one, else from what is saved."""
    kwargs = dict(passenger_types=[p.passenger_type for p in booking.passengers],
                  travel_date=booking.flight.departure_date, international=booking.international,
                  last_travel_date=booking.last_flight.departure_date)
    if formdata is not None:
        return PassengersForm(formdata=formdata, **kwargs)
    data = {
        "passengers": [
            {"first_name": p.first_name, "last_name": p.last_name, "date_of_birth": p.date_of_birth,
             "gender": p.gender or "", "nationality": p.nationality or "", "passport_number": p.passport_number,
             "passport_expiry": p.passport_expiry, "redress_number": p.redress_number,
             "known_traveler_number": p.known_traveler_number}
            for p in booking.passengers
        ],
        "email": booking.contact_email, "phone": booking.contact_phone,
    }
    return PassengersForm(formdata=None, data=data, **kwargs)


def context(booking: Booking, form: PassengersForm) -> dict:
    return dict(booking=booking, form=form, steps=STEPS, current_step="passengers.show",
                quote=service.quote_for(booking), price_notice=price_change_notice(booking),
                travel_date=booking.flight.departure_date)


@bp.get("")
@with_draft
def show():
    return render_step(TEMPLATE, **context(g.booking, build_form(g.booking)))


@bp.post("")
@with_draft
def save():
    """Full validation on Continue. Errors re-render the page with 422 and keep everything typed.

    The form is boosted (a whole page comes back); fields are checked one at a time by
    check_field as the traveller leaves them."""
    form = build_form(g.booking, request.form)
    if not form.validate():
        return render_step(TEMPLATE, **context(g.booking, form)), 422
    details = [passenger_details(entry.data) for entry in form.passengers]
    try:
        service.save_passengers(g.booking, details, contact_details(form.email.data, form.phone.data))
    except BookingClosed:
        raise  # with_draft: to the booking page
    except BookingError as err:
        form.email.errors = [err.message]
        return render_step(TEMPLATE, **context(g.booking, form)), 422
    return go_to(url_for("review.show"))


@bp.post("/check")
@with_draft
def check_field():
    """Inline validation as the traveller leaves a field: just that field's error text."""
    name = request.args.get("field", "")
    form = build_form(g.booking, request.form)
    form.validate()
    field = _find_field(form, name)
    if field is None:
        return "", 200
    return " ".join(field.errors), 200


def _find_field(form: PassengersForm, name: str):
    for field in form:
        if field.name == name:
            return field
        if field.name == "passengers":
            for entry in field:
                for sub in entry.form:
                    if sub.name == name or f"{entry.name}-{sub.short_name}" == name:
                        return sub
    return None
