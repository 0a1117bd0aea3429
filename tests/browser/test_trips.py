"""Trips in a real browser (issue 18, "Done when"): a family's return trip with seats on both
flights, paid; a one-stop connection with a seat on each segment; a multi-city trip; a return
trip without JavaScript; a return trip with the keyboard alone."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.browser.flow import ACCEPT, TRAVELLER, accept_and_submit, fill_passenger, iso, years_from_today
from tests.browser.test_keyboard_booking import FOCUSED_SEAT, Swaps, keyboard_page, tab_to, type_into  # noqa: F401
from tests.browser.test_payment_flow import SUCCEEDS, expect_confirmed, pay_with

pytestmark = pytest.mark.browser

# The test catalogue has six days of flights from today.
OUT_DAY = date.today() + timedelta(days=3)
BACK_DAY = date.today() + timedelta(days=5)
FREE_SEAT = re.compile(r"^\d{1,2}[A-K], ")


def search_trip(page: Page, origin="JFK", destination="LHR", back: date | None = BACK_DAY,
                adults=1, children=0, infants=0) -> None:
    page.goto("/")
    page.get_by_label("From").fill(origin)
    page.get_by_label("To", exact=True).fill(destination)
    page.get_by_label("Departure date").fill(iso(OUT_DAY))
    if back:
        page.get_by_label("Return date").fill(iso(back))
    page.get_by_label("Adults").select_option(str(adults))
    page.get_by_label("Children").select_option(str(children))
    page.get_by_label("Infants").select_option(str(infants))
    page.get_by_role("button", name="Search").click()


def choose_seat(page: Page, passenger: int, flight: str) -> str:
    """On the customise page: the first free seat on `flight` ("FA100 JFK→LHR") for passenger N,
    through that flight's and passenger's tabs; returns its code."""
    seats = page.locator("#seat-panel")
    for tab in (seats.get_by_role("link", name=re.compile(rf"^Flight \d: {flight}$")),
                seats.get_by_role("link", name=re.compile(rf"^Passenger {passenger} \("))):
        if tab.get_attribute("aria-current") != "true":
            tab.click()
            expect(tab).to_have_attribute("aria-current", "true")
    seat_map = page.get_by_role("group", name=f"Seat for passenger {passenger} on {flight}")
    seat = seat_map.get_by_role("radio", name=FREE_SEAT, disabled=False).first
    code = seat.get_attribute("value")
    seat.check()
    expect(seats.get_by_role("link", name=re.compile(rf"^Passenger {passenger} \(\w+\): {code}$"))).to_be_visible()
    return code


PARTY = (("adult", "Ada", "Lovelace", "1985-12-10"), ("adult", "Charles", "Babbage", "1981-12-26"),
         ("child", "Byron", "Lovelace", iso(years_from_today(-6))),
         ("infant", "Annabella", "Lovelace", iso(years_from_today(-1))))


def fill_party(page: Page, party=PARTY) -> None:
    expect(page.get_by_role("heading", name="Who is travelling?")).to_be_visible()
    for number, (kind, first, last, born) in enumerate(party, start=1):
        person = page.get_by_role("group", name=f"Passenger {number} ({kind})")
        person.get_by_label("First name", exact=True).fill(first)
        person.get_by_label("Last name", exact=True).fill(last)
        person.get_by_label("Date of birth").fill(born)
        person.get_by_label("Gender", exact=True).select_option("F")
        person.get_by_label("Nationality").select_option("GB")
        person.get_by_label("Passport number").fill(f"X{1234567 + number}")
        person.get_by_label("Passport expiry").fill(TRAVELLER["Passport expiry"])
    page.get_by_label("Email", exact=True).fill(TRAVELLER["Email"])
    page.get_by_label("Phone", exact=True).fill(TRAVELLER["Phone"])
    page.get_by_role("button", name="Continue", exact=True).click()


def test_a_family_books_a_return_trip_with_seats_on_both_flights_and_pays(page: Page):
    search_trip(page, adults=2, children=1, infants=1)
    expect(page.get_by_role("heading", name=re.compile("^Choose your outbound flight"))).to_be_visible()
    page.get_by_role("button", name=re.compile(r"^Select FA100 ")).click()
    expect(page.get_by_role("heading", name=re.compile("^Choose your return flight"))).to_be_visible()
    page.get_by_role("button", name=re.compile(r"^Select FA101 ")).click()
    expect(page.get_by_role("heading", name="Customise your trip")).to_be_visible()

    flights = ("FA100 JFK→LHR", "FA101 LHR→JFK")
    seats = {n: [choose_seat(page, n, flight) for flight in flights] for n in (1, 2, 3)}
    page.get_by_role("button", name="Continue", exact=True).click()
    fill_party(page)

    expect(page.get_by_role("heading", name="Review your booking")).to_be_visible()
    expect(page.get_by_role("region", name="Outbound")).to_contain_text("FA100 JFK→LHR")
    expect(page.get_by_role("region", name="Return")).to_contain_text("FA101 LHR→JFK")
    for n, (kind, first, last, _) in enumerate(PARTY[:3], start=1):
        expect(page.get_by_role("row").filter(has_text=f"{first} {last} ({kind})")).to_contain_text(
            "; ".join(f"{flight}: {seat}" for flight, seat in zip(flights, seats[n])))
    expect(page.get_by_role("row").filter(has_text="Annabella Lovelace (infant)")).to_contain_text("On lap")
    reference = accept_and_submit(page)
    pay_with(page, SUCCEEDS)
    expect_confirmed(page, reference)
    expect(page.get_by_role("region", name="Outbound")).to_contain_text("FA100 JFK→LHR")
    expect(page.get_by_role("region", name="Return")).to_contain_text("FA101 LHR→JFK")
    for n, (kind, first, last, _) in enumerate(PARTY[:3], start=1):
        expect(page.get_by_text(f"{first} {last} ({kind}), seats: " + "; ".join(
            f"{flight} {seat}" for flight, seat in zip(flights, seats[n])))).to_be_visible()


def test_a_one_stop_trip_with_a_seat_on_each_flight(page: Page):
    search_trip(page, destination="CDG", back=None)
    page.get_by_role("button", name=re.compile(r"^Select FA100 \+ FA150 ")).click()
    expect(page.get_by_role("heading", name="Customise your trip")).to_be_visible()
    expect(page.locator(".flight-summary")).to_contain_text(re.compile(r"Layover \d+h \d\dm in London \(LHR\)"))
    flights = ("FA100 JFK→LHR", "FA150 LHR→CDG")
    seats = [choose_seat(page, 1, flight) for flight in flights]
    page.get_by_role("button", name="Continue", exact=True).click()
    fill_passenger(page)
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.get_by_role("heading", name="Review your booking")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Ada Lovelace")).to_contain_text(
        f"{flights[0]}: {seats[0]}; {flights[1]}: {seats[1]}")


def test_a_multi_city_trip_shows_each_flight(page: Page):
    page.goto("/")
    page.get_by_role("radio", name="Multi-city").check()
    second = page.get_by_role("group", name="Flight 2")
    expect(second).to_be_visible()
    first = page.get_by_role("group", name="Flight 1")
    first.get_by_label("From").fill("JFK")
    first.get_by_label("To", exact=True).fill("LHR")
    first.get_by_label("Departure date").fill(iso(OUT_DAY))
    second.get_by_label("From").fill("LHR")
    second.get_by_label("To", exact=True).fill("CDG")
    second.get_by_label("Date").fill(iso(BACK_DAY))
    page.get_by_role("button", name="Search").click()
    for step in (1, 2):
        expect(page.get_by_role("heading", name=re.compile(rf"^Choose flight {step} of 2"))).to_be_visible()
        page.get_by_role("button", name="Select").first.click()
    expect(page.get_by_role("heading", name="Customise your trip")).to_be_visible()
    expect(page.get_by_role("region", name="Flight 1")).to_contain_text("New York (JFK) → London (LHR)")
    expect(page.get_by_role("region", name="Flight 2")).to_contain_text("London (LHR) → Paris (CDG)")
    tabs = page.get_by_role("navigation", name="Choose the flight").get_by_role("link")
    expect(tabs).to_have_text([re.compile(r"Flight 1: FA\d+ JFK→LHR$"), re.compile(r"Flight 2: FA\d+ LHR→CDG$")])


def test_a_return_trip_without_javascript_reaches_the_payment_page(page_without_js: Page):
    page = page_without_js
    search_trip(page)
    expect(page.get_by_role("heading", name=re.compile("^Choose your outbound flight"))).to_be_visible()
    page.get_by_role("button", name=re.compile(r"^Select FA100 ")).click()
    expect(page.get_by_role("heading", name=re.compile("^Choose your return flight"))).to_be_visible()
    page.go_back()  # the outbound list again, then the same choice
    page.get_by_role("button", name=re.compile(r"^Select FA100 ")).click()
    page.get_by_role("button", name=re.compile(r"^Select FA101 ")).click()
    expect(page.get_by_role("heading", name="Customise your trip")).to_be_visible()

    # The return flight's seat map is a link away; its seat is saved with the <noscript> button.
    page.get_by_role("link", name="Flight 2: FA101 LHR→JFK").click()
    seat_map = page.get_by_role("group", name="Seat for passenger 1 on FA101 LHR→JFK")
    seat = seat_map.get_by_role("radio", name=FREE_SEAT, disabled=False).first
    code = seat.get_attribute("value")
    seat.check()
    page.get_by_role("button", name="Save seat and update total").click()
    expect(page.get_by_role("link", name=f"Passenger 1 (adult): {code}")).to_be_visible()
    expect(page.get_by_role("group", name="Seat for passenger 1 on FA101 LHR→JFK")
           .get_by_role("radio", name=re.compile(rf"^{code}, "))).to_be_checked()
    page.get_by_role("button", name="Continue", exact=True).click()
    fill_passenger(page)
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.get_by_role("row").filter(has_text="Ada Lovelace")).to_contain_text(f"FA101 LHR→JFK: {code}")
    accept_and_submit(page)  # the payment page: entering the card is the one step that needs JavaScript


def test_a_return_trip_booked_with_the_keyboard_alone(keyboard_page: Page):
    """Only the keyboard, to the payment page; after each htmx swap the focus is somewhere."""
    page, swaps = keyboard_page, Swaps(keyboard_page)
    page.goto("/")
    type_into(page, page.get_by_label("From"), "JFK")
    type_into(page, page.get_by_label("To", exact=True), "LHR")
    type_into(page, page.get_by_label("Departure date"), OUT_DAY.strftime("%m%d%Y"))
    type_into(page, page.get_by_label("Return date"), BACK_DAY.strftime("%m%d%Y"))
    expect(page.get_by_label("Return date")).to_have_value(iso(BACK_DAY))
    tab_to(page, page.get_by_role("button", name="Search"))
    page.keyboard.press("Enter")
    for leg in ("outbound", "return"):
        expect(page.get_by_role("heading", name=re.compile(f"^Choose your {leg} flight"))).to_be_visible()
        swaps.assert_focus_kept()
        tab_to(page, page.get_by_role("button", name="Select").first)
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Customise your trip")).to_be_focused()

    # The return flight's tab, then into its map: a seat with the arrow keys and Space.
    tab = page.get_by_role("link", name="Flight 2: FA101 LHR→JFK")
    tab_to(page, tab)
    page.keyboard.press("Enter")
    expect(tab).to_have_attribute("aria-current", "true")
    expect(tab).to_be_focused()  # the redrawn panel keeps the keyboard where it was
    seat_map = page.get_by_role("group", name="Seat for passenger 1 on FA101 LHR→JFK")
    for _ in range(10):
        if page.evaluate(FOCUSED_SEAT):
            break
        page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")
    code = page.evaluate(FOCUSED_SEAT)
    assert code, "the arrow key left the seat map"
    page.keyboard.press("Space")
    expect(seat_map.get_by_role("radio", name=re.compile(rf"^{code}, "))).to_be_checked()
    expect(page.get_by_role("link", name=f"Passenger 1 (adult): {code}")).to_be_visible()
    swaps.assert_focus_kept()
    tab_to(page, page.get_by_role("button", name="Continue", exact=True))
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Who is travelling?")).to_be_focused()
    for label in ("First name", "Last name"):
        type_into(page, page.get_by_label(label, exact=True), TRAVELLER[label])
    type_into(page, page.get_by_label("Date of birth"), date.fromisoformat(TRAVELLER["Date of birth"]).strftime("%m%d%Y"))
    type_into(page, page.get_by_label("Gender", exact=True), "Female")
    type_into(page, page.get_by_label("Nationality"), "United Kingdom")
    type_into(page, page.get_by_label("Passport number"), TRAVELLER["Passport number"])
    type_into(page, page.get_by_label("Passport expiry"),
              date.fromisoformat(TRAVELLER["Passport expiry"]).strftime("%m%d%Y"))
    for label in ("Email", "Phone"):
        type_into(page, page.get_by_label(label, exact=True), TRAVELLER[label])
    tab_to(page, page.get_by_role("button", name="Continue", exact=True))
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Review your booking")).to_be_focused()
    expect(page.get_by_role("row").filter(has_text="Ada Lovelace")).to_contain_text(f"FA101 LHR→JFK: {code}")
    tab_to(page, page.get_by_role("checkbox", name=re.compile(ACCEPT)))
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("button", name=re.compile(r"^Continue to payment")))
    swaps.assert_focus_kept()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile(r"^Pay \$[\d,.]+ to confirm FLY2A-"))).to_be_visible()
