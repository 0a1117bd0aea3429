"""A full cabin, as a traveller and an API client see it: "Sold out", and a clear refusal.

Cabins are filled programmatically from checkout's own seat map (see capacity_support);
no seat code is written here.
"""
import re
from datetime import date, timedelta

from sqlalchemy import func, select, update

from checkout.bookings.acknowledgements import ACKNOWLEDGEMENTS
from checkout.extensions import db
from checkout.models import Booking, SeatHold
from tests.capacity_support import cabins, flight_on, free_seats  # noqa: F401 (a fixture)
from tests.conftest import travel_day

ROUTE = {"origin": "SFO", "destination": "NRT"}  # FA300 only, a 787-9: business and economy
ECONOMY = ("Basic", "Standard", "Flex")


def bookings_count() -> int:
    return db.session.execute(select(func.count()).select_from(Booking)).scalar()


def test_results_show_a_full_cabin_as_sold_out_for_the_party(checkout, app, cabins):
    with app.app_context():
        flight = flight_on("FA300")
        cabins.fill(flight, "economy", leave=1)
    html = checkout.search(**ROUTE, adults=2).get_data(as_text=True)
    for name in ECONOMY:  # one place left is not enough for two
        assert re.search(rf"{name} <strong>Sold out</strong>", html), name
    assert not re.search(r"Business <strong>Sold out</strong>", html)
    assert ">Select</button>" in html  # Business can still be bought
    # One traveller still fits in Economy.
    html = checkout.search(**ROUTE, adults=1).get_data(as_text=True)
    assert "Sold out" not in html
    with app.app_context():
        cabins.fill(flight_on("FA300"), "business", leave=0)
    html = checkout.search(**ROUTE, adults=2).get_data(as_text=True)
    assert ">Select</button>" not in html and "Sold out" in html
    assert re.search(r"Business <strong>Sold out</strong>", html)


def test_api_offers_say_sold_out_and_seats_left_per_fare(client, app, cabins):
    with app.app_context():
        flight = flight_on("FA300")
        cabins.fill(flight, "economy", leave=1)
        business_left = len(free_seats(flight, "business"))
    body = client.get(f"/api/flights?origin=SFO&destination=NRT&date={travel_day()}&adults=2").get_json()
    fares = {f["fareFamily"]: f for f in body["offers"][0]["fares"]}
    for code in ("BASIC", "STANDARD", "FLEX"):
        assert (fares[code]["soldOut"], fares[code]["seatsLeft"]) == (True, 1)
    assert (fares["BUSINESS"]["soldOut"], fares["BUSINESS"]["seatsLeft"]) == (False, business_left)
    # The original contract is untouched: the price is still given, in minor units.
    assert all(isinstance(f["amount"], int) and f["currency"] == "USD" for f in fares.values())


def test_selecting_a_sold_out_flight_is_refused_and_books_nothing(checkout, app, cabins):
    with app.app_context():
        flight = flight_on("FA300")
        cabins.fill(flight, "economy", leave=0)
    html = checkout.search(**ROUTE).get_data(as_text=True)
    offer_id = re.search(r'name="offer_id" value="([^"]+)"', html).group(1)
    with app.app_context():
        cabins.fill(flight_on("FA300"), "business", leave=0)  # sold out while the page was open
    response = checkout.post("/select", {"offer_id": offer_id, "adults": 1, "children": 0, "infants": 0})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "sold out on flight FA300" in html and 'id="results"' in html  # with the day's flights again
    with app.app_context():
        assert bookings_count() == 0


def test_selecting_when_only_business_has_room_books_business(checkout, app, cabins):
    with app.app_context():
        cabins.fill(flight_on("FA300"), "economy", leave=0)
    checkout.select_first(**ROUTE)
    with app.app_context():
        assert db.session.execute(select(Booking.fare_family_code)).scalar_one() == "BUSINESS"


def test_api_booking_for_a_full_cabin_is_409_with_the_reason_and_nothing_stored(client, app, cabins):
    with app.app_context():
        flight = flight_on("FA300")
        cabins.fill(flight, "economy", leave=0)
    offer = client.get(f"/api/flights?origin=SFO&destination=NRT&date={travel_day()}").get_json()["offers"][0]
    response = client.post("/api/bookings", json={
        "offerId": offer["offerId"], "fareFamily": "STANDARD",
        "passengers": [{"type": "adult", "firstName": "Ada", "lastName": "Lovelace", "dateOfBirth": "1985-12-10", "gender": "F",
                        "nationality": "GB", "passportNumber": "X1234567",
                        "passportExpiry": (date.today() + timedelta(days=3000)).isoformat()}],
        "contact": {"email": "ada@example.com", "phone": "+44 20 7946 0958"},
        "acknowledgements": [{"key": a.key, "version": a.version} for a in ACKNOWLEDGEMENTS]})
    error = response.get_json()["error"]
    assert response.status_code == 409, error
    assert "Economy is sold out" in error["message"] and "sold out" in error["fields"]["fareFamily"]
    with app.app_context():
        assert bookings_count() == 0


