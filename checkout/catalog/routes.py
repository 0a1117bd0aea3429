"""Search pages: the form, results, airport look-up and selecting a flight."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request, session, url_for
from werkzeug.datastructures import MultiDict

from .. import monitoring
from ..bookings import service
from ..bookings.service import BookingError, CabinFull
from ..clock import utcnow
from ..models import FunnelStage
from ..presentation import go_to, render_step
from .forms import SearchForm
from .itineraries import itinerary_for_offer
from .search import SORTS, Party, route_is_flown, search_flights, sort_offers, suggest_airports

bp = Blueprint("catalog", __name__)


@bp.get("/")
def home():
    form = SearchForm(request.args if request.args else None)
    return render_template("catalog/search.html", form=form, offers=None, searched=False)


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico on their own; the icon itself lives in static/."""
    return current_app.send_static_file("favicon.ico")


@bp.get("/flights")
def flights():
    """Results for a search. With htmx, only the results block; otherwise the full page."""
    form = SearchForm(request.args)
    if not form.validate():
        # 422, and the form keeps what was typed.
        return render_step("catalog/search.html", ["results", "search_form"], form=form, offers=None,
                           searched=False), 422
    sort = request.args.get("sort") if request.args.get("sort") in SORTS else "departure"
    offers = sort_offers(search_flights(form.origin_airport.code, form.destination_airport.code, form.date.data,
                                        form.party(), now=utcnow()), sort)
    monitoring.record_stage(FunnelStage.SEARCH)
    if offers:
        monitoring.record_stage(FunnelStage.RESULTS_VIEWED)
    return _results(form, offers, sort)


def _results(form: SearchForm, offers: list, sort: str, notice: str | None = None) -> str:
    """The results page (or its block for htmx) for a validated search: the one renderer, so
    the search and the sold-out answer cannot drift apart in what the template needs."""
    flown = bool(offers) or route_is_flown(form.origin_airport.code, form.destination_airport.code)
    return render_step("catalog/search.html", ["results"], form=form, offers=offers, searched=True,
                       party=form.party(), origin=form.origin_airport, destination=form.destination_airport,
                       sort=sort, sorts=SORTS, route_flown=flown, notice=notice)


@bp.get("/airports/suggest")
def airport_suggestions():
    """<option>s for the From/To datalist as the traveller types."""
    text = request.args.get("origin") or request.args.get("destination") or request.args.get("q", "")
    airports = suggest_airports(text) if len(text.strip()) >= 2 else []
    return render_template("catalog/_airport_options.html", airports=airports)


@bp.post("/select")
def select():
    """Start a draft booking for the chosen flight and party, then go to step 1."""
    itinerary = itinerary_for_offer(request.form.get("offer_id", ""))
    if itinerary is None:
        abort(404, "That flight is no longer offered. Please search again.")
    try:
        party = Party(int(request.form.get("adults", 1)), int(request.form.get("children", 0)),
                      int(request.form.get("infants", 0)))
    except ValueError:
        abort(400, "The number of passengers was not understood. Please search again.")
    try:
        booking = service.create_draft(itinerary, party, fare_family_code=request.form.get("fare_family") or None)
    except CabinFull as err:
        return _sold_out(itinerary.slices[0], party, err.message), 409
    except BookingError as err:
        abort(422, err.message)
    session.regenerate()  # the draft will hold names and passports: not for a cookie planted before it
    session["draft_id"] = booking.id
    monitoring.record_stage(FunnelStage.BOOKING_STARTED, booking_id=booking.id)
    return go_to(url_for("customize.show"))


def _sold_out(leg, party: Party, message: str) -> str:
    """The first leg's results of the day again, with why the chosen trip could not be booked."""
    flight, destination = leg.first, leg.last.destination_code
    form = SearchForm(MultiDict({
        "origin": flight.origin_code, "destination": destination,
        "date": flight.departure_date.isoformat(), "adults": str(party.adults), "children": str(party.children),
        "infants": str(party.infants),
    }))
    form.validate()
    offers = search_flights(flight.origin_code, destination, flight.departure_date, party, now=utcnow())
    return _results(form, offers, "departure", notice=message)
