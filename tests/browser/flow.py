"""What a person does in the checkout, step by step, in a real browser (Playwright pages).

Shared by the browser tests: controls are found by their visible labels and roles.
"""
from __future__ import annotations

import re
from datetime import date, timedelta

from playwright.sync_api import Page, expect

REFERENCE = re.compile(r"FLY2A-[A-Z2-9]{6}")
ACCEPT = r"^I accept the 4 notices above"  # the one box on Review (issue 19)
PASSPORT_LABELS = ("Passport number", "Passport expiry")


def iso(day: date) -> str:
    return day.isoformat()


def years_from_today(years: int) -> date:
    today = date.today()
    try:
        return today.replace(year=today.year + years)
    except ValueError:  # 29 February
        return today.replace(year=today.year + years, day=28)


TRAVELLER = {
    "First name": "Ada",
    "Last name": "Lovelace",
    "Date of birth": "1985-12-10",
    "Passport number": "X1234567",
    "Passport expiry": iso(years_from_today(5)),
    "Email": "ada@example.com",
    "Phone": "+1 212 555 0100",
}


def search(page: Page, origin="JFK", destination="LHR", day: date | None = None, adults=1) -> None:
    page.goto("/")
    page.get_by_label("From").fill(origin)
    page.get_by_label("To", exact=True).fill(destination)
    page.get_by_label("Departure date").fill(iso(day or date.today() + timedelta(days=3)))
    page.get_by_label("Adults").select_option(str(adults))
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("button", name="Select").first).to_be_visible()


def select_first_flight(page: Page) -> None:
    page.get_by_role("button", name="Select").first.click()
    expect(page.get_by_role("heading", name="Customise your trip")).to_be_visible()


def price_summary(page: Page):
    return page.get_by_role("complementary", name="Your price")


def total_element(page: Page):
    return price_summary(page).locator("[data-total]")


def shown_total(page: Page) -> int:
    return int(total_element(page).get_attribute("data-total"))


def seat_tier_prices(page: Page) -> dict[str, int]:
    """The seat legend as shown: {"Extra legroom": 4900, "Standard": 0, ...} in cents."""
    prices = {}
    for text in page.locator("#seat-legend li[id^=tier-]").all_inner_texts():
        name, _, price = text.strip().rpartition(": ")
        prices[name] = int(price.replace("$", "").replace(",", "").replace(".", "")) if "$" in price else 0
    return prices


def seat_radio(page: Page, seat_code: str, passenger: int = 1):
    return page.get_by_role("group", name=f"Seat for passenger {passenger}").get_by_role(
        "radio", name=re.compile(rf"^{seat_code}, "))


def cheapest_priced_seat(page: Page):
    """The first seat still free whose type the legend prices the lowest above nothing."""
    priced = {name: price for name, price in seat_tier_prices(page).items() if price}
    tier = min(priced, key=priced.get)
    seat_map = page.get_by_role("group", name="Seat for passenger 1")
    return seat_map.get_by_role("radio", name=re.compile(rf"^\d{{1,2}}[A-K], \w+, {re.escape(tier)}$"),
                                disabled=False).first


def change_in_place(page: Page, choose) -> int:
    """Make a step-1 choice with htmx on; the total must change without a page load."""
    before = shown_total(page)
    url = page.url
    page.evaluate("window.__sameDocument = true")
    choose()
    expect(total_element(page)).not_to_have_attribute("data-total", str(before))
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"
    assert page.url == url
    return shown_total(page)


def change_and_update(page: Page, choose, button_name: str) -> int:
    """Without JavaScript: choose, press the <noscript> button, and get the page back."""
    before = shown_total(page)
    choose()
    page.get_by_role("button", name=button_name, exact=True).click()
    expect(total_element(page)).not_to_have_attribute("data-total", str(before))
    expect(page.get_by_role("heading", name="Customise your trip")).to_be_visible()
    return shown_total(page)


def fill_passenger(page: Page, skip: tuple[str, ...] = (), international: bool = True) -> None:
    if not international:
        skip = tuple(skip) + PASSPORT_LABELS
    for label, value in TRAVELLER.items():
        if label not in skip:
            page.get_by_label(label, exact=True).fill(value)
    page.get_by_label("Gender", exact=True).select_option("F")
    page.get_by_label("Nationality").select_option("GB")


