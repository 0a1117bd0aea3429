"""Trip search: the flights of each slice (nonstop and one-stop connections built from the
timetable), each priced for the party, the trip's total as slices are chosen one by one,
the lowest price of the days around the date, and the results' filters and sorts.

A page of results costs two queries whatever the trip: one reads every flight the page may
use (the week around each date, from the slice's airports or into its destinations, and the
slices already chosen), one counts the places taken on the flights offered (ADR 0129).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from itertools import product
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import lazyload

from ..extensions import db
from ..models import Airport, FareFamily, Flight
from .availability import places_taken
from .itineraries import MAX_CONNECTION, Itinerary, Slice, connects, parse_offer_id, problem
from .search import FareOffer, Party, all_airports, all_fare_families, fare_families_for_trip, price_itinerary
from .seatmaps import cabin_capacity

STRIP_DAYS = 3  # the price strip shows this many days either side of the date
LONGEST_FLIGHT = timedelta(hours=20)  # bounds how late a connection's second flight may leave
BOARDING = timedelta(hours=1)  # no selling a flight that leaves within the hour


@dataclass(frozen=True)
class Leg:
    """What one slice searches: from any of these airports to any of those, on a local day."""
    origins: tuple[Airport, ...]
    destinations: tuple[Airport, ...]
    day: date

    @property
    def origin_codes(self) -> set[str]:
        return {a.code for a in self.origins}

    @property
    def destination_codes(self) -> set[str]:
        return {a.code for a in self.destinations}

    def window(self, first: date, last: date) -> tuple[datetime, datetime]:
        """UTC bounds of the local days first..last where the slice leaves."""
        zone = ZoneInfo(self.origins[0].tz)  # a city's airports share a time zone
        return (datetime.combine(first, time(0), tzinfo=zone).astimezone(timezone.utc),
                datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone).astimezone(timezone.utc))


@dataclass(frozen=True)
class Layover:
    airport: Airport
    minutes: int


@dataclass
class SliceOffer:
    """One way to fly a slice, priced alone for the party, per fare family sold on all its flights."""
    slice: Slice
    fares: list[FareOffer]

    @property
    def key(self) -> str:
        return "-".join(str(f.id) for f in self.slice.flights)

    @property
    def flights(self) -> tuple[Flight, ...]:
        return self.slice.flights

    @property
    def stops(self) -> int:
        return self.slice.stops

    @property
    def minutes(self) -> int:
        return self.slice.minutes

    @property
    def sold_out(self) -> bool:
        return all(f.sold_out for f in self.fares)

    @property
    def lowest_total(self) -> int | None:
        return min((f.total for f in self.fares if not f.sold_out), default=None)

    @property
    def layovers(self) -> list[Layover]:
        return [Layover(b.origin, int((b.departs_at - a.arrives_at).total_seconds() // 60))
                for a, b in zip(self.flights, self.flights[1:])]

    @property
    def departure_day(self) -> date:
        return self.slice.first.departure_date

    def day_offset(self, flight: Flight) -> int:
        """Days between the slice's departure and this flight's landing, in local dates (+1 overnight)."""
        return (flight.arrives_at.astimezone(ZoneInfo(flight.destination.tz)).date() - self.departure_day).days

    @property
    def arrival_day_offset(self) -> int:
        return self.day_offset(self.slice.last)


@dataclass
class TripOffer:
    """A slice to choose, with the whole trip's price: the slices chosen before it, this one,
    and the cheapest that fits of each slice still to choose."""
    option: SliceOffer
    itinerary: Itinerary | None  # None: no later slice leaves after this one lands
    fares: list[FareOffer] = field(default_factory=list)  # the trip, per fare family

    @property
    def sold_out(self) -> bool:
        return self.itinerary is None or all(f.sold_out for f in self.fares)

    @property
    def lowest_total(self) -> int | None:
        return min((f.total for f in self.fares if not f.sold_out), default=None)


@dataclass(frozen=True)
class DayPrice:
    day: date
    lowest: int | None  # None: nothing to sell that day


@dataclass
class TripPage:
    step: int  # the slice being chosen (0 = the first)
    chosen: list[SliceOffer]
    offers: list[TripOffer]
    strip: list[DayPrice]
    currency: str = "USD"


class ChoiceNotOffered(Exception):
    """The slices said to be chosen are not flights of this search (stale or altered URL)."""


def slices_on(flights: list[Flight], leg: Leg, first: date, last: date, now: datetime) -> list[Slice]:
    """Nonstop flights and one-stop connections for `leg` leaving on local days first..last."""
    start, end = leg.window(first, last)
    start = max(start, now + BOARDING)
    origins, destinations = leg.origin_codes, leg.destination_codes  # sets built once, not per flight
    leaving = [f for f in flights if f.origin_code in origins and start <= f.departs_at < end]
    onward: dict[str, list[Flight]] = {}
    for f in flights:
        if f.destination_code in destinations:
            onward.setdefault(f.origin_code, []).append(f)
    found = []
    for first_flight in leaving:
        if first_flight.destination_code in destinations:
            found.append(Slice((first_flight,)))
        elif first_flight.destination_code not in origins:
            found.extend(Slice((first_flight, second)) for second in onward.get(first_flight.destination_code, ())
                         if connects(first_flight, second))
    return found


def read_timetable(legs: list[tuple[Leg, date, date]], chosen_ids: set[int]) -> list[Flight]:
    """Every flight a page may use, in one query: for each leg, flights leaving its origins on
    its days and flights into its destinations that may follow them; and the chosen flights."""
    conditions = []
    for leg, first, last in legs:
        start, end = leg.window(first, last)
        conditions.append(and_(Flight.origin_code.in_(leg.origin_codes), Flight.departs_at >= start,
                               Flight.departs_at < end))
        conditions.append(and_(Flight.destination_code.in_(leg.destination_codes), Flight.departs_at >= start,
                               Flight.departs_at < end + LONGEST_FLIGHT + MAX_CONNECTION))
    if chosen_ids:
        conditions.append(Flight.id.in_(chosen_ids))
    # Airports are reference rows already in this session (search.all_airports): each flight
    # finds its two by key in the identity map instead of joining them into every row.
    all_airports()
    return list(db.session.execute(
        select(Flight).where(or_(*conditions)).order_by(Flight.departs_at)
        .options(lazyload(Flight.origin), lazyload(Flight.destination))).scalars())


class _Pricer:
    """Prices slices and trips for one party, counting places from one places_taken answer;
    a price is computed once per itinerary and fare family for the page."""

    def __init__(self, party: Party, taken: dict, families: list[FareFamily]):
        self.party, self.taken, self.families = party, taken, families
        self.quotes: dict[tuple[str, str], object] = {}

    def seats_left(self, itinerary: Itinerary, fare: FareFamily) -> int:
        return min(max(cabin_capacity(f.aircraft)[fare.cabin] - self.taken.get((f.id, fare.cabin), 0), 0)
                   for f in itinerary.flights)

    def quote(self, itinerary: Itinerary, fare: FareFamily):
        key = (itinerary.offer_id, fare.code)
        if key not in self.quotes:
            self.quotes[key] = price_itinerary(itinerary, fare, self.party)
        return self.quotes[key]

    def fares(self, itinerary: Itinerary) -> list[FareOffer]:
        offers = []
        for fare in fare_families_for_trip(itinerary, self.families):
            left = self.seats_left(itinerary, fare)
            offers.append(FareOffer(fare, self.quote(itinerary, fare), left, left < self.party.seated))
        return offers

    def slice_offer(self, s: Slice) -> SliceOffer:
        return SliceOffer(s, self.fares(Itinerary((s,))))

    def lowest(self, s: Slice) -> int | None:
        """The slice's lowest price with places for the party, for the strip. A price rises
        with the fare family's markup (pricing.fare_amount; taxes are a share of the fare), so
        the first family by markup with places left is the cheapest: one quote, not four."""
        itinerary = Itinerary((s,))
        for fare in sorted(fare_families_for_trip(itinerary, self.families), key=lambda f: f.markup_percent):
            if self.seats_left(itinerary, fare) >= self.party.seated:
                return self.quote(itinerary, fare).total
        return None


def _cheapest_after(options: list[SliceOffer], after: datetime) -> SliceOffer | None:
    """The cheapest slice (with its lowest price, from _Pricer.lowest) leaving after `after`."""
    fitting = [(s, price) for s, price in options if price is not None and s.first.departs_at > after]
    return min(fitting, key=lambda option: option[1], default=(None, None))[0]


def trip_page(legs: list[Leg], chosen: list[list[int]], party: Party, now: datetime) -> TripPage:
    """The offers for the next slice to choose, each with the trip's total, and the price strip.

    `chosen` holds the flight ids of the slices already chosen, in order (from the URL).
    Raises ChoiceNotOffered when they are not flights this search offers."""
    step = len(chosen)
    if step >= len(legs):
        raise ChoiceNotOffered()
    current = legs[step]
    strip_first, strip_last = current.day - timedelta(days=STRIP_DAYS), current.day + timedelta(days=STRIP_DAYS)
    windows = [(leg, leg.day, leg.day) for leg in legs[step + 1:]]
    windows.append((current, strip_first, strip_last))
    flights = read_timetable(windows, {i for ids in chosen for i in ids})
    by_id = {f.id: f for f in flights}

    chosen_slices = []
    for leg, ids in zip(legs, chosen):
        if any(i not in by_id for i in ids):
            raise ChoiceNotOffered()
        s = Slice(tuple(by_id[i] for i in ids))
        if s.first.origin_code not in leg.origin_codes or s.last.destination_code not in leg.destination_codes \
                or s.first.departure_date != leg.day:
            raise ChoiceNotOffered()
        chosen_slices.append(s)
    if chosen_slices and problem(Itinerary(tuple(chosen_slices))) is not None:
        raise ChoiceNotOffered()

    week = slices_on(flights, current, strip_first, strip_last, now)
    later = [slices_on(flights, leg, leg.day, leg.day, now) for leg in legs[step + 1:]]
    used = {f.id for s in [*chosen_slices, *week, *(s for found in later for s in found)] for f in s.flights}
    pricer = _Pricer(party, places_taken(sorted(used), now), all_fare_families())  # one query for the page

    lowest_by_day: dict[date, list[int]] = {}
    today_options = []
    for s in week:
        day = s.first.departure_date
        if day == current.day:
            today_options.append(pricer.slice_offer(s))
            price = today_options[-1].lowest_total
        else:
            price = pricer.lowest(s)
        if price is not None:
            lowest_by_day.setdefault(day, []).append(price)
    strip = [DayPrice(day, min(lowest_by_day.get(day, ()), default=None))
             for day in (strip_first + timedelta(days=n) for n in range(2 * STRIP_DAYS + 1))]
    # A later slice only counts by its lowest price; a chosen one is shown, not priced alone.
    later_options = [[(s, pricer.lowest(s)) for s in found] for found in later]
    chosen_offers = [SliceOffer(s, []) for s in chosen_slices]

    offers = []
    for option in today_options:
        if chosen_slices and option.slice.first.departs_at <= chosen_slices[-1].last.arrives_at:
            continue  # leaves before the chosen flight lands
        trip = [*chosen_slices, option.slice]
        for options in later_options:
            cheapest = _cheapest_after(options, trip[-1].last.arrives_at)
            if cheapest is None:
                trip = None
                break
            trip.append(cheapest)
        itinerary = Itinerary(tuple(trip)) if trip else None
        offers.append(TripOffer(option, itinerary, pricer.fares(itinerary) if itinerary else []))
    currency = next((f.currency for f in flights), "USD")
    return TripPage(step, chosen_offers, offers, strip, currency)


def nearest_days(leg: Leg, first: date, last: date, now: datetime) -> tuple[date | None, date | None]:
    """The nearest day before and after `leg.day`, within first..last, with a flight or a
    connection for this leg: for a search that found none in its whole week, so the page can
    offer a day that has some. One read of the range's timetable; only ever on that page."""
    flights = read_timetable([(leg, first, last)], set())
    days = {s.first.departure_date for s in slices_on(flights, leg, first, last, now)}
    return (max((d for d in days if d < leg.day), default=None),
            min((d for d in days if d > leg.day), default=None))


