"""Trips in search (issue 18): return and multi-city chosen slice by slice in the URL,
one-stop connections built from the timetable, city names, filters, sorts, the price strip."""
import html as html_lib
import re
from datetime import timedelta
from urllib.parse import urlencode

from sqlalchemy import select

from checkout.extensions import db
from checkout.models import Flight
from tests.capacity_support import cabins, flight_on  # noqa: F401 (a fixture)
from tests.conftest import travel_day


def _get(client, **query):
    query.setdefault("date", travel_day().isoformat())
    return client.get("/flights?" + urlencode(query))


def _text(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:3000]
    return response.get_data(as_text=True)


def _offers(html: str) -> list[str]:
    """Each result's flights as shown ("FA100", "FA100 + FA150"), in the order listed."""
    return re.findall(r'<div class="muted">([A-Z0-9 +]+) · \d+h \d\dm', html)


def _from_prices(html: str) -> list[int]:
    return [int(p.replace(",", "").replace(".", ""))
            for p in re.findall(r'class="from-price">(?:trip )?from <strong>\$([\d,.]+)</strong>', html)]


def _next_step(html: str, index: int = 0) -> str:
    """The query the index-th result's Select (a GET form: no server state) leads to."""
    forms = re.findall(r'<form method="get" action="/flights" class="select-form".*?</form>', html, re.S)
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', forms[index])
    return "/flights?" + urlencode([(n, html_lib.unescape(v)) for n, v in fields])


def _flight(app, number, day):
    with app.app_context():
        flights = db.session.execute(select(Flight).where(Flight.flight_number == number)).scalars().all()
        found = [f for f in flights if f.departure_date == day][0]
        db.session.expunge_all()
        return found


def test_a_return_trip_is_the_outbound_then_the_return_each_with_the_trips_total(client, app):
    day = travel_day()
    first = _text(_get(client, origin="JFK", destination="LHR", return_date=(day + timedelta(days=2)).isoformat(),
                       adults=2))
    assert "Choose your outbound flight" in first and ">Return date</label>" in first
    assert 'name="offer_id"' not in first  # nothing to book until the return is chosen
    assert _offers(first) == ["FA100", "FA104"]
    outbound_trip_price = _from_prices(first)[0]
    second = _text(client.get(_next_step(first, 0)))
    assert "Choose your return flight" in second and "Change flight 1</a>" in second
    assert set(_offers(second)) >= {"FA101", "FA105"}  # back to JFK
    # The outbound's price was the trip's from its cheapest return: here that return's trip total.
    assert min(_from_prices(second)) == outbound_trip_price
    offer_ids = re.findall(r'name="offer_id" value="(off_\d+_\d+)"', second)
    out = _flight(app, "FA100", day)
    assert offer_ids and all(o.startswith(f"off_{out.id}_") for o in offer_ids)
    # Back to the outbound list is a link (the URL holds the choice).
    change = html_lib.unescape(re.search(r'<a href="([^"]+)">Change flight 1</a>', second).group(1))
    assert "chosen" not in change and "Choose your outbound flight" in _text(client.get(change))


def test_one_way_select_still_starts_a_booking(checkout):
    offer_id = checkout.select_first(origin="JFK", destination="LHR")
    assert re.fullmatch(r"off_\d+", offer_id)


