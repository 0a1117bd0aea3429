"""Pricing: integer minor units, every line a traveller pays, allowances applied once."""
from checkout import pricing
from checkout.catalog.seatmaps import find_seat

BASIC = pricing.FareTerms("BASIC", "Basic", 0, 0, "paid", False)
STANDARD = pricing.FareTerms("STANDARD", "Standard", 25, 1, "standard", False)
BUSINESS = pricing.FareTerms("BUSINESS", "Business", 250, 2, "any", True)
COMFORT = pricing.BundleTerms("COMFORT", "Comfort", 5900, 1, True, True, False)
TRAVELLER = pricing.BundleTerms("BUSINESS_TRAVELLER", "Business traveller", 7900, 1, True, True, True)


def quote(**kwargs):
    args = dict(base_fare=41900, currency="USD", international=True, fare=BASIC,
                passengers=[pricing.PassengerChoice("adult")])
    args.update(kwargs)
    return pricing.quote(**args)


def test_fare_shares_by_passenger_type_round_half_up():
    assert pricing.fare_amount(41900, BASIC, "adult") == 41900
    assert pricing.fare_amount(41900, STANDARD, "adult") == 52375
    assert pricing.fare_amount(41900, BASIC, "child") == 31425
    assert pricing.fare_amount(41900, BASIC, "infant") == 4190
    assert pricing.fare_amount(15901, STANDARD, "child") == 14907  # 14907.1875 rounds down
    assert pricing.fare_amount(1, STANDARD, "adult") == 1  # 1.25 -> 1


def test_international_adult_pays_fare_and_every_tax_line():
    q = quote()
    assert [line.kind for line in q.lines] == ["fare", "tax", "tax", "tax", "tax"]
    assert q.total == 41900 + 4620 + 560 + 1800 + 6500
    assert q.taxes == 4620 + 560 + 1800 + 6500
    assert all(isinstance(line.amount, int) for line in q.lines)


def test_domestic_percentage_tax_is_on_the_fare():
    q = quote(international=False, base_fare=15900)
    taxes = {line.description.split(",")[0]: line.amount for line in q.lines if line.kind == "tax"}
    assert taxes == {"US transportation tax (7.5%)": 1193, "September 11th security fee": 560,
                     "Passenger facility charge": 450}


def test_infant_pays_no_seat_bag_bundle_or_flat_security_fees():
    q = quote(passengers=[pricing.PassengerChoice("adult"),
                          pricing.PassengerChoice("infant", checked_bags=2, seat=find_seat("B789", "22A"))],
              bundle=COMFORT)
    infant_kinds = [line.kind for line in q.lines if line.passenger_position == 1]
    assert infant_kinds == ["fare", "tax"]
    assert q.for_passenger(1) == 4190 + 4620


def test_bags_beyond_the_allowance_are_charged_in_order():
    assert pricing.bag_price(0, 0) == 0
    assert pricing.bag_price(1, 0) == 3500
    assert pricing.bag_price(2, 0) == 8000
    assert pricing.bag_price(2, 1) == 4500
    assert pricing.bag_price(1, 2) == 0
    q = quote(fare=STANDARD, passengers=[pricing.PassengerChoice("adult", checked_bags=2)])
    assert q.by_kind("bag") == 4500


def test_bundle_bag_and_fare_bag_allowances_do_not_add_up():
    assert pricing.included_bags(STANDARD, COMFORT) == 1
    assert pricing.included_bags(BUSINESS, COMFORT) == 2


def test_seat_prices_follow_fare_and_bundle_allowance():
    standard_seat, legroom_seat = find_seat("A321", "20A"), find_seat("A321", "1A")
    assert pricing.seat_price(standard_seat, BASIC, None) == 1800
    assert pricing.seat_price(standard_seat, STANDARD, None) == 0
    assert pricing.seat_price(legroom_seat, STANDARD, None) == 4900
    assert pricing.seat_price(legroom_seat, STANDARD, COMFORT) == 0
    assert pricing.seat_price(find_seat("B789", "2A"), BUSINESS, None) == 0


def test_priority_and_insurance_are_not_charged_twice():
    q = quote(priority_boarding=True, insurance=True)
    assert q.by_kind("priority") == 1500
    assert q.by_kind("insurance") == max(1900, (41900 * 5 + 50) // 100)
    q = quote(priority_boarding=True, insurance=True, bundle=TRAVELLER)
    assert q.by_kind("priority") == 0 and q.by_kind("insurance") == 0
    assert quote(fare=BUSINESS, priority_boarding=True).by_kind("priority") == 0


def test_insurance_has_a_floor():
    q = quote(base_fare=6900, international=False, insurance=True)
    assert q.by_kind("insurance") == 1900


def test_per_passenger_amounts_add_up_to_the_total():
    q = quote(passengers=[pricing.PassengerChoice("adult", 1, find_seat("B789", "20A")),
                          pricing.PassengerChoice("child", 2), pricing.PassengerChoice("infant")],
              bundle=COMFORT, insurance=True)
    assert sum(q.for_passenger(i) for i in range(3)) == q.total


# --- trips: a quote over several flights -------------------------------------------------

class SimpleSeat:
    def __init__(self, code, seat_type, price):
        self.code, self.seat_type, self.price = code, seat_type, price

def _trip_segments():
    return [
        pricing.Segment(40000, True, "FA100 JFK→LHR", slice=0),
        pricing.Segment(10000, True, "FA150 LHR→CDG", slice=0),
        pricing.Segment(39000, True, "FA151 CDG→LHR", slice=1),
    ]


def test_a_trip_pays_each_flights_fare_and_taxes_and_names_the_flight():
    q = pricing.quote(segments=_trip_segments(), currency="USD", fare=STANDARD,
                      passengers=[pricing.PassengerChoice("adult")])
    fares = [l for l in q.lines if l.kind == "fare"]
    assert [l.amount for l in fares] == [50000, 12500, 48750]
    assert "FA150 LHR→CDG" in fares[1].description
    single = [pricing.quote(base_fare=s.base_fare, international=True, currency="USD", fare=STANDARD,
                            passengers=[pricing.PassengerChoice("adult")]).total for s in _trip_segments()]
    assert q.total == sum(single)  # a trip costs what its flights cost, taxes included


def test_bags_are_paid_once_per_slice_and_seats_once_per_flight():
    seat = SimpleSeat("14A", "preferred", 2500)
    pax = pricing.PassengerChoice("adult", checked_bags=2, seats=(seat, None, seat))
    q = pricing.quote(segments=_trip_segments(), currency="USD", fare=STANDARD, passengers=[pax])
    assert [l.amount for l in q.lines if l.kind == "bag"] == [4500, 4500]  # 2nd bag, two slices
    assert [l.amount for l in q.lines if l.kind == "seat"] == [2500, 2500]
    assert "on FA151 CDG→LHR" in [l for l in q.lines if l.kind == "seat"][1].description
