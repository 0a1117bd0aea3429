"""On a phone every seat of a 3-3-3 economy row is visible without scrolling sideways, and
the four fares can be compared (issue 19): at 320 and 390 px the seat map draws compact
seats, row numbers and aisles, as airline apps do, and the fare table fits its box."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.flow import search, select_first_flight

pytestmark = pytest.mark.browser

# For each of the map's rows with nine seats: the seats whose box is cut off by the map's
# visible box, and the map's own sideways overflow.
CUT_OFF = """() => {
  const map = document.querySelector('.seat-map');
  const box = map.getBoundingClientRect();
  const rows = Array.from(map.querySelectorAll('.seat-row[role=group]')).filter(r => r.querySelectorAll('.seat').length === 9);
  const cut = [];
  for (const row of rows) for (const seat of row.querySelectorAll('.seat')) {
    const r = seat.getBoundingClientRect();
    if (r.left < box.left - 0.5 || r.right > box.right + 0.5) cut.push(seat.id);
  }
  const small = Array.from(map.querySelectorAll('.seat')).filter(s => {
    const r = s.getBoundingClientRect(); return r.width < 24 || r.height < 24; }).map(s => s.id);
  return {rows: rows.length, cut: cut.slice(0, 9), overflow: map.scrollWidth - map.clientWidth, small: small.slice(0, 5)};
}"""

FARES_CUT_OFF = """() => {
  const panel = document.querySelector('#fare-panel');
  const box = panel.getBoundingClientRect();
  const inside = el => { const r = el.getBoundingClientRect();
    return r.width > 0 && r.left >= box.left - 0.5 && r.right <= box.right + 0.5 && el.scrollWidth <= el.clientWidth + 1; };
  return Array.from(panel.querySelectorAll('input[name=fare_family]')).filter(input =>
    !inside(input.closest('label')) || !inside(document.getElementById('fare-total-' + input.value))
  ).map(input => input.value);
}"""


@pytest.mark.parametrize("width", [320, 390])
def test_every_seat_of_a_three_three_three_row_and_every_fare_fit_a_phone(page: Page, width: int):
    search(page)  # JFK-LHR's wide-body: nine economy seats a row
    select_first_flight(page)
    page.set_viewport_size({"width": width, "height": 844})
    expect(page.locator(".seat-map")).to_be_visible()
    found = page.evaluate(CUT_OFF)
    assert found["rows"] > 10, found
    assert found["cut"] == [] and found["overflow"] <= 0, found
    assert found["small"] == [], found  # still at least 24 px a side (WCAG 2.2 target size)
    assert page.evaluate(FARES_CUT_OFF) == []