def test_jfk_to_paris_connects_in_london_with_the_layover(client, app):
    day = travel_day()
    html = _text(_get(client, origin="JFK", destination="CDG"))
    assert "FA100 + FA150" in _offers(html) and "not in our timetable" not in html
    first, second = _flight(app, "FA100", day), _flight(app, "FA150", day)
    minutes = int((second.departs_at - first.arrives_at).total_seconds() // 60)
    shown = f"{minutes // 60} h" + (f" {minutes % 60} min" if minutes % 60 else "")  # "1 h 35 min", "3 h"
    assert f"{shown} in London (LHR)" in html
    assert "1 stop" in html
    assert f'name="offer_id" value="off_{first.id}-{second.id}"' in html
    # The whole city: Paris is CDG and ORY, so Gatwick to Orly is found too.
    paris = _text(_get(client, origin="JFK", destination="Paris"))
    assert {"FA100 + FA150", "FA110 + FA160"} <= set(_offers(paris))
    assert "Paris (CDG, ORY)" in paris


def test_a_connection_is_sold_out_when_one_of_its_flights_is(client, app, cabins):
    with app.app_context():
        shuttle = flight_on("FA150")  # an A321: economy only
        cabins.fill(shuttle, "economy", leave=1)
        first, second = flight_on("FA100").id, shuttle.id
    html = _text(_get(client, origin="JFK", destination="CDG", adults=2))
    listed = re.search(r'FA100 \+ FA150 · .*?</li>\s*</ol>|FA100 \+ FA150 · .*?<li class="offer">', html, re.S).group(0)
    assert "<strong>Sold out</strong> for 2 seated passengers" in listed
    assert f'value="off_{first}-{second}"' not in html
    assert "1 seat left" in _text(_get(client, origin="JFK", destination="CDG", adults=1))


def test_only_connections_within_the_connection_rules_are_offered(client):
    html = _text(_get(client, origin="JFK", destination="FRA"))
    offered = _offers(html)
    assert "FA104 + FA172" in offered  # lands 07:30, leaves 12:00
    assert "FA104 + FA170" not in offered  # 25 minutes at Heathrow: under the 90 an international change needs
    assert not [o for o in offered if o.startswith("FA600")]  # Miami to Frankfurt leaves over 6 hours later
    domestic = _offers(_text(_get(client, origin="LAX", destination="JFK")))
    assert "FA801 + FA621" in domestic  # 75 minutes at O'Hare: enough for a domestic change


def test_city_names_search_every_airport_of_the_city(client):
    london = _text(_get(client, origin="JFK", destination="London"))
    assert "London (LCY, LGW, LHR, LTN, STN)" in london
    assert {"FA100", "FA104", "FA110"} <= set(_offers(london))  # Heathrow and Gatwick
    tokyo = _text(_get(client, origin="LAX", destination="tokyo"))
    assert "Tokyo (HND, NRT)" in tokyo
    assert {"FA310", "FA700 + FA300"} <= set(_offers(tokyo))  # Haneda nonstop, Narita via San Francisco
    options = client.get("/airports/suggest?destination=Lond").get_data(as_text=True)
    assert '<option value="London">All airports in London</option>' in options


def test_nothing_found_names_the_airports_searched_and_offers_the_whole_city(client):
    html = _text(_get(client, origin="BOS", destination="Tokyo"))
    assert "not in our timetable" in html and "We searched from BOS to HND, NRT, nonstop and with one stop" in html
    html = _text(_get(client, origin="LGA", destination="SIN"))
    link = re.search(r'<a href="([^"]+)">Search every airport in New York</a>', html)
    assert "We searched from LGA to SIN" in html and link
    assert "origin=New+York" in html_lib.unescape(link.group(1))


def test_filters_and_sorts_change_the_results(client):
    tokyo = dict(origin="LAX", destination="Tokyo")
    assert _offers(_text(_get(client, stops="0", **tokyo))) == ["FA310"]
    assert _offers(_text(_get(client, stops="1", **tokyo))) == ["FA700 + FA300"]
    assert _offers(_text(_get(client, departs_after="10", **tokyo))) == ["FA310"]  # FA700 leaves at 08:00
    cheapest = min(_from_prices(_text(_get(client, **tokyo))))
    assert _offers(_text(_get(client, max_price=str((cheapest + 99) // 100), **tokyo))) != []
    assert "No flights match these filters" in _text(_get(client, max_price=str((cheapest - 1) // 100), **tokyo))
    london = dict(origin="JFK", destination="London")
    assert _offers(_text(_get(client, **london))) == ["FA100", "FA110", "FA104"]
    assert _offers(_text(_get(client, sort="price", **london))) == ["FA110", "FA104", "FA100"]
    assert _offers(_text(_get(client, sort="duration", **london))) == ["FA110", "FA100", "FA104"]
    bad = _get(client, departs_after="12", departs_before="9", **tokyo)
    assert bad.status_code == 422 and "Choose a time later than" in bad.get_data(as_text=True)


def test_without_javascript_apply_filters_submits_the_search_with_them(client):
    html = _text(_get(client, origin="LAX", destination="Tokyo"))
    form = re.search(r'<form method="get" action="/flights" class="sort-form".*?</form>', html, re.S).group(0)
    assert ">Apply filters</button>" in form and 'data-hx-trigger="change, submit"' in form  # htmx: on each change
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form)
    query = [(n, html_lib.unescape(v)) for n, v in fields] + [("sort", "departure"), ("stops", "0")]
    assert _offers(_text(client.get("/flights?" + urlencode(query)))) == ["FA310"]
    fragment = client.get("/flights?" + urlencode(query), headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and _offers(fragment) == ["FA310"]


def test_the_price_strip_shows_seven_days_with_the_lowest_price(client):
    day = travel_day()
    html = _text(_get(client, origin="JFK", destination="London"))
    strip = re.search(r'<nav class="price-strip".*?</nav>', html, re.S).group(0)
    days = re.findall(r'<li( aria-current="date")?>(.*?)</li>', strip, re.S)
    assert len(days) == 7 and days[3][0]  # three days either side of the date
    today_price = re.search(r'class="strip-price">\$([\d,.]+)<', days[3][1]).group(1)
    assert int(today_price.replace(",", "").replace(".", "")) == min(_from_prices(html))
    later = (day + timedelta(days=1)).isoformat()
    link = re.search(rf'<a href="([^"]*date={later}[^"]*)"', strip)
    assert link and _offers(_text(client.get(html_lib.unescape(link.group(1)))))


def test_a_return_date_before_the_departure_is_422_and_keeps_what_was_typed(client):
    day = travel_day()
    response = _get(client, origin="JFK", destination="London", return_date=(day - timedelta(days=1)).isoformat(),
                    adults="2")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The return date must be on or after the departure date." in html
    assert re.search(r'<input [^>]*name="destination" [^>]*value="London"', html)
    assert re.search(rf'<input [^>]*name="return_date" [^>]*value="{(day - timedelta(days=1)).isoformat()}"', html)
    assert re.search(r'name="adults">.*?<option selected value="2">', html, re.S)


def test_a_multi_city_trip_of_three_flights_is_chosen_one_by_one(client, app):
    day = travel_day(1)
    query = {"trip": "multi", "origin": "JFK", "destination": "LHR", "date": day.isoformat(),
             "legs-0-origin": "London", "legs-0-destination": "Paris", "legs-0-date": (day + timedelta(days=1)).isoformat(),
             "legs-1-origin": "CDG", "legs-1-destination": "New York",
             "legs-1-date": (day + timedelta(days=3)).isoformat(), "legs-2-origin": "", "legs-2-destination": ""}
    home = client.get("/?" + urlencode({"trip": "multi"})).get_data(as_text=True)
    assert "<legend>Flight 4</legend>" in home  # the rows come from the server, no JavaScript needed
    html = _text(client.get("/flights?" + urlencode(query)))
    assert "Choose flight 1 of 3" in html
    html = _text(client.get(_next_step(html)))
    assert "Choose flight 2 of 3" in html and "Paris (CDG, ORY)" in html
    html = _text(client.get(_next_step(html)))
    assert "Choose flight 3 of 3" in html and "FA401 + FA621" in _offers(html)  # via Chicago
    offer_ids = re.findall(r'name="offer_id" value="(off_[\d-]+_[\d-]+_[\d-]+)"', html)
    assert offer_ids  # the final Select posts the whole trip


def test_rows_of_a_multi_city_trip_are_not_read_for_a_return_trip(client):
    response = _get(client, origin="JFK", destination="LHR", **{"legs-0-date": "not a date"})
    assert response.status_code == 200


def test_a_chosen_flight_not_in_the_search_is_422_and_starts_again(client):
    response = _get(client, origin="JFK", destination="LHR", return_date=travel_day(4).isoformat(), chosen="off_999999")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Please choose again" in html and "Choose your outbound flight" in html
