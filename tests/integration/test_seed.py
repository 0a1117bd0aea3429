"""The demo catalogue: real airports, local times right across zones and date lines."""
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from checkout.catalog.seed import flight_times
from checkout.extensions import db
from checkout.models import Airport, Flight
from tests.conftest import SEED_DAYS


def test_airports_come_from_airportsdata_with_their_time_zones(app_ctx):
    airports = {a.code: a for a in db.session.execute(select(Airport)).scalars()}
    assert {"JFK", "LAX", "SFO", "ORD", "MIA", "LHR", "CDG", "FRA", "NRT"} <= set(airports)
    assert len(airports) >= 12
    assert airports["NRT"].tz == "Asia/Tokyo" and airports["LHR"].country == "GB"


def test_at_least_two_daily_flights_each_way_on_the_key_routes(app_ctx):
    for origin, destination in (("JFK", "LHR"), ("LHR", "JFK"), ("JFK", "LAX"), ("LAX", "JFK")):
        rows = db.session.execute(select(Flight).where(Flight.origin_code == origin, Flight.destination_code == destination)).scalars().all()
        days = {f.departs_at.astimezone(ZoneInfo(f.origin.tz)).date() for f in rows}
        assert len(days) == SEED_DAYS
        assert len(rows) >= 2 * SEED_DAYS


def test_local_times_across_time_zones_and_the_date_line():
    # A Tokyo evening departure lands in San Francisco on the same calendar morning.
    departs, arrives = flight_times(date(2027, 1, 15), __import__("datetime").time(17, 0), 585, "Asia/Tokyo")
    arrival_local = arrives.astimezone(ZoneInfo("America/Los_Angeles"))
    assert (arrival_local.date(), arrival_local.hour, arrival_local.minute) == (date(2027, 1, 15), 9, 45)
    # A New York evening departure lands in London the next morning, across DST changes too.
    departs, arrives = flight_times(date(2027, 3, 20), __import__("datetime").time(19, 30), 420, "America/New_York")
    assert departs.astimezone(ZoneInfo("America/New_York")).hour == 19
    assert arrives.astimezone(ZoneInfo("Europe/London")).date() == date(2027, 3, 21)


def test_some_seats_are_already_sold_on_every_flight(app_ctx):
    from checkout.models import SeatHold
    per_flight = db.session.execute(
        select(SeatHold.flight_id, func.count()).where(SeatHold.expires_at.is_(None)).group_by(SeatHold.flight_id)
    ).all()
    flights = db.session.execute(select(func.count()).select_from(Flight)).scalar()
    assert len(per_flight) == flights
    assert all(count > 5 for _, count in per_flight)
