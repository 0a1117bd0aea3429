"""The confirmation page (issue 11 #11): a clear success state, the e-ticket as the main
action, the flight for the traveller's calendar, and the way to manage the booking."""
from __future__ import annotations

import pytest
from icalendar import Calendar
from playwright.sync_api import Page, expect

from checkout.extensions import db
from checkout.models import Booking
from sqlalchemy import select
from tests.browser.flow import to_pending_booking
from tests.browser.test_payment_flow import SUCCEEDS, expect_confirmed, pay_with

pytestmark = pytest.mark.browser


def test_the_confirmation_says_booked_and_offers_ticket_calendar_and_manage(page: Page, app):
    reference = to_pending_booking(page, destination="LAX")
    pay_with(page, SUCCEEDS)
    expect_confirmed(page, reference)
    expect(page.get_by_role("heading", name="You're booked", level=1)).to_be_visible()

    # The reference is on one line, even on a small phone.
    page.set_viewport_size({"width": 320, "height": 700})
    shown = page.locator(".reference")
    line_height = float(shown.evaluate("el => parseFloat(getComputedStyle(el).lineHeight) || el.offsetHeight"))
    assert shown.bounding_box()["height"] < 1.5 * line_height
    page.set_viewport_size({"width": 1280, "height": 800})

    # The e-ticket is the primary button: filled with the brand colour, white text.
    ticket = page.get_by_role("link", name="Download e-ticket")
    styles = ticket.evaluate("el => [getComputedStyle(el).backgroundColor, getComputedStyle(el).color]")
    assert styles == ["rgb(11, 92, 173)", "rgb(255, 255, 255)"], styles

    manage = page.get_by_role("link", name="Manage booking")
    expect(manage).to_have_attribute("href", f"/manage?reference={reference}")

    calendar = page.get_by_role("link", name="Add to calendar")
    answer = page.request.get(calendar.get_attribute("href"))
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("text/calendar")
    [event] = Calendar.from_ical(answer.body()).walk("VEVENT")
    with app.app_context():
        flight = db.session.execute(select(Booking).where(Booking.reference == reference)).scalar_one().flight
        departs, arrives, number = flight.departs_at, flight.arrives_at, flight.flight_number
    assert event.decoded("dtstart") == departs and event.decoded("dtend") == arrives
    assert str(event["summary"]) == f"Flight {number} New York (JFK) to Los Angeles (LAX)"
    assert str(event["location"]).endswith("(JFK)") and str(event["uid"]) == f"{reference}-{number}@fly2any"

    # Like the e-ticket, only the browser that made the booking gets it.
    assert app.test_client().get(calendar.get_attribute("href")).status_code == 404
