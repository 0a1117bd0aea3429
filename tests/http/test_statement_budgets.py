"""SQL statements per request, counted (counts are stable where timings are not).

Every page and fragment of the three steps stays within STEP_BUDGET statements (a change
to the draft within CHANGE_BUDGET), and the staff list and search send as many statements
for 100 bookings as for 10: nothing is read again row by row. Sessions are in Redis here,
as in production.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from checkout.bookings.seat_holds import unavailable_seats
from checkout.catalog.seatmaps import seats_by_code
from checkout.clock import utcnow
from checkout.extensions import db
from checkout.models import Booking, Passenger, PaymentAttempt
from tests.conftest import ACKS
from tests.sql_support import counting_statements
from tests.staff_support import StaffClient, make_staff

STEP_BUDGET = 6
# A change also locks its booking row and reads it again under the lock (bookings.service
# .draft_change, issue 16): two statements more than the change itself.
CHANGE_BUDGET = STEP_BUDGET + 2
CHANGES = {"fare", "bundle", "extras", "seat", "another seat", "passengers saved"}
PEOPLE = (("Ada", "Lovelace", "1985-12-10"), ("Charles", "Babbage", "1981-12-26"), ("Mary", "Somerville", "1980-12-26"))
HX = {"HX-Request": "true"}


def _free_economy_seats(app, count: int) -> list[str]:
    with app.app_context():
        booking = db.session.execute(select(Booking)).scalar_one()
        taken = unavailable_seats(booking.flight_id, booking.id, utcnow())
        seats = seats_by_code(booking.flight.aircraft)
    return [code for code, seat in seats.items()
            if seat.cabin == "economy" and seat.seat_type == "standard" and code not in taken][:count]


def test_every_page_and_fragment_of_the_steps_is_within_budget(app, checkout):
    # Three passengers on the wide-body (B789) JFK-LHR flight, as the benchmark books.
    checkout.select_first(origin="JFK", destination="LHR", adults=3)
    first, second = _free_economy_seats(app, 2)
    requests = {
        "customise page": lambda: checkout.get("/customize"),
        "seat-map tab": lambda: checkout.get("/customize?seat_for=1", headers=HX),
        "fare": lambda: checkout.post("/customize/fare", {"fare_family": "FLEX"}, headers=HX),
        "bundle": lambda: checkout.post("/customize/bundle", {"bundle": "COMFORT"}, headers=HX),
        "extras": lambda: checkout.post("/customize/extras", {"extras_shown": "1", "bags-0": "1", "bags-1": "2"},
                                        headers=HX),
        "seat": lambda: checkout.post("/customize/seat", {"seat_passenger": "0", "seat": first}, headers=HX),
        "another seat": lambda: checkout.post("/customize/seat", {"seat_passenger": "0", "seat": second}, headers=HX),
        "passengers page": lambda: checkout.get("/passengers"),
        "field check": lambda: checkout.post("/passengers/check?field=email", {"email": "ada@"}, headers=HX),
        "passengers saved": lambda: checkout.post("/passengers", checkout.passengers_form(PEOPLE)),
        "review page": lambda: checkout.get("/review"),
    }
    counts, statuses = {}, {}
    for name, send in requests.items():
        with counting_statements(app) as statements:
            response = send()
        counts[name], statuses[name] = len(statements), response.status_code
        budget = CHANGE_BUDGET if name in CHANGES else STEP_BUDGET
        assert len(statements) <= budget, f"{name}: {len(statements)} statements\n{statements}"
    assert statuses == {**{name: 200 for name in requests}, "passengers saved": 303}
    html = checkout.get("/review").get_data(as_text=True)
    assert "Flex" in html and "Comfort" in html and second in html  # what was saved is what the review shows


def _bookings(count: int, surname: str, first: int = 0) -> None:
    """`count` paid bookings (rows written directly: only the number of rows matters here)."""
    template = db.session.execute(select(Booking).where(Booking.reference.is_not(None))).scalars().first()
    now = utcnow()
    for n in range(first, first + count):
        booking = Booking(
            reference=f"FLY2A-BU{n:04d}", status="CONFIRMED", flight_id=template.flight_id,
            fare_family_code="STANDARD", currency="USD",
            hold_expires_at=now, created_at=now, updated_at=now, submitted_at=now, confirmed_at=now,
            total_amount=template.total_amount, contact_email=f"{surname.lower()}{n}@example.com", channel="web",
            passengers=[Passenger(position=0, passenger_type="adult", first_name="Ann", last_name=surname,
                                  checked_bags=0)],
        )
        booking.payment_attempts = [PaymentAttempt(number=1, payment_intent_id=f"pi_budget_{surname}_{n}",
                                                   status="succeeded", amount=booking.total_amount, currency="USD",
                                                   card_brand="visa", card_last4="4242", created_at=now, updated_at=now)]
        db.session.add(booking)
    db.session.commit()


@pytest.mark.parametrize("url", ["/staff/bookings", "/staff/bookings?q=budgetson", "/staff/bookings?status=CONFIRMED"])
def test_the_staff_list_and_search_send_as_many_statements_for_100_bookings_as_for_10(app, client, checkout, url):
    checkout.to_pending()  # one real booking to copy the flight and price from
    staff = StaffClient(client)
    staff.sign_in(make_staff(app, "agent"))

    def statements_for_page() -> tuple[int, int]:
        with counting_statements(app) as statements:
            response = staff.get(url)
        assert response.status_code == 200
        return len(statements), len(re.findall(r">FLY2A-BU\d{4}<", response.get_data(as_text=True)))

    with app.app_context():
        _bookings(10, "Budgetson")
    ten, shown_ten = statements_for_page()
    with app.app_context():
        _bookings(90, "Budgetsonn", first=10)  # 100 now; "budgetson" finds them all
    hundred, shown_hundred = statements_for_page()
    assert (shown_ten, shown_hundred) == (10, 25)  # a page is 25 rows
    assert ten == hundred


def test_an_event_that_needs_no_work_is_stored_final_in_one_statement(app, client):
    from checkout.models import WebhookEvent
    from tests.payments_support import event, payment_intent_object, post_event
    created = event("payment_intent.created", payment_intent_object("pi_budget_1", "requires_payment_method", 100,
                                                                    "FLY2A-BUDGET"))
    with counting_statements(app) as statements:
        response = post_event(client, created)
    assert response.status_code == 200 and response.get_json()["status"] == "processed"
    assert len(statements) == 1, str(statements)
    assert post_event(client, created).get_json()["status"] == "duplicate"  # a redelivery changes nothing
    with app.app_context():
        stored = db.session.execute(select(WebhookEvent).where(WebhookEvent.stripe_event_id == created["id"])).scalar_one()
        assert (stored.status, stored.deliveries, stored.processed_at is not None) == ("processed", 2, True)


def test_a_search_reads_flights_and_places_but_never_the_airports(app, client):
    """Airports are reference data, read once per process: a search's statements are its
    flights and the places taken on them (it used to look up both airports every time)."""
    from datetime import date, timedelta
    day = (date.today() + timedelta(days=2)).isoformat()
    url = f"/flights?origin=JFK&destination=London&date={day}&adults=2"
    assert client.get(url).status_code == 200  # the first search may read the airports
    with counting_statements(app) as statements:
        response = client.get(url)
    assert response.status_code == 200 and "Select" in response.get_data(as_text=True)
    assert not [s for s in statements if re.search(r"\bFROM airports\b", s)], statements  # joined to flights is fine
    assert len(statements) <= 2, statements