def accept_and_submit(page: Page) -> str:
    """On the review page: accept the notices, go on to payment; returns the reference
    from the pending booking page."""
    expect(page.get_by_role("heading", name="Review your booking")).to_be_visible()
    page.get_by_role("checkbox", name=re.compile(ACCEPT)).check()
    page.get_by_role("button", name=re.compile(r"^Continue to payment")).click()
    heading = page.get_by_role("heading", name=re.compile(r"^Pay \$[\d,.]+ to confirm FLY2A-"))
    expect(heading).to_have_text(re.compile(r"^Pay \$[\d,.]+ to confirm " + REFERENCE.pattern + "$"))
    expect(page).to_have_title(re.compile(r"^Pay \$[\d,.]+ to confirm " + REFERENCE.pattern + " · Fly2Any$"))
    expect(page.get_by_text("Awaiting payment")).to_be_visible()
    reference = REFERENCE.search(heading.inner_text()).group(0)
    expect(page.locator(".reference")).to_have_text(reference)
    return reference


def review_and_submit(page: Page, seat_code: str) -> tuple[int, str]:
    """Check the review page, accept the notices, and go on; returns (total, reference)."""
    expect(page.get_by_role("heading", name="Review your booking")).to_be_visible()
    passenger_row = page.get_by_role("row").filter(has_text="Ada Lovelace")
    expect(passenger_row).to_contain_text(seat_code)
    review_total = shown_total(page)
    pay_button = page.get_by_role("button", name=re.compile(r"^Continue to payment"))
    expect(pay_button).to_contain_text(total_element(page).inner_text())
    return review_total, accept_and_submit(page)


def to_pending_booking(page: Page, destination="LHR", customise=None, walk: bool = False) -> str:
    """Search JFK -> `destination`, take the first flight, make the step-1 choices
    `customise(page)` makes (if any), enter one adult, accept the notices, and reach the
    pending booking page. Returns the booking reference.

    Without `customise` and unless `walk`, the steps are posted as a browser without
    JavaScript would post them (page.request shares the page's cookies, so the booking is
    this browser's) and only the pending page is opened: a test whose subject is the payment
    page starts there, about three seconds sooner. The steps themselves are walked in full,
    by clicking, in test_booking_flow, test_keyboard_booking, test_phone_layout,
    test_accessibility_axe, and by the tests that pass `walk=True`."""
    if customise is None and not walk:
        return _post_the_steps(page, destination)
    search(page, destination=destination)
    select_first_flight(page)
    if customise is not None:
        customise(page)
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.get_by_role("heading", name="Who is travelling?")).to_be_visible()
    fill_passenger(page, international=destination == "LHR")
    page.get_by_role("button", name="Continue", exact=True).click()
    return accept_and_submit(page)


def _post_the_steps(page: Page, destination: str) -> str:
    from tests.conftest import ACKS, Checkout, csrf_from, travel_day

    def form(url: str, data: dict) -> str:
        answer = page.request.post(url, form={**data, "csrf_token": csrf}, max_redirects=0)
        assert answer.status == 303, (url, answer.status, answer.text()[:500])
        return answer.headers["location"]

    results = page.request.get(f"/flights?origin=JFK&destination={destination}&date={iso(travel_day())}"
                               "&adults=1&children=0&infants=0").text()
    csrf = csrf_from(results)
    offer_id = re.search(r'name="offer_id" value="([^"]+)"', results).group(1)
    form("/select", {"offer_id": offer_id, "adults": "1", "children": "0", "infants": "0"})
    people = ((TRAVELLER["First name"], TRAVELLER["Last name"], TRAVELLER["Date of birth"]),)
    details = Checkout(None).passengers_form(people, international=destination == "LHR",
                                             email=TRAVELLER["Email"], phone=TRAVELLER["Phone"])
    form("/passengers", details)
    pending = form("/review", {f"ack_{key}": "y" for key in ACKS})
    page.goto(pending)
    heading = page.get_by_role("heading", name=re.compile(r"^Pay \$[\d,.]+ to confirm FLY2A-"))
    expect(heading).to_have_text(re.compile(r"^Pay \$[\d,.]+ to confirm " + REFERENCE.pattern + "$"))
    return REFERENCE.search(heading.inner_text()).group(0)


def drop_first_request(page: Page, pattern: str) -> list[str]:
    """The network drops the first request to `pattern` (as a lost connection would); later
    ones go through. Returns the list the dropped URL is written to."""
    dropped: list[str] = []

    def drop_first(route):
        if not dropped:
            dropped.append(route.request.url)
            route.abort("internetdisconnected")
        else:
            route.continue_()

    page.route(pattern, drop_first)
    return dropped
