"""The demo catalogue's definitions: airports we serve, timetable, fare families, bundles."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import time

AIRPORT_CODES = (
    "JFK", "LGA", "LAX", "SFO", "ORD", "MIA", "BOS", "YYZ",  # North America
    "LHR", "LGW", "LCY", "STN", "LTN", "CDG", "ORY", "FRA", "AMS",  # Europe
    "NRT", "HND", "SIN",  # Asia
)
# A city name searches every airport of that city (airportsdata's city field): "London" is
# LHR, LGW, LCY, STN and LTN; "Paris" CDG and ORY; "Tokyo" NRT and HND; "New York" JFK and LGA.


@dataclass(frozen=True)
class ScheduledFlight:
    flight_number: str
    origin: str
    destination: str
    departs_local: time  # at the origin, in its own time zone
    minutes: int  # block time
    aircraft: str
    base_fare: int  # Basic adult fare before taxes, minor units (USD)


TIMETABLE = (
    ScheduledFlight("FA100", "JFK", "LHR", time(8, 15), 415, "B789", 41900),
    ScheduledFlight("FA104", "JFK", "LHR", time(19, 30), 420, "B789", 38900),
    ScheduledFlight("FA101", "LHR", "JFK", time(11, 0), 485, "B789", 40900),
    ScheduledFlight("FA105", "LHR", "JFK", time(16, 40), 490, "B789", 37900),
    # London-Paris shuttles, timed so JFK->CDG (no nonstop) connects at LHR both ways:
    # FA100 lands 20:10 and FA104 07:30 London time; FA151 and FA153 meet FA101 and FA105.
    ScheduledFlight("FA150", "LHR", "CDG", time(21, 45), 75, "A321", 8900),
    ScheduledFlight("FA152", "LHR", "CDG", time(9, 30), 75, "A321", 9900),
    ScheduledFlight("FA151", "CDG", "LHR", time(7, 0), 75, "A321", 8900),
    ScheduledFlight("FA153", "CDG", "LHR", time(13, 30), 75, "A321", 9900),
    ScheduledFlight("FA200", "JFK", "LAX", time(7, 0), 380, "A321", 15900),
    ScheduledFlight("FA204", "JFK", "LAX", time(17, 30), 385, "B789", 17900),
    ScheduledFlight("FA201", "LAX", "JFK", time(9, 30), 325, "A321", 15400),
    ScheduledFlight("FA205", "LAX", "JFK", time(22, 15), 320, "A321", 12900),
    # More routes, timed so connections are plentiful (each pair below is within the
    # connection rules of catalog/itineraries.py, unless it says otherwise):
    # JFK->Paris also via LGW (FA110 lands 05:50, FA160 leaves 08:15) and ORD (FA620, FA400).
    ScheduledFlight("FA110", "JFK", "LGW", time(18, 0), 410, "B789", 36900),
    ScheduledFlight("FA111", "LGW", "JFK", time(12, 0), 480, "B789", 35900),
    ScheduledFlight("FA160", "LGW", "ORY", time(8, 15), 70, "A321", 7900),
    ScheduledFlight("FA161", "ORY", "LGW", time(8, 30), 70, "A321", 7900),
    # JFK->FRA via LHR: FA104 lands 07:30 (06:30 in the weeks the US and UK change clocks apart);
    # FA170 at 07:55 is always too soon (under 90 min), FA172 at 12:00 always fits.
    ScheduledFlight("FA170", "LHR", "FRA", time(7, 55), 95, "A321", 9400),
    ScheduledFlight("FA172", "LHR", "FRA", time(12, 0), 95, "A321", 10400),
    ScheduledFlight("FA171", "FRA", "LHR", time(7, 10), 105, "A321", 9400),
    ScheduledFlight("FA180", "STN", "AMS", time(7, 0), 65, "A321", 6900),
    ScheduledFlight("FA181", "AMS", "STN", time(19, 0), 70, "A321", 6900),
    # New York->Tokyo via SFO (FA210 lands 11:00, FA300 leaves 13:00); back via SFO overnight.
    ScheduledFlight("FA210", "JFK", "SFO", time(7, 30), 390, "B789", 16900),
    ScheduledFlight("FA211", "SFO", "JFK", time(15, 30), 330, "B789", 16400),
    # Chicago as a domestic hub: FA801 lands 13:45, FA621 leaves 15:00 (75 min >= 60).
    ScheduledFlight("FA620", "JFK", "ORD", time(13, 0), 165, "A321", 10900),
    ScheduledFlight("FA621", "ORD", "JFK", time(15, 0), 140, "A321", 10900),
    ScheduledFlight("FA630", "LGA", "ORD", time(7, 0), 160, "A321", 9900),
    ScheduledFlight("FA631", "ORD", "LGA", time(18, 30), 135, "A321", 9900),
    ScheduledFlight("FA300", "SFO", "NRT", time(13, 0), 690, "B789", 62900),
    ScheduledFlight("FA301", "NRT", "SFO", time(17, 0), 585, "B789", 61900),
    ScheduledFlight("FA310", "LAX", "HND", time(11, 20), 700, "B789", 64900),
    ScheduledFlight("FA311", "HND", "LAX", time(19, 10), 600, "B789", 63900),
    ScheduledFlight("FA320", "SFO", "SIN", time(23, 30), 1000, "B789", 79900),
    ScheduledFlight("FA400", "ORD", "CDG", time(17, 45), 495, "B789", 44900),
    ScheduledFlight("FA401", "CDG", "ORD", time(10, 30), 555, "B789", 43900),
    ScheduledFlight("FA500", "MIA", "FRA", time(18, 0), 570, "B789", 46900),
    ScheduledFlight("FA501", "FRA", "MIA", time(9, 45), 650, "B789", 45900),
    ScheduledFlight("FA520", "BOS", "AMS", time(20, 10), 415, "B789", 39900),
    ScheduledFlight("FA521", "AMS", "BOS", time(12, 5), 480, "B789", 38900),
    ScheduledFlight("FA600", "JFK", "MIA", time(6, 45), 190, "A321", 9900),
    ScheduledFlight("FA601", "MIA", "JFK", time(15, 20), 185, "A321", 9900),
    ScheduledFlight("FA700", "LAX", "SFO", time(8, 0), 85, "A321", 6900),
    ScheduledFlight("FA701", "SFO", "LAX", time(18, 0), 85, "A321", 6900),
    ScheduledFlight("FA800", "ORD", "LAX", time(12, 0), 270, "A321", 14900),
    ScheduledFlight("FA801", "LAX", "ORD", time(7, 30), 255, "A321", 14900),
    ScheduledFlight("FA900", "YYZ", "JFK", time(8, 30), 95, "A321", 11900),
    ScheduledFlight("FA901", "JFK", "YYZ", time(18, 15), 100, "A321", 11900),
)

FARE_FAMILIES = (
    dict(code="BASIC", name="Basic", rank=1, markup_percent=0, cabin="economy", refundable=False,
         refund_fee=0, changeable=False, change_fee=0, carry_on=False, checked_bags=0,
         seat_choice="paid", priority_boarding=False),
    dict(code="STANDARD", name="Standard", rank=2, markup_percent=25, cabin="economy",
         refundable=False, refund_fee=0, changeable=True, change_fee=7500, carry_on=True,
         checked_bags=1, seat_choice="standard", priority_boarding=False),
    dict(code="FLEX", name="Flex", rank=3, markup_percent=60, cabin="economy", refundable=True,
         refund_fee=0, changeable=True, change_fee=0, carry_on=True, checked_bags=1,
         seat_choice="standard", priority_boarding=True),
    dict(code="BUSINESS", name="Business", rank=4, markup_percent=250, cabin="business",
         refundable=True, refund_fee=0, changeable=True, change_fee=0, carry_on=True,
         checked_bags=2, seat_choice="any", priority_boarding=True),
)

BUNDLES = (
    dict(code="COMFORT", name="Comfort", price=5900, checked_bags=1, seat_choice=True,
         priority_boarding=True, insurance=False,
         description="A checked bag, any standard or extra-legroom seat, and priority boarding."),
    dict(code="FAMILY", name="Family", price=3900, checked_bags=1, seat_choice=True,
         priority_boarding=False, insurance=False,
         description="A checked bag and a free seat choice, so your party sits together."),
    dict(code="BUSINESS_TRAVELLER", name="Business traveller", price=7900, checked_bags=1,
         seat_choice=True, priority_boarding=True, insurance=True,
         description="Priority boarding, any seat, a checked bag and travel insurance."),
)
