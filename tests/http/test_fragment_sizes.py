"""What a change on the customise step sends back to the browser (issue 9: fragment size).

Three adults on the 787-9 (SFO -> NRT, the biggest seat map we draw). Each htmx answer
carries only what the change changed, out of band, and stays under 8 KB uncompressed: a
seat click never re-sends the seat map. Seats come from the database, never hard-coded.
The seat-map tab is the one read fragment that must carry a whole cabin: its budget is the
8 KB on the wire, compressed (docs/adr/0096-seat-map-tab-8-kb.md).
"""
import gzip
import re

import brotli
import pytest

from checkout.extensions import db
from checkout.models import Booking
from sqlalchemy import select
from tests.capacity_support import flight_on, free_seats

BUDGET = 8192
HTMX = {"HX-Request": "true"}
ROUTE = {"origin": "SFO", "destination": "NRT"}  # FA300, a Boeing 787-9


def _three_adults_on_the_787(checkout, app) -> list[str]:
    checkout.select_first(**ROUTE, adults=3)
    with app.app_context():
        booking = db.session.execute(select(Booking)).scalars().one()
        assert booking.flight.aircraft == "B789"
        return free_seats(flight_on("FA300"), "economy")


def _fragment(response) -> str:
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:500]
    assert "<html" not in html
    size = len(response.get_data())
    assert size <= BUDGET, f"{size} bytes"
    return html


def _seat_inputs(html: str) -> int:
    return len(re.findall(r'<input[^>]+name="seat"', html))


def test_the_full_page_draws_the_whole_seat_map(checkout, app):
    _three_adults_on_the_787(checkout, app)
    html = checkout.get("/customize").get_data(as_text=True)
    assert _seat_inputs(html) > 200  # 787-9: 28 business + 234 economy seats (+ "no seat")


def test_a_seat_change_sends_only_the_seats_that_changed_and_the_total(checkout, app):
    free = _three_adults_on_the_787(checkout, app)
    first, second = free[0], free[1]
    html = _fragment(checkout.post("/customize/seat", {"seat_passenger": "0", "seat": first}, headers=HTMX))
    assert f'id="seat-{first}"' in html and 'id="price-summary"' in html
    assert _seat_inputs(html) <= 3, "the answer re-sent the seat map"  # the seat, and "no seat choice"
    assert re.search(rf"Selected: (<[^>]+>)?{first}\b", html)
    # Moving to another seat redraws the one given back and the one taken.
    html = _fragment(checkout.post("/customize/seat", {"seat_passenger": "0", "seat": second}, headers=HTMX))
    assert f'id="seat-{first}"' in html and f'id="seat-{second}"' in html
    assert _seat_inputs(html) <= 3
    # Each seat is swapped out of band, replacing its twin by id.
    for code in (first, second):
        assert re.search(rf'<label id="seat-{code}"[^>]* data-hx-swap-oob="true"', html)


def test_a_fare_change_in_the_same_cabin_leaves_the_seat_map_alone(checkout, app):
    _three_adults_on_the_787(checkout, app)
    html = _fragment(checkout.post("/customize/fare", {"fare_family": "FLEX"}, headers=HTMX))
    assert 'id="price-summary"' in html and 'id="extras-panel"' in html  # the bag allowance text
    assert 'id="fare-total-FLEX"' in html
    assert 'id="seat-legend"' in html  # seat prices depend on the fare
    assert _seat_inputs(html) == 0


def test_bundle_and_bag_changes_stay_small(checkout, app):
    _three_adults_on_the_787(checkout, app)
    html = _fragment(checkout.post("/customize/bundle", {"bundle": "COMFORT"}, headers=HTMX))
    assert 'id="price-summary"' in html and 'id="seat-legend"' in html and _seat_inputs(html) == 0
    html = _fragment(checkout.post("/customize/extras", {"extras_shown": "1", "bags-0": "2", "bags-1": "0", "bags-2": "0"},
                                   headers=HTMX))
    assert 'id="price-summary"' in html and _seat_inputs(html) == 0


def test_without_javascript_a_seat_is_saved_and_the_map_comes_back_at_the_seat(checkout, app):
    free = _three_adults_on_the_787(checkout, app)
    response = checkout.post("/customize", {"action": "update", "seat_passenger": "1", "seat": free[0]})
    assert response.status_code == 303
    assert response.location == f"/customize?seat_for=1#seat-{free[0]}"
    html = checkout.get("/customize?seat_for=1").get_data(as_text=True)
    assert re.search(rf'value="{free[0]}"[^>]* checked', html)


def test_seating_the_next_passenger_redraws_only_the_seats_that_look_different_to_them(checkout, app):
    free = _three_adults_on_the_787(checkout, app)
    checkout.post("/customize/seat", {"seat_passenger": "0", "seat": free[0]}, headers=HTMX)
    html = _fragment(checkout.get("/customize?seat_for=1&shown_for=0", headers=HTMX))
    assert "Seat for passenger 2" in html and 'name="seat_passenger" value="1"' in html
    # Passenger 1's seat is now "your party" (not to be chosen again); nothing else changed.
    assert re.search(rf'<label id="seat-{free[0]}" class="seat party[^>]* data-hx-swap-oob="true"', html)
    assert _seat_inputs(html) <= 2


def test_a_fare_change_to_another_cabin_sends_a_placeholder_that_fetches_the_new_map(checkout, app):
    _three_adults_on_the_787(checkout, app)
    html = _fragment(checkout.post("/customize/fare", {"fare_family": "BUSINESS"}, headers=HTMX))
    assert 'id="price-summary"' in html and 'id="fare-total-BUSINESS"' in html and 'id="extras-panel"' in html
    assert _seat_inputs(html) == 0, "the answer re-sent the seat map"
    placeholder = re.search(r'<fieldset id="seat-panel"[^>]*>', html).group(0)
    assert 'data-hx-swap-oob="true"' in placeholder and 'data-hx-trigger="load"' in placeholder
    tab = re.search(r'data-hx-get="([^"]+)"', placeholder).group(1).replace("&amp;", "&")
    # What it fetches is the seat-map tab: the business cabin's seats, to choose from.
    seat_map = checkout.get(tab, headers=HTMX)
    assert seat_map.status_code == 200 and "<html" not in seat_map.get_data(as_text=True)
    with app.app_context():
        business = free_seats(flight_on("FA300"), "business")
    chooseable = re.findall(r'<input[^>]+name="seat" value="(\w+)"(?![^>]*disabled)', seat_map.get_data(as_text=True))
    assert set(business) <= set(chooseable)
    # Without JavaScript the same change redirects to the whole page, map included.
    response = checkout.post("/customize/fare", {"fare_family": "STANDARD"})
    assert response.status_code == 303 and _seat_inputs(checkout.get(response.location).get_data(as_text=True)) > 200


@pytest.mark.parametrize("encoding, decode", [("br", brotli.decompress), ("gzip", gzip.decompress)])
def test_the_seat_map_tab_carries_the_whole_map_in_8_kb_on_the_wire(checkout, app, encoding, decode):
    _three_adults_on_the_787(checkout, app)
    response = checkout.get("/customize?seat_for=1", headers={**HTMX, "Accept-Encoding": encoding})
    assert response.status_code == 200 and response.headers["Content-Encoding"] == encoding
    assert len(response.data) <= BUDGET, f"{len(response.data)} bytes {encoding}"
    html = decode(response.data).decode()
    assert "<html" not in html and "Seat for passenger 2" in html
    assert _seat_inputs(html) > 200  # every seat of both cabins, as on the full page
