"""Everywhere a booked trip is shown (issue 18): the e-ticket PDF, the calendar file, the
confirmation email, manage my booking, the staff console and its search, and cancelling a
whole trip. Trips come from the demo timetable (tests/trip_support.py), paid at localstripe."""
from __future__ import annotations

import io
import re
from datetime import date, timedelta
from html import unescape

import pytest
from icalendar import Calendar
from pypdf import PdfReader
from sqlalchemy import func, select

from checkout.bookings import cancellation, service
from checkout.bookings.acknowledgements import ACKNOWLEDGEMENTS
from checkout.notifications.calendar import trip_calendar
from checkout.bookings.service import Contact, PassengerDetails
from checkout.catalog.itineraries import Itinerary, Slice
from checkout.catalog.search import Party
from checkout.catalog.seatmaps import find_seat
from checkout.extensions import db
from checkout.models import Booking, OutboxEmail, SeatHold
from checkout.notifications import queue_confirmation, render_eticket_pdf
from checkout.notifications.sender import render_body
from checkout.payments import booking_changes
from checkout.payments import service as payments
from checkout.staff.bookings import trip_route
from tests.capacity_support import flight_on, free_seats
from tests.conftest import Checkout
from tests.payments_support import pay_at_stripe
from tests.staff_support import StaffClient, make_staff
from tests.trip_support import connection, return_trip

PEOPLE = [PassengerDetails("Ada", "Lovelace", date(1985, 12, 10), "GB", "X1234567", date(2035, 1, 1), gender="F"),
          PassengerDetails("Charles", "Babbage", date(1981, 12, 26), "GB", "X7654321", date(2035, 1, 1), gender="M")]


def a_seat(flight) -> str:
    return next(code for code in free_seats(flight, "economy") if not find_seat(flight.aircraft, code).is_exit_row)


def booked_trip(itinerary: Itinerary, pay: bool = True) -> tuple[Booking, list[str]]:
    """Ada and Charles on the trip, Ada with a seat on every flight, Charles with none;
    paid with 4242 and reconciled (or left awaiting payment). Returns Ada's seats too."""
    booking = service.create_draft(itinerary, Party(2))
    seats = [a_seat(flight) for flight in itinerary.flights]
    for position, seat in enumerate(seats):
        service.choose_seat(booking, 0, seat, segment=position)
    service.save_passengers(booking, PEOPLE, Contact("ada@example.com", "+12125550100"))
    booking = service.submit(booking, [a.key for a in ACKNOWLEDGEMENTS])
    if pay:
        started = payments.start_payment(booking.id)
        pay_at_stripe(started.attempt.payment_intent_id, "4242424242424242")
        assert payments.reconcile(started.attempt.payment_intent_id).booking_status == "CONFIRMED"
    db.session.expire_all()
    return service.get_booking(booking.id), seats


