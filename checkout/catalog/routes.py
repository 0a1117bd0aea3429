"""Search pages: the form, results, airport look-up and selecting a flight."""
from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, render_template, request, session, url_for
from werkzeug.datastructures import MultiDict

from .. import monitoring, pricing
from ..bookings import service
from ..bookings.service import BookingError, CabinFull
from ..clock import utcnow
from ..models import FunnelStage
from ..presentation import go_to, render_step
from .forms import FilterForm, SearchForm, bookable_days
from .itineraries import itinerary_for_offer
from .search import Party, all_fare_families, city_airports, suggest_airports, suggested_cities
from .trips import SORTS, ChoiceNotOffered, TripPage, nearest_days, parse_chosen, sort_offers, trip_page

bp = Blueprint("catalog", __name__)


@bp.get("/")
def home():
    form = SearchForm(request.args if request.args else None)
    return render_template("catalog/search.html", form=form, page=None, searched=False)


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico on their own; the icon itself lives in static/."""
    return current_app.send_static_file("favicon.ico")


@bp.get("/flights")
def flights():
    """Results for a search, one slice at a time: the outbound, then the return (or each
    multi-city flight), the slices already chosen in the URL's `chosen`. With htmx, only the
    results block; otherwise the full page."""
    form = SearchForm(request.args)
    if not form.validate():
        # 422, and the form keeps what was typed.
        return render_step("catalog/search.html", ["results", "search_form"], form=form, page=None,
                           searched=False), 422
    filters = FilterForm(request.args)
    status = 200 if filters.validate() else 422  # a bad filter: its message, the results unfiltered
    notice = None
    chosen = parse_chosen(request.args.get("chosen"))
    try:
        if chosen is None:
            raise ChoiceNotOffered()
        page = trip_page([leg for leg, _ in form.trip_legs()], chosen, form.party(), utcnow())
    except ChoiceNotOffered:
        page = trip_page([leg for leg, _ in form.trip_legs()], [], form.party(), utcnow())
        notice, status = "The flight you chose is no longer offered. Please choose again.", 422
    if page.step == 0:  # choosing the return is the same search, not another one
        monitoring.record_stage(FunnelStage.SEARCH)
        if page.offers:
            monitoring.record_stage(FunnelStage.RESULTS_VIEWED)
    return _results(form, filters, page, notice), status


FILTER_NAMES = ("stops", "departs_after", "departs_before", "max_price")


def _search_url(pairs: list[tuple[str, str]]) -> str:
    return url_for("catalog.flights") + "?" + urlencode(pairs)


def _results(form: SearchForm, filters: FilterForm, page: TripPage, notice: str | None = None) -> str:
    """The results page (or its block for htmx) for a validated search: the one renderer, so
    the search and the sold-out answer cannot drift apart in what the template needs."""
    sort = request.args.get("sort") if request.args.get("sort") in SORTS else "departure"
    offers = page.offers
    if not filters.errors:
        offers = filters.filters().apply(offers)
    offers = sort_offers(offers, sort)
    legs = form.trip_legs()
    leg, date_name = legs[page.step]
    state = form.state()
    chosen_keys = [o.key for o in page.chosen]
    filtered = [(name, request.args[name]) for name in FILTER_NAMES if request.args.get(name)]

    def with_chosen(keys: list[str]) -> list[tuple[str, str]]:
        return state + ([("chosen", "off_" + "_".join(keys))] if keys else [])

    # A day may be searched for this slice from today, and neither before the flight chosen
    # before it nor after the next one's date; the strip's other days are not links.
    first = max(date.today(), legs[page.step - 1][0].day) if page.step else date.today()
    last = legs[page.step + 1][0].day if page.step + 1 < len(legs) else bookable_days()[1]

    def day_url(day: date, extra: list[tuple[str, str]]) -> str:
        """This search, for this slice on `day`, with the slices chosen so far."""
        pairs = [(n, day.isoformat() if n == date_name else v) for n, v in with_chosen(chosen_keys)]
        return _search_url(pairs + extra + [("sort", sort)])

    strip = [(day_price, day_url(day_price.day, filtered) if first <= day_price.day <= last else None)
             for day_price in page.strip]
    # Nothing in the whole week: the nearest days that have flights, before and after, as links.
    nearest = []
    if not page.offers and not any(day_price.lowest is not None for day_price in page.strip):
        nearest = [(day, day_url(day, [])) for day in nearest_days(leg, first, last, utcnow()) if day is not None]
    # Nothing found from or to one airport of a city we serve at several: offer the whole city.
    wider = []
    if not page.offers and page.step == 0:
        for name, airports in (("origin", leg.origins), ("destination", leg.destinations)):
            city = city_airports(airports[0])
            if len(airports) == 1 and len(city) > 1:
                pairs = [(n, airports[0].city if n == name else v) for n, v in state]
                wider.append((airports[0].city, _search_url(pairs)))
    return render_step(
        "catalog/search.html", ["results"], wider=wider, nearest=nearest, bag_fees=_bag_fees(), form=form, filters=filters, page=page, offers=offers, searched=True,
        party=form.party(), leg=leg, legs=[leg for leg, _ in legs], sort=sort, sorts=SORTS, notice=notice,
        strip=strip, state=with_chosen(chosen_keys), next_state=with_chosen,
        change_urls=[_search_url(with_chosen(chosen_keys[:n]) + [("sort", sort)]) for n in range(len(chosen_keys))],
        last_step=page.step == len(legs) - 1, chosen_keys=chosen_keys)


def _bag_fees() -> list[tuple[str, list]]:
    """Each fare family's bag fees, for the notice 14 CFR 399.85(b) asks of the first page
    quoting a fare: that bag fees may apply, and where to see them."""
    return [(fare.name, pricing.bag_fees(fare.carry_on, fare.checked_bags)) for fare in all_fare_families()]


@bp.get("/airports/suggest")
def airport_suggestions():
    """<option>s for the From/To datalist as the traveller types."""
    # The field's own name and value: origin, destination, or a multi-city flight's legs-N-origin.
    text = next((value for value in request.args.values() if value), "")
    airports = suggest_airports(text) if len(text.strip()) >= 2 else []
    return render_template("catalog/_airport_options.html", airports=airports, cities=suggested_cities(airports))


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
    page = trip_page([leg for leg, _ in form.trip_legs()], [], party, utcnow())
    return _results(form, FilterForm(MultiDict()), page, notice=message)
