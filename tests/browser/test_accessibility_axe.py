"""axe-core finds nothing wrong on any page or state a traveller (or support agent) meets
(issue 11, "Proved by"), on a 390×844 phone and a 1280×800 laptop; the same walk saves a
screenshot of each step into docs/screenshots/ for README.md.

One booking is walked through once for the whole module (the `tour` fixture), stopping at
each state to run axe and take the screenshots at both sizes; each (state, width) is then
its own test, so a report says which page failed. A state the walk never reached fails
with the reason the walk stopped.

axe runs its default rules (WCAG 2.0-2.2 A and AA, and Deque's best practices: landmarks,
one h1, headings in order) plus WCAG 2.2's target size, which axe leaves off; AAA rules off.
What axe cannot decide ("needs review") fails too, except colour contrast where it cannot
see the background (text under the phone's fixed total bar, over a chart): that was checked
by hand (docs/ACCESSIBILITY.md).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Error, Page, Response, expect

from tests.browser.conftest import _new_page
from tests.browser.flow import (TRAVELLER, accept_and_submit, fill_passenger, search, select_first_flight,
                                shown_total, total_element)
from tests.browser.test_payment_flow import (DECLINED, NEEDS_3DS, expect_awaiting_payment_after_failure,
                                             expect_confirmed, pay_button, pay_with, three_d_secure)
from tests.html_support import as_document, vnu_errors
from tests.staff_support import PASSWORD, authenticator_code, make_staff

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SIZES = {390: 844, 1280: 800}

# (file name stem, what the state is). The stem is also the screenshot's name.
TRAVELLER_STATES = (
    ("01-search", "search form"),
    ("01-search-error", "search form with an unknown airport (422)"),
    ("02-results", "results JFK to LHR"),
    ("02-results-none", "results for a route never flown"),
    ("03-customise", "customise: fares compared"),
    ("03-customise-extras", "customise: bundle, bags and extras chosen"),
    ("03-customise-seat-taken", "customise: the seat clicked was taken meanwhile"),
    ("03-customise-seats", "customise: seat map with a seat chosen"),
    ("03-customise-trip", "customise a return trip: the return flight's seat map"),
    ("04-passengers", "passengers, empty"),
    ("04-passengers-errors", "passengers after a 422, error summary"),
    ("05-review", "review"),
    ("05-review-errors", "review without the acknowledgements (422)"),
    ("06-payment", "payment page, card form ready"),
    ("06-payment-declined", "payment page after a declined card"),
    ("07-confirmation", "confirmation: You're booked"),
    ("07-payment-outcome-elsewhere", "return URL opened in another browser"),
    ("08-manage", "manage my booking: look-up form"),
    ("08-manage-error", "manage my booking: no such booking"),
    ("08-manage-booking", "manage my booking: booking found"),
    ("08-manage-cancel", "manage my booking: cancellation quote"),
    ("09-not-found", "our 404 page"),
)
STAFF_STATES = (
    ("10-staff-sign-in", "staff sign-in"),
    ("10-staff-code", "staff sign-in: authentication code"),
    ("11-staff-bookings", "staff bookings list"),
    ("11-staff-booking", "staff booking page"),
    ("12-staff-dashboard", "staff dashboard"),
)
AXE_OPTIONS = {
    # Every node for both kinds (the package's default lists one node per "needs review" rule).
    "resultTypes": ["violations", "incomplete"],
    # WCAG 2.2's target size (2.5.8, AA) is off in axe's defaults.
    "rules": {"target-size": {"enabled": True}},
}
# Rules whose "needs review" answers are not failures, see the module's docstring.
UNDECIDABLE = {"color-contrast"}
# Staff pages axe still faults, while their layout is being rebuilt: {state: rule ids}.
STAFF_KNOWN: dict[str, str] = {}


@dataclass
class Tour:
    """What the walk saw: {(state, width): axe violations}, and why it stopped, if it did;
    and for vnu, {name: HTML}: each state's page as the browser holds it (after htmx's swaps,
    with the offline Stripe.js's card frame), and each HTML answer of our server on the way
    (as sent: a page's DOM no longer shows what the parser had to repair)."""
    violations: dict[tuple[str, int], list[dict]] = field(default_factory=dict)
    html: dict[str, str] = field(default_factory=dict)
    answers: list[Response] = field(default_factory=list)  # not yet read
    stopped: str | None = None

    def keep_answers(self, page: Page, origin: str) -> None:
        page.on("response", lambda answer: self.answers.append(answer) if answer.url.startswith(origin) else None)

    def read_answers(self, state: str) -> None:
        """Our server's HTML answers that led to `state`; each distinct one is kept once."""
        seen = set(self.html.values())
        for answer in self.answers:
            if "text/html" not in (answer.headers.get("content-type") or "") or 300 <= answer.status < 400:
                continue  # a redirect's body is no page: the browser never shows it
            try:
                html = answer.text()
            except Error:  # a body the browser no longer holds (a page since left)
                continue
            path = answer.url.split("/", 3)[-1].split("?")[0]
            document = as_document(html, "/" + path)
            if html.strip() and document not in seen:
                seen.add(document)
                self.html[f"{state}: answer to {answer.request.method} /{path} #{len(self.html)}"] = document
        self.answers.clear()


def look(page: Page, tour: Tour, state: str, at: str | dict[int, str] | None = None, block: str = "start") -> None:
    """Run axe on the page as it is, and screenshot it, at each size. `at`: a selector (or
    {width: selector}) to scroll to the top (or `block`) of the screenshot: the part of a long
    page this state is about."""
    assert state in dict(TRAVELLER_STATES + STAFF_STATES), f"{state} is not one of the states tested"
    tour.read_answers(state)
    tour.html[state] = page.content()
    for width, height in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        found = Axe().run(page, options=AXE_OPTIONS).response
        tour.violations[(state, width)] = found["violations"] + [
            dict(item, id=f"{item['id']} (needs review)") for item in found["incomplete"] if item["id"] not in UNDECIDABLE]
        # axe leaves empty style="" attributes behind; htmx copying them on the next boosted
        # page load would trip the Content-Security-Policy (style-src-attr) and report it.
        page.evaluate("document.querySelectorAll('[style=\"\"]').forEach(el => el.removeAttribute('style'))")
        selector = at.get(width) if isinstance(at, dict) else at
        if selector:
            page.locator(selector).first.evaluate("(el, block) => el.scrollIntoView({block})", block)
        else:
            page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=SCREENSHOTS / f"{state}-{width}.png", animations="disabled", caret="hide")


