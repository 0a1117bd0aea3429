"""Search and results: full page or fragment, full-fare prices, clear errors."""
import re

from tests.conftest import travel_day


def test_home_page_has_the_search_form(client):
    html = client.get("/").get_data(as_text=True)
    for label in ("From", "To", "Departure date", "Adults", "Children", "Infants"):
        assert f">{label}</label>" in html
    assert ">Search</button>" in html


def test_results_page_lists_flights_in_local_time_with_total_prices(client):
    response = client.get(f"/flights?origin=JFK&destination=LHR&date={travel_day()}&adults=2")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html
    assert html.count(">Select</button>") >= 2
    assert "FA100" in html and "<strong>08:15</strong> JFK" in html  # local departure time at JFK
    assert "+1 day" in html  # the evening flight lands in London the next day
    assert "taxes and fees included" in html
    assert response.headers["Vary"].count("HX-Request") == 1


def test_htmx_search_returns_only_the_results_fragment(client):
    response = client.get(f"/flights?origin=JFK&destination=LAX&date={travel_day()}&adults=1",
                          headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and 'id="results"' in html and ">Select</button>" in html


def test_city_names_resolve_to_airports(client):
    html = client.get(f"/flights?origin=New+York&destination=London&date={travel_day()}").get_data(as_text=True)
    # A city is every airport we serve there (airportsdata's city), a code is that airport alone.
    assert "New York (JFK, LGA) to London (LCY, LGW, LHR, LTN, STN)" in html


def test_bad_search_is_422_with_messages_and_keeps_what_was_typed(client):
    response = client.get(f"/flights?origin=Atlantis&destination=LHR&date={travel_day()}&adults=2&infants=3")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "We don&#39;t fly to or from “Atlantis”" in html or "We don't fly to or from “Atlantis”" in html
    assert "no more infants than adults" in html
    assert 'value="Atlantis"' in html and 'value="LHR"' in html


def _element(html: str, element_id: str) -> tuple[str, str]:
    """The opening tag and the inner HTML of the element with this id (no nesting of its own tag)."""
    match = re.search(rf'<(\w+)\b([^>]*\bid="{element_id}"[^>]*)>(.*?)</\1>', html, re.S)
    assert match, f"no element with id {element_id!r} in the answer"
    return match.group(2), match.group(3)


def test_htmx_bad_search_updates_the_form_out_of_band(client):
    day = travel_day()
    response = client.get(f"/flights?origin=JFK&destination=jfk&date={day}&adults=2&children=1",
                          headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in html
    # The swap target is emptied: no results for a search that was not run.
    _, results = _element(html, "results")
    assert ">Select</button>" not in results
    # The search form comes back out of band, with the message beside the field and what was typed.
    panel_tag, panel = _element(html, "search-panel")
    assert 'data-hx-swap-oob="true"' in panel_tag
    assert re.search(r'id="destination-error">Choose a destination different from where you fly from\.</span>', panel)
    assert re.search(r'<input [^>]*name="origin" [^>]*value="JFK"', panel)
    assert re.search(r'<input [^>]*name="destination" [^>]*value="jfk"', panel)
    assert re.search(rf'<input [^>]*name="date" [^>]*value="{day.isoformat()}"', panel)
    assert re.search(r'name="adults">.*?<option selected value="2">', panel, re.S)
    assert re.search(r'name="children">.*?<option selected value="1">', panel, re.S)


def test_airport_suggestions_are_options(client):
    html = client.get("/airports/suggest?origin=Lond").get_data(as_text=True)
    assert re.search(r'<option value="LHR – London">', html)
    assert "<html" not in html


def test_selecting_a_flight_without_csrf_token_is_refused(client):
    assert client.post("/select", data={"offer_id": "off_1"}).status_code == 400


def test_the_first_fare_quote_says_bag_fees_may_apply_and_shows_them(checkout):
    """14 CFR 399.85(b): the first page quoting a fare says that bag fees may apply and where
    to see them; here, each fare's carry-on and first and second checked bag."""
    html = checkout.search().get_data(as_text=True)
    assert 'Bag fees may apply: <a href="#bag-fees">see the bag fees of each fare</a>.' in html
    table = html[html.index('id="bag-fees"'):]
    table = table[:table.index("</table>")]
    rows = {re.sub(r"<[^>]+>", "|", row).strip("|").split("|")[0]: re.findall(r"<td>([^<]*)</td>", row)
            for row in re.findall(r"<tr><th scope=\"row\">.*?</tr>", table)}
    assert rows["Basic"] == ["Not available", "$35.00", "$45.00"]
    assert rows["Standard"][1:] == ["Included", "$45.00"]