def pdf_text(pdf: bytes) -> str:
    """The words on the e-ticket's pages, as a PDF reader extracts them, spaces evened out."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def test_the_eticket_pdf_shows_each_flight_with_every_passengers_seat_and_the_allowance(app_ctx):
    booking, seats = booked_trip(connection())
    first, second = (segment.flight for segment in booking.segments)
    text = pdf_text(render_eticket_pdf(booking))
    assert text.index(f"{first.flight_number} JFK→LHR (1 of 2)") < text.index(f"{second.flight_number} LHR→CDG (2 of 2)")
    assert "Connection in London (LHR): layover" in text
    for seat in seats:
        assert f"Ada Lovelace {seat}, Charles Babbage assigned at check-in" in text
    assert text.count("Baggage allowance:") == 2
    assert f"{first.flight_number} {seats[0]}, {second.flight_number} {seats[1]}" in text  # the passengers table


def test_the_calendar_has_one_event_per_flight_each_with_its_own_stable_uid(app_ctx):
    # Multi-city on one number twice: FA100 out, FA101 back the day after landing, FA100 out again.
    legs = [flight_on("FA100", 1), flight_on("FA101", 3), flight_on("FA100", 5)]
    booking, _ = booked_trip(Itinerary(tuple(Slice((f,)) for f in legs)), pay=False)
    events = Calendar.from_ical(trip_calendar(booking)).walk("VEVENT")
    assert [(e.decoded("dtstart"), e.decoded("dtend")) for e in events] == [(f.departs_at, f.arrives_at) for f in legs]
    assert [str(e["summary"]) for e in events] == [
        "Flight FA100 New York (JFK) to London (LHR)", "Flight FA101 London (LHR) to New York (JFK)",
        "Flight FA100 New York (JFK) to London (LHR)"]
    uids = [str(e["uid"]) for e in events]
    ref = booking.reference
    assert uids == [f"{ref}-FA100-{legs[0].departs_at:%Y%m%d}@fly2any", f"{ref}-FA101@fly2any",
                    f"{ref}-FA100-{legs[2].departs_at:%Y%m%d}@fly2any"]
    assert [str(e["uid"]) for e in Calendar.from_ical(trip_calendar(booking)).walk("VEVENT")] == uids  # stable
    assert "Flight 2 of 3 of your trip." in str(events[1]["description"])


def test_the_confirmation_email_names_every_flight_and_each_seat_on_it(app_ctx):
    booking, seats = booked_trip(return_trip())
    out, back = (segment for segment in booking.segments)
    queue_confirmation(booking)
    email = db.session.execute(select(OutboxEmail).where(OutboxEmail.kind == "confirmation")).scalar_one()
    body, _ = render_body(email, booking.confirmed_at)
    assert "Your trip is booked and paid." in body and "\nTRIP\n" in body
    assert f"Outbound, New York to London:\n{out.flight.flight_number}: New York (JFK) to London (LHR)" in body
    assert f"Return, London to New York:\n{back.flight.flight_number}: London (LHR) to New York (JFK)" in body
    assert f"  {out.label}: seat {seats[0]}\n  {back.label}: seat {seats[1]}" in body
    assert f"  {back.label}: seat assigned at check-in" in body  # Charles chose none
    assert "bring the passports you booked with" in body


def test_cancelling_a_return_trip_gives_back_the_places_on_both_flights(app_ctx):
    booking, _ = booked_trip(return_trip(days_ahead=2, nights=3))
    flights = [segment.flight_id for segment in booking.segments]

    def places() -> list[int]:
        return [db.session.scalar(select(func.count()).select_from(SeatHold).where(
            SeatHold.booking_id == booking.id, SeatHold.flight_id == flight)) for flight in flights]

    assert places() == [2, 2]
    # The 24-hour rule runs from the first departure, 2 days away, not from the return.
    assert cancellation.cancellation_terms(booking).rule != "dot_24_hour"
    booking_changes.cancel_booking(booking.id, actor="test")
    db.session.commit()
    assert places() == [0, 0]


@pytest.fixture
def agent(app, client):
    staff = StaffClient(client)
    staff.sign_in(make_staff(app, "agent"))
    return staff


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_manage_and_the_staff_console_show_the_trip_and_staff_find_it_by_its_second_flight(app, client, agent):
    with app.app_context():
        booking, seats = booked_trip(connection())
        reference, labels = booking.reference, [segment.label for segment in booking.segments]
        second_number = booking.segments[1].flight.flight_number
        assert trip_route(booking) == "JFK → LHR → CDG"
        assert trip_route(booked_trip(return_trip(), pay=False)[0]) == "JFK ⇄ LHR"

    staff_page = text_of(agent.get(f"/staff/bookings/{reference}").get_data(as_text=True))
    assert "Trip: JFK → LHR → CDG" in staff_page
    assert f"{labels[0]} {seats[0]}; {labels[1]} {seats[1]}" in staff_page  # Ada's seats, flight by flight
    assert f"{labels[0]} —; {labels[1]} —" in staff_page  # Charles chose none
    found = text_of(agent.get(f"/staff/bookings?q={second_number.lower()}").get_data(as_text=True))
    assert reference in found and "JFK → LHR → CDG" in found

    traveller = Checkout(app.test_client())
    traveller.get("/manage")
    assert traveller.post("/manage", {"reference": reference, "secret": "Lovelace"},
                          environ_base={"REMOTE_ADDR": "10.88.0.1"}).status_code == 303
    manage_page = text_of(traveller.get(f"/manage/{reference}").get_data(as_text=True))
    assert "Your trip" in manage_page and "1 stop" in manage_page and "Layover" in manage_page
    assert f"Ada Lovelace (adult), seats: {labels[0]} {seats[0]}; {labels[1]} {seats[1]}" in manage_page