def choose_seat(page: Page, code: str) -> None:
    """Click a seat in the map, as a person with a mouse does."""
    page.locator(f"#seat-{code}").click()


def free_seats(page: Page) -> list[str]:
    """The seats the map shows as free for passenger 1, front to back."""
    return page.get_by_role("group", name="Seat for passenger 1").locator(
        ".seat input:not([disabled])").evaluate_all("els => els.map(el => el.value)")


def walk(page: Page, other: Page, app, tour: Tour) -> None:
    page.goto("/")
    look(page, tour, "01-search")
    travel_day = (date.today() + timedelta(days=3)).isoformat()
    page.goto(f"/flights?origin=Atlantis&destination=LHR&date={travel_day}&adults=1")
    expect(page.get_by_label("From")).to_have_value("Atlantis")
    look(page, tour, "01-search-error")
    page.goto("/")
    page.get_by_label("From").fill("BOS")  # not flown, nonstop or with one stop (JFK->CDG now connects)
    page.get_by_label("To", exact=True).fill("SIN")
    page.get_by_label("Departure date").fill(travel_day)
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("this route is not in our timetable")).to_be_visible()
    look(page, tour, "02-results-none")
    search(page)
    look(page, tour, "02-results", at="#results")

    select_first_flight(page)
    look(page, tour, "03-customise", at="#fare-panel")
    bags = page.get_by_label("Checked bags, passenger 1 (adult)")
    for choose in (lambda: page.get_by_role("radio", name=re.compile(r"^Comfort")).check(),
                   lambda: bags.select_option(bags.locator("option").nth(1).get_attribute("value")),
                   lambda: page.get_by_role("checkbox", name=re.compile(r"^Travel insurance")).check()):
        before = shown_total(page)
        choose()
        expect(total_element(page)).not_to_have_attribute("data-total", str(before))
    expect(page.locator("#price-summary")).not_to_have_attribute("aria-busy", "true")
    look(page, tour, "03-customise-extras", at="#bundle-panel")

    # Someone else takes the seat this traveller is about to click.
    wanted = free_seats(page)[0]
    search(other)
    select_first_flight(other)
    choose_seat(other, wanted)
    expect(other.locator("#seat-selected")).to_contain_text(f"Selected: {wanted}")
    choose_seat(page, wanted)
    expect(page.locator("#seat-error [role=alert]")).to_be_visible()
    look(page, tour, "03-customise-seat-taken", at="#seat-panel")
    seat = next(code for code in free_seats(page) if code != wanted)
    choose_seat(page, seat)
    expect(page.locator("#seat-selected")).to_contain_text(f"Selected: {seat}")
    look(page, tour, "03-customise-seats", at=f"#seat-{seat}", block="center")

    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.get_by_role("heading", name="Who is travelling?")).to_be_visible()
    look(page, tour, "04-passengers")
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.locator("[data-error-summary]")).to_be_focused()
    look(page, tour, "04-passengers-errors")
    fill_passenger(page)
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.get_by_role("heading", name="Review your booking")).to_be_visible()
    look(page, tour, "05-review")
    page.get_by_role("button", name=re.compile(r"^Continue to payment")).click()
    expect(page.locator("[data-error-summary]")).to_be_visible()
    look(page, tour, "05-review-errors")

    reference = accept_and_submit(page)
    expect(pay_button(page)).to_be_enabled()
    look(page, tour, "06-payment", at={390: "#payment-title"})
    pay_with(page, DECLINED)
    expect_awaiting_payment_after_failure(page, "Your card was declined")
    look(page, tour, "06-payment-declined", at="#payment-title")
    returns: list[str] = []
    page.on("request", lambda request: returns.append(request.url) if "/payment/return" in request.url else None)
    pay_with(page, NEEDS_3DS)
    three_d_secure(page).get_by_role("button", name="Complete authentication").click()
    expect_confirmed(page, reference)
    look(page, tour, "07-confirmation")
    other.goto(returns[0])
    expect(other.get_by_role("heading", name="Payment received")).to_be_visible()
    look(other, tour, "07-payment-outcome-elsewhere")
    # A return trip (issue 18): the flight tabs over the seat map, and the trip's summary.
    # From the walk's own travel day, not from today: the walk may cross midnight, and the
    # test catalogue holds only SEED_DAYS days of flights.
    back_day = (date.fromisoformat(travel_day) + timedelta(days=2)).isoformat()
    other.goto(f"/flights?origin=JFK&destination=LHR&date={travel_day}&return_date={back_day}&adults=1")
    for _ in range(2):  # the outbound, then the return
        other.get_by_role("button", name="Select").first.click()
    expect(other.get_by_role("heading", name="Customise your trip")).to_be_visible()
    flight_tab = other.get_by_role("navigation", name="Choose the flight").get_by_role("link").last
    flight_tab.click()
    expect(flight_tab).to_have_attribute("aria-current", "true")
    look(other, tour, "03-customise-trip", at="#seat-panel")

    page.goto("/manage")
    look(page, tour, "08-manage")
    page.get_by_label("Booking reference").fill(reference)
    page.get_by_label("Last name or email").fill("Babbage")
    page.get_by_role("button", name="Find my booking").click()
    expect(page.get_by_role("alert")).to_be_visible()
    look(page, tour, "08-manage-error")
    page.get_by_label("Last name or email").fill(TRAVELLER["Last name"])
    page.get_by_role("button", name="Find my booking").click()
    expect(page.get_by_role("heading", name=f"Booking {reference}")).to_be_visible()
    look(page, tour, "08-manage-booking")
    page.get_by_role("button", name="Cancel booking").click()
    expect(page.get_by_role("heading", name=f"Cancel booking {reference}?")).to_be_visible()
    look(page, tour, "08-manage-cancel")
    assert page.goto("/no-such-page").status == 404
    look(page, tour, "09-not-found")

    email = make_staff(app, "supervisor")
    page.goto("/staff/login")
    look(page, tour, "10-staff-sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_label("Authentication code")).to_be_visible()
    look(page, tour, "10-staff-code")
    page.get_by_label("Authentication code").fill(authenticator_code(app, email))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Bookings", exact=True)).to_be_visible()
    look(page, tour, "11-staff-bookings")
    page.get_by_role("link", name=reference).click()
    expect(page.get_by_role("heading", name=f"Booking {reference}")).to_be_visible()
    look(page, tour, "11-staff-booking")
    page.goto("/staff/dashboard")
    look(page, tour, "12-staff-dashboard")


@pytest.fixture(scope="module")
def tour(browser, live_server, app) -> Tour:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    seen = Tour()
    context, page = _new_page(browser, live_server)
    other_context, other = _new_page(browser, live_server)
    seen.keep_answers(page, live_server)
    seen.keep_answers(other, live_server)
    try:
        walk(page, other, app, seen)
    except Exception as error:  # the states after this one report it
        seen.stopped = f"{type(error).__name__}: {error}"[:2000]
    finally:
        other_context.close()
        context.close()
    return seen


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:8]:
            lines.append(f"    {' '.join(map(str, node['target']))}")
        if len(violation["nodes"]) > 8:
            lines.append(f"    … and {len(violation['nodes']) - 8} more")
    return "\n".join(lines)


def _params() -> list:
    params = []
    for state, words in TRAVELLER_STATES + STAFF_STATES:
        for width in SIZES:
            marks = ()
            if state in STAFF_KNOWN:
                marks = pytest.mark.xfail(strict=True, reason=f"staff layout being rebuilt: {STAFF_KNOWN[state]}")
            params.append(pytest.param(state, words, width, id=f"{state}-{width}", marks=marks))
    return params


@pytest.mark.parametrize("state, words, width", _params())
def test_axe_finds_no_violations(tour: Tour, state: str, words: str, width: int):
    assert (state, width) in tour.violations, f"the walk stopped before {state} ({words}): {tour.stopped}"
    violations = tour.violations[(state, width)]
    assert not violations, f"axe on {state} ({words}) at {width} px:\n{describe(violations)}"


def test_vnu_finds_no_errors(tour: Tour):
    """Every state of the walk, and every answer on the way, is valid HTML (issue 22),
    checked in one run of vnu."""
    assert tour.stopped is None, f"the walk stopped: {tour.stopped}"
    errors = vnu_errors(tour.html)
    assert not errors, f"vnu found {len(errors)} errors:\n" + "\n".join(errors)