def parse_chosen(text: str | None) -> list[list[int]] | None:
    """The slices chosen so far, from the URL's `chosen` ("off_12-13_40"); [] for none, None if unreadable."""
    if not text:
        return []
    return parse_offer_id(text)


# How results can be ordered: the traveller's words, and the key.
SORTS = {"departure": "Departure time", "price": "Lowest price", "duration": "Shortest trip"}


def sort_offers(offers: list[TripOffer], by: str) -> list[TripOffer]:
    """By departure, by the trip's lowest price (what cannot be bought last), or by the slice's duration."""
    if by == "price":
        return sorted(offers, key=lambda o: (o.lowest_total is None, o.lowest_total or 0, o.option.slice.first.departs_at))
    if by == "duration":
        return sorted(offers, key=lambda o: (o.option.minutes, o.option.slice.first.departs_at))
    return sorted(offers, key=lambda o: o.option.slice.first.departs_at)


@dataclass(frozen=True)
class Filters:
    stops: int | None = None  # None: any
    departs_after: int = 0  # local hour at the origin
    departs_before: int = 24
    max_price: int | None = None  # minor units, the trip's lowest total

    def keep(self, offer: TripOffer) -> bool:
        first = offer.option.slice.first
        departs = first.departs_at.astimezone(ZoneInfo(first.origin.tz))
        hour = departs.hour + departs.minute / 60
        if self.stops is not None and offer.option.stops != self.stops:
            return False
        if not self.departs_after <= hour < self.departs_before:
            return False
        if self.max_price is not None and (offer.lowest_total is None or offer.lowest_total > self.max_price):
            return False
        return True

    def apply(self, offers: list[TripOffer]) -> list[TripOffer]:
        return [o for o in offers if self.keep(o)]


