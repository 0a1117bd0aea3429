"""Finding airports, the fare families and bundles sold, and pricing a trip for a party
(trips.py builds the offers of a search from these)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import pricing
from .itineraries import Itinerary
from ..extensions import db
from ..models import Airport, Bundle, FareFamily, Flight
from .seatmaps import AIRCRAFT

MAX_PASSENGERS = 9
FEW_SEATS_LEFT = 5


def suggest_airports(text: str, limit: int = 8) -> list[Airport]:
    """Airports whose code is what was typed, or whose city or name contains it.

    Matched in memory against the airports read once per process (a few dozen rows), so
    typing in the From/To fields and every search cost no query."""
    text = (text or "").strip()
    if not text:
        return []
    code, typed = text[:3].upper(), text.lower()
    found = [row for row in _detached(Airport, Airport.code)
             if row.code == code or typed in row.city.lower() or typed in row.name.lower()]
    # An exact code match first: "LAX" should not be buried under "Los Angeles ...".
    found.sort(key=lambda a: (a.code != code, a.city, a.code))
    return [db.session.merge(row, load=False) for row in found[:limit]]


def city_airports(airport: Airport) -> list[Airport]:
    """Every airport we serve in this airport's city (itself included), by code."""
    return [db.session.merge(row, load=False) for row in _detached(Airport, Airport.code)
            if (row.city, row.country) == (airport.city, airport.country)]


def resolve_airports(text: str) -> tuple[list[Airport], list[Airport]]:
    """The airports meant by `text`, or ([], candidates) when it is unclear.

    A code ("JFK", "jfk", "JFK – New York") is that airport alone; a city ("London",
    "tokyo") is every airport of that city; a fragment that only one city's airports match
    ("Lond", "Heathrow") is those airports. Cities with the same name in two countries stay
    apart (airportsdata has a London in Canada)."""
    text = (text or "").strip()
    if len(text) >= 3 and text[:3].isalpha() and (len(text) == 3 or not text[3].isalpha()):
        found = airport(text[:3].upper())
        if found:
            return [found], []
    typed = text.lower()
    city = [row for row in _detached(Airport, Airport.code) if row.city.lower() == typed]
    if city and len({row.country for row in city}) == 1:
        return [db.session.merge(row, load=False) for row in city], []
    candidates = suggest_airports(text)
    if candidates and len({(a.city, a.country) for a in candidates}) == 1:
        return candidates, []
    return [], candidates


def suggested_cities(airports: list[Airport]) -> list[str]:
    """Cities among suggested airports where we serve more than one airport: worth an
    "all airports" choice of their own."""
    cities = []
    for a in airports:
        if a.city not in cities and len(city_airports(a)) > 1:
            cities.append(a.city)
    return cities


def fare_terms(fare: FareFamily) -> pricing.FareTerms:
    return pricing.FareTerms(
        code=fare.code, name=fare.name, markup_percent=fare.markup_percent,
        checked_bags=fare.checked_bags, seat_choice=fare.seat_choice,
        priority_boarding=fare.priority_boarding,
    )


def bundle_terms(bundle: Bundle | None) -> pricing.BundleTerms | None:
    if bundle is None:
        return None
    return pricing.BundleTerms(
        code=bundle.code, name=bundle.name, price=bundle.price, checked_bags=bundle.checked_bags,
        seat_choice=bundle.seat_choice, priority_boarding=bundle.priority_boarding,
        insurance=bundle.insurance,
    )


# Fare families, bundles and airports are seeded reference data: read once per process (and
# database), then handed to each request's session without a query. Changing them needs a
# restart, as a deploy does.
_reference_rows: dict[tuple[str, type], list] = {}
_airports_by_code: dict[str, dict[str, Airport]] = {}


def _detached(model, order_by) -> list:
    key = (str(db.engine.url), model)
    rows = _reference_rows.get(key)
    if rows is None:
        with Session(db.engine) as reader:  # its own session: the rows leave it detached
            rows = list(reader.execute(select(model).order_by(order_by)).scalars())
            reader.expunge_all()
        if rows:  # an empty catalogue is not cached (the seed has not run yet)
            _reference_rows[key] = rows
    return rows


