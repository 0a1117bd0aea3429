"""Step 1: fare family, bundle, extras and seats, with a running total.

Without JavaScript the whole step is one form: "Update total" saves and comes back,
"Continue" saves and goes on. With htmx each panel posts on change to its own URL and
gets back its panel plus the price summary, both as out-of-band swaps.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

from flask import Blueprint, abort, current_app, g, make_response, redirect, request, url_for
from markupsafe import Markup

from .. import pricing
from ..bookings import service
from ..bookings.service import BookingClosed, BookingError
from ..catalog import search
from ..catalog.recommend import recommendation
from ..catalog.seatmaps import AIRCRAFT, SEAT_TYPE_NAMES, Seat, find_seat, seat_rows, seats_by_code
from ..clock import utcnow
from ..bookings import seat_holds
from ..extensions import db
from ..models import Booking, BookingSegment
from ..presentation import go_to, is_fragment_request, money, render_step
from . import STEPS, price_change_notice, with_draft
from .forms import CustomizeForm
from ..parsing import Unreadable, parse_int

bp = Blueprint("customize", __name__, url_prefix="/customize")

TEMPLATE = "steps/customize.html"
# What each change sends back, out of band (issue 9: every answer stays small). A seat
# click redraws only the seats it changed; the prices of seat types live in the legend,
# so a fare or bundle change never re-sends the map (only a change of cabin does).
SECTIONS = {
    "fare": ["fare_totals", "extras_panel", "seat_legend", "seat_selected", "price_summary"],
    "bundle": ["bundle_panel", "extras_panel", "seat_legend", "seat_selected", "fare_totals", "price_summary"],
    "extras": ["extras_panel", "fare_totals", "price_summary"],
    "seat": ["seat_tabs", "seat_error", "seat_selected", "changed_seats", "fare_totals", "price_summary"],
}
# A change of cabin changes every seat: instead of the map (~100 KB), a placeholder that
# fetches the seat-map tab (a read fragment) as soon as it lands; without JavaScript the
# POST redirects to the whole page as always.
CABIN_CHANGED = ["fare_totals", "extras_panel", "seat_panel_loading", "price_summary"]
# Switching the passenger being seated: the seats whose state differs for them, and the tabs.
PASSENGER_SWITCH = ["seat_tabs", "seat_error", "seat_selected", "changed_seats"]


@dataclass
class SeatView:
    seat: Seat
    state: str  # free | taken | mine | party | restricted
    reason: str | None
    price: int


def _seat_macros():
    """steps/_seat.html's macros, which read nothing but their arguments and the seat type names.

    Not the price: the caches below pass 0. tests/unit/test_remembered_seats.py draws every
    seat state both ways, remembered and afresh with real prices, and compares the bytes.
    """
    return current_app.jinja_env.get_template("steps/_seat.html").make_module({"seat_type_names": SEAT_TYPE_NAMES})


# typed: Markup("a'b") equals and hashes as "a'b" but is drawn unescaped, so each type of a
# value is remembered apart (in a row's key, each reason's type goes with it for the same reason).
@lru_cache(maxsize=20000, typed=True)
def _drawn_seat(seat: Seat, state: str, reason: str | None, fare_cabin: str, oob: bool) -> Markup:
    macros = _seat_macros()
    return Markup(macros.seat_cell(SeatView(seat, state, reason, 0), fare_cabin, oob))


def seat_cell(view: SeatView, fare_cabin: str, oob: bool = False) -> Markup:
    """One seat of the map, drawn by steps/_seat.html once per seat, state, reason and fare
    cabin per process (the macro may read nothing else).

    A wide-body map is ~300 seats, each a label and an input whose attributes Jinja escapes
    one by one: that was a third of the customise page's time (pyinstrument,
    docs/PERFORMANCE.md). A seat's HTML depends on nothing else (its price is in the legend).
    """
    if current_app.jinja_env.auto_reload:  # debug: a template being edited is drawn afresh
        _drawn_seat.cache_clear()
    return _drawn_seat(view.seat, view.state, view.reason, fare_cabin, oob)


@lru_cache(maxsize=4096, typed=True)
def _drawn_row(aircraft: str, cabin_starts: bool, cabin: str, row: int,
               blocks: tuple[tuple[tuple[str, str, str | None, type], ...], ...], fare_cabin: str) -> Markup:
    macros = _seat_macros()
    seats = seats_by_code(aircraft)
    views = [[SeatView(seats[code], state, reason, 0) for code, state, reason, _ in block] for block in blocks]
    return Markup(macros.seat_row(cabin_starts, cabin, row, views, fare_cabin))


def seat_map_rows(aircraft: str, rows: list[tuple[str, int, list[list[SeatView]]]], fare_cabin: str) -> Markup:
    """The map's rows, each drawn by steps/_seat.html once per row and its seats' states and
    reasons per process (the macro may read nothing else).

    Drawing 262 seats one by one through Jinja was about a fifth of the customise page even
    with each seat remembered (seat_cell): a row's HTML depends only on its seats' states, and
    most rows of a map look the same from one request to the next.
    """
    if current_app.jinja_env.auto_reload:  # debug: a template being edited is drawn afresh
        _drawn_row.cache_clear()
    drawn, cabin_now = [], None
    for cabin, row, blocks in rows:
        states = tuple(tuple((view.seat.code, view.state, view.reason, type(view.reason)) for view in block) for block in blocks)
        drawn.append(_drawn_row(aircraft, cabin != cabin_now, cabin, row, states, fare_cabin))
        cabin_now = cabin
    return Markup("".join(drawn))


class SeatMapView:
    """How one passenger sees the seats of one flight of the trip: what may be chosen, what is
    taken and why."""

    def __init__(self, booking: Booking, position: int, segment: BookingSegment | None = None,
                 taken: set[str] | None = None):
        segment = segment or booking.segments[0]  # the trip's first flight unless told
        self.booking, self.segment = booking, segment
        self.aircraft = segment.flight.aircraft
        self.passenger = next(p for p in booking.passengers if p.position == position)
        # Seats other bookings hold. One request changes only this booking's seats, so views
        # drawn before and after a change share the one read.
        self.taken = taken if taken is not None else seat_holds.unavailable_seats(segment.flight_id, booking.id, utcnow())
        self.party_seats = {p.seat_on(segment): p for p in booking.passengers if p.seat_on(segment)}
        self.own_seat = self.passenger.seat_on(segment)  # as it is now: a later change is compared with it
        self.fare = search.fare_terms(booking.fare_family)
        self.bundle = search.bundle_terms(booking.bundle)

    def seat(self, seat: Seat) -> SeatView:
        reason = service.seat_restriction(self.booking, self.passenger, seat)
        if seat.code == self.own_seat:
            state = "mine"
        elif seat.code in self.party_seats:
            state, reason = "party", f"Chosen for passenger {self.party_seats[seat.code].position + 1}"
        elif seat.code in self.taken:
            state, reason = "taken", "Already taken"
        elif reason:
            state = "restricted"
        else:
            state = "free"
        return SeatView(seat, state, reason, pricing.seat_price(seat, self.fare, self.bundle))

    def rows(self) -> list[tuple[str, int, list[list[SeatView]]]]:
        """Every seat of the aircraft, front to back, in blocks between the aisles."""
        return [(cabin, row, [[self.seat(seat) for seat in block] for block in blocks])
                for cabin, row, blocks in seat_rows(self.aircraft)]

    def seats(self, codes) -> list[SeatView]:
        by_code = seats_by_code(self.aircraft)
        return [self.seat(by_code[code]) for code in sorted(c for c in codes if c in by_code)]


def seat_tiers(booking: Booking, segment: BookingSegment) -> list[tuple[str, str, int]]:
    """(seat type, its name, its price with this fare and bundle) on this flight, for the legend."""
    fare, bundle = search.fare_terms(booking.fare_family), search.bundle_terms(booking.bundle)
    examples: dict[str, Seat] = {}
    for seat in seats_by_code(segment.flight.aircraft).values():
        if seat.cabin == booking.fare_family.cabin:
            examples.setdefault(seat.seat_type, seat)
    return [(kind, SEAT_TYPE_NAMES[kind], pricing.seat_price(seat, fare, bundle)) for kind, seat in examples.items()]


def changed_seats(before: SeatMapView, after: SeatMapView) -> list[SeatView]:
    """The seats that look different in `after` than in `before` (a handful at most)."""
    changed = []
    for _, _, blocks in seat_rows(after.aircraft):
        for block in blocks:
            for seat in block:
                view = after.seat(seat)
                old = before.seat(seat)
                if (old.state, old.reason) != (view.state, view.reason):
                    changed.append(view)
    return changed


def _seat_for_position(booking: Booking, seat_for: int | None) -> int:
    seated = booking.seated_passengers
    if seat_for is None or seat_for not in {p.position for p in seated}:
        return seated[0].position
    return seat_for


def step_context(booking: Booking, seat_for: int | None = None, errors: dict | None = None,
                 whole_map: bool = True, changed: list[SeatView] | None = None, taken: set[str] | None = None,
                 seat_segment: int | None = None) -> dict:
    """What the page needs; `whole_map=False` spares drawing the map for an answer without it.
    The seat map shown is one flight's (`seat_segment`, the first by default)."""
    seated = booking.seated_passengers
    seat_for = _seat_for_position(booking, seat_for)
    segment = service.segment_at(booking, seat_segment)
    active = SeatMapView(booking, seat_for, segment, taken)
    chosen = next((v for v in active.seats([active.own_seat])), None) if active.own_seat else None
    types = [p.passenger_type for p in booking.passengers]
    fares = search.fare_families_for_trip(service.itinerary_of(booking))
    quote = service.quote_for(booking)
    bundles = search.all_bundles()
    return dict(
        booking=booking, steps=STEPS, current_step="customize.show", quote=quote,
        fares=fares, fare_totals={f.code: service.quote_for(booking, f).total for f in fares},
        bundles=bundles, bundle_party_size=len(seated),
        recommendation=recommendation(booking.international, types),
        seat_for=seat_for, seat_rows=active.rows() if whole_map else [], aircraft=AIRCRAFT[segment.flight.aircraft],
        seat_segment=segment, several_flights=len(booking.segments) > 1,
        seat_tiers=seat_tiers(booking, segment), chosen_seat=chosen, active_passenger=active.passenger, changed_seats=changed or [],
        seat_type_names=SEAT_TYPE_NAMES, seat_cell=seat_cell, seat_map_rows=seat_map_rows, bag_prices=pricing.BAG_PRICES,
        allowance=pricing.included_bags(search.fare_terms(booking.fare_family), search.bundle_terms(booking.bundle)),
        bags_text=pricing.checked_bags, priority_price=pricing.PRIORITY_BOARDING_PRICE, insurance_percent=pricing.INSURANCE_PERCENT,
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
                count = _whole_number(raw)
                if count is None:
                    raise BookingError("Choose a number of bags from the list.", f"bags-{passenger.position}")
                bags[passenger.position] = count
        service.choose_extras(booking, bags=bags, insurance=form_data.get("insurance") == "y",
                              priority_boarding=form_data.get("priority_boarding") == "y")
    if section in ("seat", "all") and ("seat" in form_data or "seat_clear" in form_data):
        try:
            position = int(form_data.get("seat_passenger", ""))
        except ValueError:
            raise BookingError("Choose which passenger this seat is for.", "seat")
        seat = None if form_data.get("seat_clear") else form_data.get("seat") or None
        service.choose_seat(booking, position, seat, segment=_segment(booking).position)


def _whole_number(raw) -> int | None:
    try:
        return parse_int(raw)
    except Unreadable:
        return None


def _seat_for() -> int | None:
    return _whole_number(request.values.get("seat_passenger") or request.args.get("seat_for"))


def _seat_segment() -> int | None:
    """Which flight of the trip the seat map is for (0 = the first)."""
    return _whole_number(request.values.get("seat_segment"))


def _segment(booking: Booking) -> BookingSegment:
    return service.segment_at(booking, _seat_segment())


@bp.get("")
@with_draft
def show():
    booking, seat_for, segment = g.booking, _seat_for(), _segment(g.booking)
    shown_for = _whole_number(request.args.get("shown_for"))
    if is_fragment_request() and shown_for is not None:
        # Switching passenger in the seat map: redraw only the seats that look different to them.
        before = SeatMapView(booking, _seat_for_position(booking, shown_for), segment)
        after = SeatMapView(booking, _seat_for_position(booking, seat_for), segment, before.taken)
        return render_step(TEMPLATE, PASSENGER_SWITCH, **step_context(booking, seat_for, whole_map=False,
                                                                 changed=changed_seats(before, after),
                                                                 taken=before.taken, seat_segment=segment.position))
    # Another flight's map (or the whole page): the seat panel, drawn whole.
    return render_step(TEMPLATE, ["seat_panel"], **step_context(booking, seat_for, seat_segment=segment.position))


@bp.post("")
@with_draft
def save():
    """The no-JS path: save everything, then 303 to where the traveller asked to go."""
    form = CustomizeForm()
    if not form.validate():
        abort(400, "The form had expired. Please try again.")
    try:
        _apply(g.booking, "all", request.form)
    except BookingClosed:
        raise  # with_draft: to the booking page
    except BookingError as err:
        db.session.rollback()
        return render_step(TEMPLATE, **step_context(g.booking, _seat_for(), {err.field or "form": err.message},
                                                    seat_segment=_seat_segment())), 422
    if request.form.get("action") == "continue":
        service.acknowledge_price_change(g.booking)
        return go_to(url_for("passengers.show"))
    return redirect(_back_to_step(), code=303)


def _back_to_step() -> str:
    """The step again; after choosing a seat, at that seat in the map."""
    seat = request.form.get("seat")
    segment = _segment(g.booking)
    anchor = f"seat-{seat}" if seat and find_seat(segment.flight.aircraft, seat) else None
    return url_for("customize.show", seat_for=_seat_for(), seat_segment=segment.position or None, _anchor=anchor)


@bp.post("/<section>")
@with_draft
def save_section(section: str):
    """htmx: save one panel; answer with what it changed, out of band."""
    if section not in SECTIONS:
        abort(404)
    form = CustomizeForm()
    if not form.validate():
        abort(400, "The form had expired. Please reload the page.")
    booking = g.booking
    status, errors = 200, {}
    blocks = SECTIONS[section]
    cabin = booking.fare_family.cabin
    total_before = service.quote_for(booking).total
    segment = _segment(booking)
    before = SeatMapView(booking, _seat_for_position(booking, _seat_for()), segment) if section == "seat" else None
    try:
        _apply(booking, section, request.form)
    except BookingClosed:
        raise  # with_draft: to the booking page
    except BookingError as err:
        db.session.rollback()
        status, errors = 422, {err.field or section: err.message}
    if not is_fragment_request():
        if status == 422:
            return render_step(TEMPLATE, **step_context(booking, _seat_for(), errors, seat_segment=segment.position)), 422
        return redirect(_back_to_step(), code=303)
    if booking.fare_family.cabin != cabin:
        blocks = CABIN_CHANGED  # every seat changes: the new cabin is the one to choose in
    elif section == "fare" and errors:
        blocks = ["fare_panel", "price_summary"]  # puts the radio back on the fare still held
    changed, taken = None, None
    if before is not None:
        taken = before.taken
        changed = changed_seats(before, SeatMapView(booking, _seat_for_position(booking, _seat_for()), segment, taken))
    context = step_context(booking, _seat_for(), errors, whole_map="seat_panel" in blocks, changed=changed, taken=taken,
                           seat_segment=segment.position)
    response = make_response(render_step(TEMPLATE, blocks, **context), status)
    # What a screen reader hears after the change (checkout.js writes it into #announcer).
    announcement = errors.get(next(iter(errors), None)) or total_change(total_before, context["quote"])
    response.headers["HX-Trigger"] = json.dumps({"fly2any:announce": {"text": announcement}})
    return response


def total_change(before: int, quote) -> str:
    """ "Total now $2,124.09 (+$45.00)" """
    now = money(quote.total, quote.currency)
    if quote.total == before:
        return f"Total unchanged: {now}"
    sign = "+" if quote.total > before else "-"
    return f"Total now {now} ({sign}{money(abs(quote.total - before), quote.currency)})"
