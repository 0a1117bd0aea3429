"""Which bundle to recommend, learned from past confirmed bookings.

Travellers are grouped by route type (domestic or international) and party (solo,
group of adults, family with children or infants). With enough history in that group
we recommend what it chose most; without it, a stated rule.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

from cachetools import TTLCache, cached
from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import Airport, Booking, BookingStatus, Bundle, Flight, Passenger

MIN_HISTORY = 5
PARTY_WORDS = {"solo": "solo travellers", "group": "groups of adults", "family": "families"}


@dataclass(frozen=True)
class Recommendation:
    bundle_code: str
    reason: str  # in words, shown as the reason
    evidence: str | None = None  # the numbers behind a learned reason, shown smaller


def party_kind(passenger_types: list[str]) -> str:
    if any(t != "adult" for t in passenger_types):
        return "family"
    return "solo" if len(passenger_types) == 1 else "group"


RULES = {
    ("family", True): ("FAMILY", "Families on long flights usually want a bag each and seats together."),
    ("family", False): ("FAMILY", "Travelling with children: a bag each and seats together, for less."),
    ("solo", True): ("COMFORT", "On a long flight, extra legroom, a bag and boarding first make the difference."),
    ("solo", False): ("BUSINESS_TRAVELLER", "Travelling alone on a short trip: board first, sit where you like, insured."),
    ("group", True): ("COMFORT", "On a long flight, extra legroom, a bag and boarding first make the difference."),
    ("group", False): ("FAMILY", "Travelling together: a bag each and seats next to each other."),
}


# A recommendation must suit the party, whatever else such parties bought: a family is offered
# the Family bundle (seats together, a bag each), never "Business traveller" because 18 % of
# families chose it (issue 19). Other parties may be offered any bundle.
FITS = {"family": frozenset({"FAMILY"})}


def recommend(international: bool, passenger_types: list[str]) -> Recommendation:
    kind = party_kind(passenger_types)
    origin, destination = aliased(Airport), aliased(Airport)
    non_adults = (
        select(func.count()).where(Passenger.booking_id == Booking.id, Passenger.passenger_type != "adult")
        .correlate(Booking).scalar_subquery()
    )
    party_size = select(func.count()).where(Passenger.booking_id == Booking.id).correlate(Booking).scalar_subquery()
    booking_kind = case((non_adults > 0, "family"), (party_size == 1, "solo"), else_="group")
    rows = db.session.execute(
        select(Booking.bundle_code, func.count())
        .join(Flight, Flight.id == Booking.flight_id)
        .join(origin, origin.code == Flight.origin_code)
        .join(destination, destination.code == Flight.destination_code)
        .where(
            Booking.status == BookingStatus.CONFIRMED,
            (origin.country != destination.country) if international else (origin.country == destination.country),
            booking_kind == kind,
        )
        .group_by(Booking.bundle_code)
    ).all()
    fits = FITS.get(kind)
    chosen = [(code, n) for code, n in rows if code]
    with_bundle = [(code, n) for code, n in chosen if fits is None or code in fits]
    total = sum(n for _, n in rows)
    if total >= MIN_HISTORY and with_bundle:
        code, count = max(with_bundle, key=lambda row: (row[1], row[0]))
        name = db.session.get(Bundle, code).name
        route = "international" if international else "domestic"
        evidence = f"{count} of {total} recent such bookings chose {name} ({round(100 * count / total)}%)."
        if count < max(n for _, n in chosen):  # not the most chosen: why it suits, not "popular"
            return Recommendation(code, RULES[(kind, international)][1], evidence)
        # Words first ("7 % of solo travellers (4 of 57)" read as a statistic, not a reason);
        # the honest numbers stay, in smaller print.
        return Recommendation(code, f"Popular with {PARTY_WORDS[kind]} on {route} flights like yours.", evidence)
    code, reason = RULES[(kind, international)]
    return Recommendation(code, reason)


RECOMMENDATION_SECONDS = 300


def _recommendation_key(international: bool, passenger_types: list[str]) -> tuple:
    return (str(db.engine.url), international, party_kind(passenger_types))


# 2 route types x 3 party kinds per database. A worker's threads share the cache and a
# TTLCache is not thread-safe on its own: the lock guards it (not the query, so two threads
# missing at once both count, which is harmless).
@cached(TTLCache(maxsize=64, ttl=RECOMMENDATION_SECONDS), key=_recommendation_key, lock=threading.Lock())
def recommendation(international: bool, passenger_types: list[str]) -> Recommendation:
    """recommend(), worked out at most every 5 minutes per process, route type and party kind.

    It counts every confirmed booking like this one: shown on every step-1 page and fragment,
    it would be the heaviest query there, for an answer that moves by a booking at a time.
    """
    return recommend(international, passenger_types)