def _reference(model, order_by) -> list:
    # merge(load=False) attaches a copy to this request's session without reading the row again.
    return [db.session.merge(row, load=False) for row in _detached(model, order_by)]


def airport(code: str) -> Airport | None:
    """The airport with this code, or None; no query once the airports have been read.

    Every search resolved its two airports with a query each (docs/PERFORMANCE.md)."""
    key = str(db.engine.url)
    by_code = _airports_by_code.get(key)
    if by_code is None:
        by_code = {row.code: row for row in _detached(Airport, Airport.code)}
        if by_code:
            _airports_by_code[key] = by_code
    row = by_code.get(code)
    return db.session.merge(row, load=False) if row is not None else None


def all_airports() -> list[Airport]:
    """Every airport we serve, in this request's session without a query (reference data)."""
    return _reference(Airport, Airport.code)


def all_fare_families() -> list[FareFamily]:
    return _reference(FareFamily, FareFamily.rank)


def all_bundles() -> list[Bundle]:
    """Every bundle, cheapest first."""
    return _reference(Bundle, Bundle.price)


def fare_families_for(flight: Flight, fares: list[FareFamily] | None = None) -> list[FareFamily]:
    """Fare families sold on this flight: Business only where the aircraft has that cabin."""
    cabins = {cabin for cabin, _, _ in AIRCRAFT[flight.aircraft].cabins}
    return [f for f in (fares if fares is not None else all_fare_families()) if f.cabin in cabins]


@dataclass(frozen=True)
class Party:
    adults: int = 1
    children: int = 0
    infants: int = 0

    def passenger_types(self) -> list[str]:
        return ["adult"] * self.adults + ["child"] * self.children + ["infant"] * self.infants

    @property
    def size(self) -> int:
        return self.adults + self.children + self.infants

    @property
    def seated(self) -> int:
        """Passengers who need a seat: infants travel on a lap."""
        return self.adults + self.children

    def problems(self) -> dict[str, str]:
        errors = {}
        if not 1 <= self.adults <= MAX_PASSENGERS:
            errors["adults"] = f"Choose between 1 and {MAX_PASSENGERS} adults."
        if not 0 <= self.children <= MAX_PASSENGERS:
            errors["children"] = "Choose how many children are travelling."
        if self.infants < 0 or self.infants > self.adults:
            errors["infants"] = "Each infant travels on an adult's lap: no more infants than adults."
        if self.adults + self.children > MAX_PASSENGERS:
            errors["children"] = f"We can book up to {MAX_PASSENGERS} seated passengers at once."
        return errors


@dataclass
class FareOffer:
    fare_family: FareFamily
    quote: pricing.Quote
    seats_left: int  # free places in this fare's cabin right now
    sold_out: bool  # fewer places left than the party needs: not selectable

    @property
    def total(self) -> int:
        return self.quote.total

    @property
    def few_left(self) -> bool:
        """Worth telling the traveller: only a handful of seats left in the cabin."""
        return not self.sold_out and self.seats_left <= FEW_SEATS_LEFT


def segments_of(itinerary: Itinerary) -> list[pricing.Segment]:
    """What pricing needs of each flight of a trip, at today's fares."""
    return [pricing.Segment(f.base_fare, f.international, f.label, number)
            for number, s in enumerate(itinerary.slices) for f in s.flights]


def price_itinerary(itinerary: Itinerary, fare: FareFamily, party: Party) -> pricing.Quote:
    """The whole trip's full-fare-advertising price: every flight, passenger and tax, no extras."""
    return pricing.quote(
        segments=segments_of(itinerary), currency=itinerary.slices[0].first.currency,
        fare=fare_terms(fare), passengers=[pricing.PassengerChoice(t) for t in party.passenger_types()],
    )


def fare_families_for_trip(itinerary: Itinerary, fares: list[FareFamily] | None = None) -> list[FareFamily]:
    """Fare families sold on every flight of the trip (Business only where each aircraft has it)."""
    sold = fares if fares is not None else all_fare_families()
    for flight in itinerary.flights:
        sold = fare_families_for(flight, sold)
    return sold
