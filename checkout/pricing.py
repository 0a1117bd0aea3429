"""The one place that computes a price. Integer minor units throughout, never floats.

`quote()` takes plain values (what was chosen) and returns every line the traveller
pays for, per passenger, with taxes and fees as their own lines. Views, the API, the
review step and the frozen booking total all come through here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

# Share of the adult fare paid by each passenger type (percent).
FARE_SHARE = {"adult": 100, "child": 75, "infant": 10}
# Checked bags bought beyond the allowance: 1st, 2nd, 3rd bag, per passenger per flight.
BAG_PRICES = (3500, 4500, 9900)
PRIORITY_BOARDING_PRICE = 1500  # per seated passenger
# Travel insurance: a share of the passenger's fare, with a floor.
INSURANCE_PERCENT = 5
INSURANCE_MINIMUM = 1900
MAX_CHECKED_BAGS = 3


class SeatTerms(Protocol):
    """What a price needs to know of a seat (the catalogue's seatmaps.Seat has it), so pricing
    depends on no catalogue module, as with FareTerms and BundleTerms."""
    code: str
    seat_type: str  # standard | preferred | extra_legroom | exit | business
    price: int  # minor units, before any fare or bundle allowance


@dataclass(frozen=True)
class TaxRule:
    name: str
    amount: int = 0  # flat, per passenger
    percent_of_fare: int = 0  # tenths of a percent of that passenger's fare
    infants_pay: bool = False


DOMESTIC_TAXES = (
    TaxRule("US transportation tax (7.5%)", percent_of_fare=75, infants_pay=True),
    TaxRule("September 11th security fee", amount=560),
    TaxRule("Passenger facility charge", amount=450),
)
INTERNATIONAL_TAXES = (
    TaxRule("International departure and arrival taxes", amount=4620, infants_pay=True),
    TaxRule("September 11th security fee", amount=560),
    TaxRule("Customs, immigration and agriculture fees", amount=1800),
    TaxRule("Carrier-imposed international surcharge", amount=6500),
)


@dataclass(frozen=True)
class FareTerms:
    """What pricing needs to know of a fare family."""
    code: str
    name: str
    markup_percent: int
    checked_bags: int
    seat_choice: str  # paid | standard | any
    priority_boarding: bool


@dataclass(frozen=True)
class BundleTerms:
    code: str
    name: str
    price: int
    checked_bags: int
    seat_choice: bool
    priority_boarding: bool
    insurance: bool


@dataclass(frozen=True)
class PassengerChoice:
    passenger_type: str
    checked_bags: int = 0  # taken on every slice of the trip
    seat: SeatTerms | None = None  # on a one-flight trip; `seats` names one per segment
    seats: tuple[SeatTerms | None, ...] = ()

    def seat_on(self, segment: int) -> SeatTerms | None:
        if self.seats:
            return self.seats[segment] if segment < len(self.seats) else None
        return self.seat if segment == 0 else None


@dataclass(frozen=True)
class Segment:
    """What a price needs of one flight of a trip. `slice` groups the flights of one
    direction or leg: checked bags are paid once per slice (they are checked through a
    connection), fares, taxes and seats once per flight."""
    base_fare: int
    international: bool
    label: str = ""  # "FA100 JFK→LHR": named in the lines when the trip has several flights
    slice: int = 0
    fare: FareTerms | None = None  # the slice's fare family, when it differs from the trip's


@dataclass(frozen=True)
class PriceLine:
    kind: str  # fare | tax | bundle | bag | seat | priority | insurance
    description: str
    amount: int
    passenger_position: int | None = None


@dataclass
class Quote:
    currency: str
    lines: list[PriceLine] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def taxes(self) -> int:
        return sum(line.amount for line in self.lines if line.kind == "tax")

    def for_passenger(self, position: int) -> int:
        return sum(line.amount for line in self.lines if line.passenger_position == position)

    def by_kind(self, kind: str) -> int:
        return sum(line.amount for line in self.lines if line.kind == kind)


def fare_amount(base_fare: int, fare: FareTerms, passenger_type: str) -> int:
    """One passenger's fare before taxes, rounded half up to the minor unit."""
    numerator = base_fare * (100 + fare.markup_percent) * FARE_SHARE[passenger_type]
    return (numerator + 5000) // 10000


def taxes_for(fare: int, passenger_type: str, international: bool) -> list[tuple[str, int]]:
    rules = INTERNATIONAL_TAXES if international else DOMESTIC_TAXES
    taxes = []
    for rule in rules:
        if passenger_type == "infant" and not rule.infants_pay:
            continue
        amount = rule.amount + (fare * rule.percent_of_fare + 500) // 1000
        taxes.append((rule.name, amount))
    return taxes


def seat_price(seat: SeatTerms, fare: FareTerms, bundle: BundleTerms | None) -> int:
    """What a seat costs after the fare family's and bundle's seat allowance."""
    if fare.seat_choice == "any":
        return 0
    if fare.seat_choice == "standard" and seat.seat_type == "standard":
        return 0
    if bundle is not None and bundle.seat_choice:
        return 0
    return seat.price


def included_bags(fare: FareTerms, bundle: BundleTerms | None) -> int:
    return max(fare.checked_bags, bundle.checked_bags if bundle else 0)


def bag_fees(carry_on: bool, included: int) -> list[tuple[str, int | None]]:
    """What 14 CFR 399.85 asks a fare quote and an e-ticket confirmation to disclose: per
    passenger and slice, the fee of a carry-on bag and of the first and second checked bag.
    0: included; None: not sold with this fare (a personal item only)."""
    fees: list[tuple[str, int | None]] = [("Carry-on bag", 0 if carry_on else None)]
    fees += [(f"{('1st', '2nd')[n]} checked bag", 0 if n < included else BAG_PRICES[n]) for n in range(2)]
    return fees


@dataclass(frozen=True)
class CheckedBags:
    """A passenger's checked bags as the traveller counts them: those the fare (or bundle)
    includes, and those bought on top. The one way bags are told everywhere."""
    included: int
    extra: int

    def __str__(self) -> str:
        if not self.included and not self.extra:
            return "No checked bag"
        return f"{self.included} included + {self.extra} extra"


def checked_bags(bags: int, allowance: int, passenger_type: str) -> CheckedBags:
    """`bags` is the number the passenger takes; the first `allowance` of them are included,
    and the allowance is theirs even when they take fewer. Infants have no bag of their own."""
    if passenger_type == "infant":
        return CheckedBags(0, 0)
    return CheckedBags(allowance, max(0, min(bags, MAX_CHECKED_BAGS) - allowance))


def bag_price(bags: int, allowance: int) -> int:
    """Price of `bags` checked bags when the first `allowance` are included."""
    return sum(BAG_PRICES[n] for n in range(allowance, min(bags, MAX_CHECKED_BAGS)))


def quote(
    *,
    currency: str,
    fare: FareTerms,
    passengers: list[PassengerChoice],
    base_fare: int | None = None,
    international: bool | None = None,
    segments: list[Segment] | None = None,
    bundle: BundleTerms | None = None,
    insurance: bool = False,
    priority_boarding: bool = False,
) -> Quote:
    """Every line the party pays for this trip with these choices.

    A trip is `segments` (one per flight); `base_fare` and `international` alone price a
    one-flight trip. Pure: same inputs, same quote. Infants travel on a lap: no seat, bag,
    bundle or priority boarding of their own. The bundle, priority boarding and insurance
    are bought once per passenger for the whole trip (docs/adr: trips are priced per flight).
    """
    if segments is None:
        if base_fare is None or international is None:
            raise TypeError("quote() needs segments, or base_fare and international")
        segments = [Segment(base_fare, international)]
    several = len(segments) > 1
    first_of_slice: dict[int, Segment] = {}  # bags are paid per slice, by its first flight's fare
    for segment in segments:
        first_of_slice.setdefault(segment.slice, segment)
    result = Quote(currency=currency)
    add = result.lines.append
    for position, pax in enumerate(passengers):
        label = f"Passenger {position + 1} ({pax.passenger_type})"
        fares_paid = 0
        for segment in segments:
            terms = segment.fare or fare
            where = f" {segment.label}" if several and segment.label else ""
            fare_value = fare_amount(segment.base_fare, terms, pax.passenger_type)
            fares_paid += fare_value
            add(PriceLine("fare", f"{terms.name} fare{where}, {label}", fare_value, position))
            for name, amount in taxes_for(fare_value, pax.passenger_type, segment.international):
                add(PriceLine("tax", f"{name}{where}, {label}", amount, position))
        if pax.passenger_type == "infant":
            continue
        if bundle is not None:
            add(PriceLine("bundle", f"{bundle.name} bundle, {label}", bundle.price, position))
        for slice_number, segment in first_of_slice.items():
            allowance = included_bags(segment.fare or fare, bundle)
            bags = bag_price(pax.checked_bags, allowance)
            if bags:
                extra = min(pax.checked_bags, MAX_CHECKED_BAGS) - allowance
                where = f" on slice {slice_number + 1}" if len(first_of_slice) > 1 else ""
                add(PriceLine("bag", f"{extra} extra checked bag{'s' if extra > 1 else ''}{where}, {label}",
                              bags, position))
        for number, segment in enumerate(segments):
            seat = pax.seat_on(number)
            if seat is not None:
                price = seat_price(seat, segment.fare or fare, bundle)
                if price:
                    where = f" on {segment.label}" if several and segment.label else ""
                    add(PriceLine("seat", f"Seat {seat.code}{where}, {label}", price, position))
        if priority_boarding and not fare.priority_boarding and not (bundle and bundle.priority_boarding):
            add(PriceLine("priority", f"Priority boarding, {label}", PRIORITY_BOARDING_PRICE, position))
        if insurance and not (bundle and bundle.insurance):
            premium = max(INSURANCE_MINIMUM, (fares_paid * INSURANCE_PERCENT + 50) // 100)
            add(PriceLine("insurance", f"Travel insurance, {label}", premium, position))
    return result