def test_changing_fare_to_a_full_cabin_is_refused_and_keeps_the_fare(checkout, app, cabins):
    checkout.select_first(**ROUTE)
    with app.app_context():
        cabins.fill(flight_on("FA300"), "business", leave=0)
    response = checkout.post("/customize/fare", {"fare_family": "BUSINESS"}, headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in html
    assert "Business is sold out" in html
    response = checkout.post("/customize", {"action": "update", "fare_family": "BUSINESS"})
    assert response.status_code == 422 and "Business is sold out" in response.get_data(as_text=True)
    with app.app_context():
        booking = db.session.execute(select(Booking)).scalar_one()
        assert booking.fare_family_code == "BASIC"
        assert db.session.execute(select(func.count()).select_from(SeatHold)
                                  .where(SeatHold.booking_id == booking.id)).scalar() == 1


def test_coming_back_to_a_lapsed_draft_on_a_filled_cabin_says_so(checkout, app, cabins):
    checkout.select_first(**ROUTE)
    with app.app_context():
        booking = db.session.execute(select(Booking)).scalar_one()
        lapsed = booking.hold_expires_at - timedelta(minutes=30)  # the traveller left for a while
        db.session.execute(update(Booking).values(hold_expires_at=lapsed))
        db.session.execute(update(SeatHold).where(SeatHold.booking_id == booking.id).values(expires_at=lapsed))
        db.session.commit()
        cabins.fill(flight_on("FA300"), "economy", leave=0)  # someone took the lapsed place meanwhile
    response = checkout.get("/customize")
    assert response.status_code == 303 and "/flights?" in response.location and "origin=SFO" in response.location
    html = checkout.get(response.location).get_data(as_text=True)
    assert "Economy is sold out on flight FA300" in html
    with app.app_context():
        assert db.session.execute(select(Booking.status)).scalar_one() == "EXPIRED"


def test_search_counts_places_for_the_whole_page_in_one_query(client, app):
    from sqlalchemy import event
    statements = []

    def record(conn, cursor, statement, *args):
        if "seat_holds" in statement:
            statements.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            body = client.get(f"/api/flights?origin=JFK&destination=LHR&date={travel_day()}&adults=2").get_json()
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
    assert len(body["offers"]) >= 2 and all("seatsLeft" in f for o in body["offers"] for f in o["fares"])
    assert len(statements) == 1 and "GROUP BY" in statements[0]  # not one query per flight


def test_losing_the_last_place_on_a_busy_route_is_409_with_the_days_flights(checkout, app, cabins):
    """On a route with several flights a day the results carry the "Sort by" form; the sold-out
    answer rendered them without it (a 500 for every traveller who lost the race). The test
    above uses a route with one flight a day, where that form is not drawn."""
    from checkout.catalog.itineraries import itinerary_for_offer
    from checkout.catalog.seatmaps import seats_by_code

    html = checkout.search("JFK", "LHR").get_data(as_text=True)
    offer_ids = re.findall(r'name="offer_id" value="([^"]+)"', html)
    assert len(offer_ids) > 1 and 'name="sort"' in html  # several flights: the sort form is drawn
    with app.app_context():
        flight = itinerary_for_offer(offer_ids[0]).flights[0]
        number = flight.flight_number
        for cabin in {seat.cabin for seat in seats_by_code(flight.aircraft).values()}:
            cabins.fill(flight, cabin, leave=0)  # taken while the page was open
    for headers in ({}, {"HX-Request": "true"}):
        response = checkout.post("/select", {"offer_id": offer_ids[0], "adults": 1, "children": 0, "infants": 0},
                                 headers=headers)
        html = response.get_data(as_text=True)
        assert response.status_code == 409, html[:2000]
        assert f"sold out on flight {number}" in html and 'id="results"' in html
        assert ("<html" in html) is not bool(headers)  # the page, or only its results for htmx
        # The day's other flights are offered again, sortable, for the same search.
        assert len(re.findall(r'name="offer_id"', html)) == len(offer_ids) - 1
        assert re.search(r'<input type="hidden" name="origin" value="JFK">', html)
        assert re.search(rf'<input type="hidden" name="date" value="{travel_day().isoformat()}">', html)
    with app.app_context():
        assert bookings_count() == 0
