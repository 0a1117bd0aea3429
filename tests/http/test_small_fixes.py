"""The small ones of issue 11 #14: honest empty results, sorting without JavaScript, a
reference typed with a space, our own 404 page, a favicon."""
import re

import pytest

from tests.conftest import travel_day
from tests.http.test_manage import _booking, address, lookup  # noqa: F401 (address is a fixture)


def _prices(html: str) -> list[int]:
    return [int(p.replace(",", "").replace(".", ""))
            for p in re.findall(r'class="from-price">from <strong>\$([\d,.]+)</strong>', html)]


def _departures(html: str) -> list[str]:
    return re.findall(r'<div class="times">\s*<strong>(\d\d:\d\d)</strong>', html)


def test_a_route_we_never_fly_says_so(checkout):
    # (JFK to CDG was this test's route until connections: it is now a one-stop via London.)
    html = checkout.search(origin="BOS", destination="SIN").get_data(as_text=True)
    assert "this route is not in our timetable" in html
    assert "daily" not in html


def test_results_sort_by_price_or_departure_with_a_plain_get(checkout):
    day = travel_day().isoformat()
    base = f"/flights?origin=JFK&destination=LHR&date={day}&adults=1&children=0&infants=0"
    html = checkout.get(base).get_data(as_text=True)
    assert '<select id="sort" name="sort">' in html and ">Sort</button>" in html
    by_time = _departures(html)
    assert len(by_time) >= 2 and by_time == sorted(by_time)
    by_price = checkout.get(base + "&sort=price").get_data(as_text=True)
    prices = _prices(by_price)
    assert prices == sorted(prices) and len(prices) == len(by_time)
    # JFK -> LHR: the evening flight's base fare is lower, so the two orders differ.
    assert _departures(by_price) != by_time
    assert 'value="price" selected' in by_price
    assert checkout.get(base + "&sort=nonsense").status_code == 200


@pytest.mark.parametrize("typed", ["FLY2A {code}", "fly2a-{code_lower}", "{head} {tail}", " fly2a {head} {tail} "])
def test_manage_finds_a_reference_typed_with_spaces_or_lower_case(checkout, app, address, typed):
    _, reference, _ = _booking(app)
    code = reference.split("-")[1]
    text = typed.format(code=code, code_lower=code.lower(), head=code[:3], tail=code[3:])
    response = lookup(checkout, text, "Lovelace", address)
    assert response.status_code == 303 and response.location == f"/manage/{reference}"


def test_an_unknown_page_has_calm_words_and_a_way_home(client):
    response = client.get("/no-such-page")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "We can&#39;t find that page" in html and "Nothing you booked is affected" in html
    assert "requested URL" not in html
    assert 'href="/">Back to flight search</a>' in html


def test_a_booking_page_not_found_keeps_its_own_explanation(client):
    html = client.get("/booking/FLY2A-ZZZZZZ").get_data(as_text=True)
    assert "We couldn&#39;t find that booking in this browser." in html


def test_the_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert 'rel="icon"' in client.get("/").get_data(as_text=True)
