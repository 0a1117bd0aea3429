"""The hold (issue 11 #10): its deadline in the origin airport's time, as text (no JavaScript
needed), and "more time" once per booking, on record."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from checkout.extensions import db
from checkout.models import Booking, BookingTransition
from checkout.presentation import local_time


def _booking() -> Booking:
    db.session.expire_all()
    return db.session.execute(select(Booking)).scalars().one()


def test_the_deadline_is_in_the_origin_time_and_the_hold_extends_once(checkout, app):
    checkout.select_first(origin="JFK", destination="LHR")
    html = checkout.get("/customize").get_data(as_text=True)
    with app.app_context():
        booking = _booking()
        before = booking.hold_expires_at
        shown = local_time(before, "America/New_York")
    assert re.search(rf"Held until\s*<time[^>]*>{shown} New York time</time>", html), html[:3000]
    assert "UTC</time>" not in html

    answer = checkout.post("/booking/extend-hold", {"back": "/customize"})
    assert answer.status_code == 303 and answer.location.endswith("/customize")
    html = checkout.get("/customize").get_data(as_text=True)
    assert "held for longer" in html
    with app.app_context():
        booking = _booking()
        assert booking.hold_expires_at == before + timedelta(minutes=app.config["HOLD_MINUTES"])
        assert booking.hold_extended_at is not None
        notes = db.session.execute(select(BookingTransition.note).where(BookingTransition.booking_id == booking.id)).scalars().all()
        assert any(note and note.startswith("hold extended") for note in notes)
        extended = booking.hold_expires_at
    assert "Hold for" not in html  # the offer is gone once used

    checkout.post("/booking/extend-hold", {"back": "/customize"})
    html = checkout.get("/customize").get_data(as_text=True)
    assert "already extended this hold once" in html
    with app.app_context():
        assert _booking().hold_expires_at == extended


# Where "Give me more time" sends the traveller back to: a path on this site, or the step.
REFUSED_BACKS = [
    "/\t/evil.example", "/\\evil.example", "\\\\evil.example", "//evil.example", "///evil.example",
    "https://evil.example/", "javascript:alert(1)", "/\r\nSet-Cookie: planted=1", "/\nx", "/\u3002evil.example",
    "/\u00e9t\u00e9", "/ /evil.example", "/" + "a" * 5000, "", "customize",
]
KEPT_BACKS = ["/%09/evil.example", "/customize?seat_for=0", "/passengers"]


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
def test_the_back_field_only_ever_sends_the_traveller_to_a_path_here(checkout, htmx):
    checkout.select_first(origin="JFK", destination="LAX")
    headers = {"HX-Request": "true"} if htmx else {}
    for back, expected in [(b, "/customize") for b in REFUSED_BACKS] + [(b, b) for b in KEPT_BACKS]:
        answer = checkout.post("/booking/extend-hold", {"back": back}, headers=headers)
        if htmx:
            assert (answer.status_code, answer.headers.get("HX-Redirect")) == (200, expected), repr(back)
        else:
            assert (answer.status_code, answer.location) == (303, expected), repr(back)
