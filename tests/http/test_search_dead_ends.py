"""Search never ends in a dead end (issue 19): a week with no flights offers the nearest days
that have some, as links that find them; the date pickers offer only the days we sell."""
import re
from datetime import date, timedelta
from html import unescape

from checkout.catalog.forms import SALES_WINDOW_DAYS


def _links(html: str) -> list[tuple[str, str]]:
    block = html[html.index('<ul class="nearest-days">'):]
    block = block[:block.index("</ul>")]
    return [(unescape(url), words) for url, words in re.findall(r'<a href="([^"]+)">([^<]+)</a>', block)]


def test_a_week_without_flights_links_the_nearest_day_with_flights(checkout):
    far = date.today() + timedelta(days=200)  # in the sales window, long after the seeded days
    html = checkout.search(day=far).get_data(as_text=True)
    assert "The nearest day with flights:" in html or "The nearest days with flights:" in html
    assert "this route is not in our timetable" not in html
    [(url, words)] = _links(html)  # nothing is seeded after it: only the day before
    day = date.fromisoformat(re.search(r"date=(\d{4}-\d\d-\d\d)", url).group(1))
    assert date.today() <= day < far
    found = checkout.get(url).get_data(as_text=True)
    assert re.search(r'<div class="times">', found)  # that day has flights to choose
    assert "No flights in the week around" not in found


def test_a_route_never_flown_says_so_without_links(checkout):
    html = checkout.search(origin="BOS", destination="SIN").get_data(as_text=True)
    assert "on any day we sell: this route is not in our timetable" in html
    assert 'class="nearest-days"' not in html


def test_the_date_pickers_offer_only_the_days_we_sell(checkout):
    html = checkout.get("/").get_data(as_text=True)
    first, last = date.today() - timedelta(days=1), date.today() + timedelta(days=SALES_WINDOW_DAYS)
    for name in ("date", "return_date"):
        field = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', html).group(0)
        assert f'min="{first.isoformat()}"' in field and f'max="{last.isoformat()}"' in field, field
