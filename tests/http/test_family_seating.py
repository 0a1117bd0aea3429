"""A child without a seat next to an adult of the booking gets a clear warning before
review (issue 19): no seat chosen, or a seat with no adult beside it (same row, no aisle
between); seated side by side, no warning."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from checkout.bookings import seat_holds
from checkout.catalog.seatmaps import neighbours, seat_rows
from checkout.clock import utcnow
from checkout.extensions import db
from checkout.models import Booking


def _free_pair_and_lone_seat(app) -> tuple[str, str, str]:
    """Two free economy seats side by side, and a free one in another row."""
    with app.app_context():
        booking = db.session.execute(select(Booking).where(Booking.status == "DRAFT")).scalar_one()
        flight = booking.flight
        taken = seat_holds.unavailable_seats(flight.id, booking.id, utcnow())
        free = [s for cabin, _, blocks in seat_rows(flight.aircraft) if cabin == "economy"
                for block in blocks for s in block if s.code not in taken and s.seat_type == "standard"]
        beside = neighbours(flight.aircraft)
        first, second = next((a, b) for a in free for b in free if b.code in beside[a.code])
        lone = next(s for s in free if s.row != first.row)
        return first.code, second.code, lone.code


def _warning(checkout) -> str | None:
    html = checkout.get("/review").get_data(as_text=True)
    if 'id="children-apart"' not in html:
        return None
    block = html[html.index('id="children-apart"'):]
    return block[:block.index("</div>")]


def test_a_child_not_beside_an_adult_is_warned_about_before_paying(checkout, app):
    checkout.select_first(origin="JFK", destination="LAX", adults=1, children=1)
    child_born = date(date.today().year - 8, 1, 1).isoformat()
    checkout.get("/passengers")
    form = checkout.passengers_form([("Ada", "Lovelace", "1985-12-10"), ("Byron", "Lovelace", child_born)],
                                    international=False)
    assert checkout.post("/passengers", form).status_code == 303
    warning = _warning(checkout)
    assert warning and "A child is not seated next to an adult." in warning
    assert "Byron Lovelace (child) on FA" in warning and "no seat chosen" in warning

    adult_seat, child_seat, lone = _free_pair_and_lone_seat(app)
    for position, seat in ((0, adult_seat), (1, lone)):
        checkout.post("/customize", {"action": "update", "seat_passenger": str(position), "seat": seat})
    warning = _warning(checkout)
    assert warning and f"seat {lone}, with no adult of your booking beside it" in warning

    checkout.post("/customize", {"action": "update", "seat_passenger": "1", "seat": child_seat})
    assert _warning(checkout) is None  # side by side: nothing to warn about
