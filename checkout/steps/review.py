"""Step 3: review everything, accept the notices, and submit for payment."""
from __future__ import annotations

from flask import Blueprint, g, request, session, url_for

from ..bookings import service
from ..bookings.acknowledgements import ACKNOWLEDGEMENTS
from ..bookings.service import BookingClosed, BookingError, PriceChanged
from ..catalog.seatmaps import SEAT_TYPE_NAMES
from ..pricing import BAG_PRICES
from ..presentation import go_to, render_step
from . import STEPS, price_change_notice, with_draft
from .forms import EmptyForm

bp = Blueprint("review", __name__, url_prefix="/review")
TEMPLATE = "steps/review.html"


ACCEPT_ERROR = "Tick “I accept” to accept the notices above before you pay."


def _accepted() -> list[str]:
    """One "I accept" covers every notice shown (issue 19: one box, not four); each is still
    recorded with its version. A form naming notices one by one (ack_<key>, as before and as
    scripts may post) is read as it was."""
    if request.form.get("accept_all") == "y":
        return [a.key for a in ACKNOWLEDGEMENTS]
    return [a.key for a in ACKNOWLEDGEMENTS if request.form.get(f"ack_{a.key}") == "y"]


def _one_acceptance(fields: dict) -> dict:
    """The service names each notice missing; the page has one box for them all."""
    others = {name: message for name, message in fields.items() if not name.startswith("ack_")}
    return {"accept_all": ACCEPT_ERROR, **others} if len(others) < len(fields) else others


def context(booking, errors=None, accepted=()) -> dict:
    return dict(booking=booking, steps=STEPS, current_step="review.show", quote=service.quote_for(booking),
                acknowledgements=ACKNOWLEDGEMENTS, accepted=set(accepted), errors=errors or {},
                price_notice=price_change_notice(booking), bag_prices=BAG_PRICES,
                children_apart=service.children_apart(booking),
                seat_type_names=SEAT_TYPE_NAMES, form=EmptyForm())


@bp.get("")
@with_draft
def show():
    if not service.passengers_complete(g.booking):
        return go_to(url_for("passengers.show"))
    return render_step(TEMPLATE, **context(g.booking))


@bp.post("")
@with_draft
def submit():
    """DRAFT -> PENDING_PAYMENT, then 303 to the booking page."""
    form = EmptyForm()
    accepted = _accepted()
    if not form.validate():
        return render_step(TEMPLATE, **context(g.booking, {"form": "The form had expired. Please try again."}, accepted)), 400
    try:
        booking = service.submit(g.booking, accepted)
    except BookingClosed:
        raise  # with_draft: to the booking page
    except PriceChanged as err:
        return render_step(TEMPLATE, **context(g.booking, {"form": err.message}, accepted)), 409
    except BookingError as err:
        return render_step(TEMPLATE, **context(g.booking, _one_acceptance(err.fields), accepted)), 422
    # The draft is now a booking with a reference, a client secret to come and the travellers'
    # names: a new session id, so a cookie planted in this browser before checkout sees none of it.
    session.regenerate()
    session["booking_ids"] = list({*session.get("booking_ids", []), booking.id})
    return go_to(url_for("bookings.show", reference=booking.reference))
