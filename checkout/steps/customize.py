"""Step 1: fare family, bundle, extras and seats, with a running total.

Without JavaScript the whole step is one form: "Update total" saves and comes back,
"Continue" saves and goes on. With htmx each panel posts on change to its own URL and
gets back its panel plus the price summary, both as out-of-band swaps.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, g, redirect, request, url_for

from .. import pricing
from ..bookings import service
from ..bookings.service import BookingError
from ..catalog import search
from ..catalog.recommend import recommendation
from ..catalog.seatmaps import AIRCRAFT, SEAT_TYPE_NAMES, Seat, seat_rows
from ..clock import utcnow
from ..bookings import seat_holds
from ..extensions import db
from ..models import Booking
from ..presentation import go_to, is_fragment_request, render_step
from . import STEPS, price_change_notice, with_draft
from .forms import CustomizeForm
from ..parsing import is_digits

bp = Blueprint("customize", __name__, url_prefix="/customize")

TEMPLATE = "steps/customize.html"
SECTIONS = {
    # section -> panels that may change when it does (each swapped out of band)
    "fare": ["fare_panel", "bundle_panel", "extras_panel", "seat_panel", "price_summary"],
    "bundle": ["bundle_panel", "extras_panel", "seat_panel", "price_summary"],
    "extras": ["extras_panel", "price_summary"],
    "seat": ["seat_panel", "price_summary"],
}


@dataclass
class SeatView:
    seat: Seat
    state: str  # free | taken | mine | party | restricted
    reason: str | None
    price: int


def seat_map(booking: Booking, active_position: int) -> list[tuple[str, int, list[list[SeatView]]]]:
    """Every seat of the aircraft as this passenger may see it."""
    taken = seat_holds.unavailable_seats(booking.flight_id, booking.id, utcnow())
    passenger = next(p for p in booking.passengers if p.position == active_position)
    party_seats = {p.seat_code: p for p in booking.passengers if p.seat_code}
    fare = search.fare_terms(booking.fare_family)
    bundle = search.bundle_terms(booking.bundle)
    rows = []
    for cabin, row, blocks in seat_rows(booking.flight.aircraft):
        row_view = []
        for block in blocks:
            block_view = []
            for seat in block:
                reason = service.seat_restriction(booking, passenger, seat)
                if seat.code == passenger.seat_code:
                    state = "mine"
                elif seat.code in party_seats:
                    state, reason = "party", f"Chosen for passenger {party_seats[seat.code].position + 1}"
                elif seat.code in taken:
                    state, reason = "taken", "Already taken"
                elif reason:
                    state = "restricted"
                else:
                    state = "free"
                block_view.append(SeatView(seat, state, reason, pricing.seat_price(seat, fare, bundle)))
            row_view.append(block_view)
        rows.append((cabin, row, row_view))
    return rows


def step_context(booking: Booking, seat_for: int | None = None, errors: dict | None = None) -> dict:
    seated = booking.seated_passengers
    if seat_for is None or seat_for not in {p.position for p in seated}:
        seat_for = seated[0].position
    types = [p.passenger_type for p in booking.passengers]
    fares = search.fare_families_for(booking.flight)
    quote = service.quote_for(booking)
    bundles = search.all_bundles()
    return dict(
        booking=booking, steps=STEPS, current_step="customize.show", quote=quote,
        fares=fares, fare_totals={f.code: service.quote_for(booking, f).total for f in fares},
        bundles=bundles, bundle_party_size=len(seated),
        recommendation=recommendation(booking.flight.international, types),
        seat_for=seat_for, seat_rows=seat_map(booking, seat_for), aircraft=AIRCRAFT[booking.flight.aircraft],
        seat_type_names=SEAT_TYPE_NAMES, bag_prices=pricing.BAG_PRICES,
        allowance=pricing.included_bags(search.fare_terms(booking.fare_family), search.bundle_terms(booking.bundle)),
        priority_price=pricing.PRIORITY_BOARDING_PRICE, insurance_percent=pricing.INSURANCE_PERCENT,
        insurance_minimum=pricing.INSURANCE_MINIMUM, max_bags=pricing.MAX_CHECKED_BAGS,
        errors=errors or {}, price_notice=price_change_notice(booking), form=CustomizeForm(),
    )


def _apply(booking: Booking, section: str, form_data) -> None:
    """Save one section (or all) of the posted step-1 form."""
    if section in ("fare", "all") and form_data.get("fare_family"):
        service.choose_fare(booking, form_data["fare_family"])
    if section in ("bundle", "all") and "bundle" in form_data:
        service.choose_bundle(booking, form_data.get("bundle") or None)
    if section in ("extras", "all") and "extras_shown" in form_data:
        bags = {}
        for passenger in booking.passengers:
            raw = form_data.get(f"bags-{passenger.position}")
            if raw is not None:
                if not is_digits(raw):
                    raise BookingError("Choose a number of bags from the list.", f"bags-{passenger.position}")
                bags[passenger.position] = int(raw)
        service.choose_extras(booking, bags=bags, insurance=form_data.get("insurance") == "y",
                              priority_boarding=form_data.get("priority_boarding") == "y")
    if section in ("seat", "all") and "seat" in form_data:
        try:
            position = int(form_data.get("seat_passenger", ""))
        except ValueError:
            raise BookingError("Choose which passenger this seat is for.", "seat")
        service.choose_seat(booking, position, form_data.get("seat") or None)


def _seat_for() -> int | None:
    raw = request.values.get("seat_passenger") or request.args.get("seat_for")
    return int(raw) if is_digits(raw) else None


@bp.get("")
@with_draft
def show():
    return render_step(TEMPLATE, ["seat_panel"], **step_context(g.booking, _seat_for()))


@bp.post("")
@with_draft
def save():
    """The no-JS path: save everything, then 303 to where the traveller asked to go."""
    form = CustomizeForm()
    if not form.validate():
        abort(400, "The form had expired. Please try again.")
    try:
        _apply(g.booking, "all", request.form)
    except BookingError as err:
        db.session.rollback()
        return render_step(TEMPLATE, **step_context(g.booking, _seat_for(), {err.field or "form": err.message})), 422
    if request.form.get("action") == "continue":
        service.acknowledge_price_change(g.booking)
        return go_to(url_for("passengers.show"))
    return redirect(url_for("customize.show", seat_for=_seat_for()), code=303)


@bp.post("/<section>")
@with_draft
def save_section(section: str):
    """htmx: save one panel; answer with the panels it changed, out of band."""
    if section not in SECTIONS:
        abort(404)
    form = CustomizeForm()
    if not form.validate():
        abort(400, "The form had expired. Please reload the page.")
    status, errors = 200, {}
    try:
        _apply(g.booking, section, request.form)
    except BookingError as err:
        db.session.rollback()
        status, errors = 422, {err.field or section: err.message}
    if not is_fragment_request():
        if status == 422:
            return render_step(TEMPLATE, **step_context(g.booking, _seat_for(), errors)), 422
        return redirect(url_for("customize.show", seat_for=_seat_for()), code=303)
    return render_step(TEMPLATE, SECTIONS[section], **step_context(g.booking, _seat_for(), errors)), status
