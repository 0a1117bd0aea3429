""""Add to calendar": the confirmed flight as an .ics file, read back with icalendar as a
calendar application would."""
from datetime import timezone

from icalendar import Calendar
from sqlalchemy import select

from checkout.extensions import db
from checkout.models import Booking
from tests.payments_support import pay_at_stripe


def _confirmed(checkout, app, destination="LAX") -> str:
    reference = checkout.to_pending(destination=destination)
    checkout.get(f"/booking/{reference}")  # the payment page makes the PaymentIntent
    with app.app_context():
        booking = db.session.execute(select(Booking).where(Booking.reference == reference)).scalar_one()
        pi = booking.payment_attempts[-1].payment_intent_id
        pay_at_stripe(pi, "4242424242424242")
    assert checkout.get(f"/payment/return?payment_intent={pi}&redirect_status=succeeded").status_code == 303
    return reference


def test_the_calendar_file_holds_the_flight_in_utc_with_a_stable_uid(checkout, app):
    reference = _confirmed(checkout, app)
    answer = checkout.get(f"/booking/{reference}/flight.ics")
    assert answer.status_code == 200 and answer.mimetype == "text/calendar"
    assert answer.headers["Content-Disposition"] == f'attachment; filename="Fly2Any-{reference}.ics"'

    calendar = Calendar.from_ical(answer.data)
    assert (str(calendar["version"]), str(calendar["method"])) == ("2.0", "PUBLISH")
    [event] = calendar.walk("VEVENT")
    with app.app_context():
        flight = db.session.execute(select(Booking).where(Booking.reference == reference)).scalar_one().flight
        number, departs, arrives = flight.flight_number, flight.departs_at, flight.arrives_at
    assert event.decoded("dtstart") == departs and event.decoded("dtend") == arrives
    assert event.decoded("dtstart").utcoffset() == timezone.utc.utcoffset(None)  # "Z": the same instant everywhere
    assert str(event["summary"]) == f"Flight {number} New York (JFK) to Los Angeles (LAX)"
    assert str(event["location"]) == "John F Kennedy International Airport (JFK)"
    assert str(event["description"]) == (f"Booking {reference}. "
                                         "Check in online from 24 hours before departure.")
    assert str(event["uid"]) == f"{reference}-{number}@fly2any"
    # Importing the file again updates the one event instead of adding a copy.
    again = Calendar.from_ical(checkout.get(f"/booking/{reference}/flight.ics").data)
    assert str(again.walk("VEVENT")[0]["uid"]) == str(event["uid"])