# -- whole trips at once (the JSON API) ------------------------------------------------

MAX_TRIP_OFFERS = 50  # a return search lists at most this many outbound × return pairs (ADR 0138)


@dataclass
class WholeTripOffer:
    """One whole itinerary, priced for the party per fare family sold on all its flights."""
    itinerary: Itinerary
    fares: list[FareOffer]


def whole_trips(legs: list[Leg], party: Party, now: datetime, limit: int = MAX_TRIP_OFFERS) -> list[WholeTripOffer]:
    """Every way to fly all of `legs` (nonstop and one-stop slices, each leg on its own day),
    for a client that chooses the whole trip at once. One way: every slice. More legs: the
    combinations that connect in time, the `limit` cheapest by the sum of their slices' lowest
    prices (the ones nobody can buy last), each then priced as one trip. By departure.

    Two queries whatever the trip, like a page of trip_page (read_timetable, places_taken)."""
    flights = read_timetable([(leg, leg.day, leg.day) for leg in legs], set())
    found = [slices_on(flights, leg, leg.day, leg.day, now) for leg in legs]
    used = sorted({f.id for slices in found for s in slices for f in s.flights})
    pricer = _Pricer(party, places_taken(used, now), all_fare_families())
    if len(legs) == 1:
        trips = [Itinerary((s,)) for s in found[0]]
    else:
        options = [[(s, pricer.lowest(s)) for s in slices] for slices in found]
        pairs = []
        for combination in product(*options):
            itinerary = Itinerary(tuple(s for s, _ in combination))
            if problem(itinerary) is None:
                prices = [price for _, price in combination]
                pairs.append((None in prices, sum(p or 0 for p in prices), itinerary))
        pairs.sort(key=lambda p: (p[0], p[1], [s.first.departs_at for s in p[2].slices]))
        trips = [itinerary for _, _, itinerary in pairs[:limit]]
    trips.sort(key=lambda t: [s.first.departs_at for s in t.slices])
    return [WholeTripOffer(t, pricer.fares(t)) for t in trips]
