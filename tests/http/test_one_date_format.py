"""One date format wherever a person reads a date (issue 11 #9): "Tue 1 Dec 2026", and
"Tue 1 Dec 2026, 14:05 UTC" where a time goes with it. One booking is walked through the
traveller's pages, its emails, e-ticket and the staff page; no ISO date (2026-12-01) is left in
what a person reads. Machine formats stay ISO: <time datetime>, input values, the JSON API."""
from __future__ import annotations

import re
from datetime import date
from html import unescape

import pytest
from sqlalchemy import select

from checkout.clock import utcnow
from checkout.extensions import db
from checkout.models import Booking, OutboxEmail
from checkout.notifications.eticket import render_eticket_html
from checkout.notifications.sender import build_message
from checkout.payments import gateway
from checkout.payments import service as payments
from tests.conftest import ACKS, travel_day
from tests.payments_support import pay_at_stripe, pending_booking
from tests.staff_support import StaffClient, make_staff

SUCCEEDS, DECLINED = "4242424242424242", "4000000000000002"
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
WEEKDAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
ONE_FORMAT = re.compile(rf"{WEEKDAY} \d{{1,2}} {MONTH} \d{{4}}")
# Anything a person would take for a date, in any common spelling: "1 Dec 2026", "Tuesday 1
# December 2026", "December 1, 2026", "12/01/2026". Each must be exactly the one format.
ANY_DATE = re.compile(rf"(?:{WEEKDAY}[a-z]*,? )?\d{{1,2}} {MONTH}[a-z]*\.?,? \d{{4}}"
                      rf"|{MONTH}[a-z]*\.? \d{{1,2}},? \d{{4}}|\b\d{{1,2}}/\d{{1,2}}/\d{{2,4}}\b")


def shown(d: date) -> str:
    """The one format, spelled out independently of the app's Babel call."""
    return f"{d:%a} {d.day} {d:%b} {d:%Y}"


def visible_text(html: str) -> str:
    """What a person reads: no scripts or styles, no tags and so no attributes."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def dates_problems(text: str) -> list[str]:
    return ISO_DATE.findall(text) + [d for d in ANY_DATE.findall(text) if not ONE_FORMAT.fullmatch(d)]


def test_every_date_a_person_reads_is_in_the_one_format(app, client, checkout):
    read: dict[str, str] = {}  # page or email -> its text

    def page(name: str, response) -> str:
        assert response.status_code == 200, (name, response.status_code)
        read[name] = visible_text(response.get_data(as_text=True))
        return read[name]

    page("search", checkout.get("/"))
    day = travel_day()
    assert shown(day) in page("results", checkout.search(day=day))
    checkout.select_first()
    page("customise", checkout.get("/customize"))
    passengers = page("passengers", checkout.get("/passengers"))
    with app.app_context():
        flight_day = db.session.execute(select(Booking).order_by(Booking.id.desc())).scalars().first().flight.departure_date
    assert f"12 or older on {shown(flight_day)}" in passengers
    assert checkout.post("/passengers", checkout.passengers_form([("Ada", "Lovelace", "1985-12-10")])).status_code == 303
    assert "Tue 10 Dec 1985" in page("review", checkout.get("/review"))  # the date of birth
    submitted = checkout.post("/review", {f"ack_{k}": "y" for k in ACKS})
    assert submitted.status_code == 303
    reference = submitted.location.rsplit("/", 1)[-1]
    page("payment", checkout.get(f"/booking/{reference}"))

    with app.app_context():
        booking = db.session.execute(select(Booking).where(Booking.reference == reference)).scalar_one()
        intent = booking.payment_attempts[-1].payment_intent_id
        pay_at_stripe(intent, SUCCEEDS)
        payments.reconcile(intent)
    assert "Confirmed" in page("confirmation", checkout.get(f"/booking/{reference}"))

    checkout.get("/manage")
    assert checkout.post("/manage", {"reference": reference, "secret": "Lovelace"}).status_code == 303
    page("manage", checkout.get(f"/manage/{reference}"))
    assert checkout.post(f"/manage/{reference}/contact", {"email": "ada.king@example.com",
                                                          "phone": "+1 212 555 0100"}).status_code in (200, 303)

    staff = StaffClient(app.test_client())
    staff.sign_in(make_staff(app, "agent"))
    staff_page = page("staff booking", staff.get(f"/staff/bookings/{reference}"))
    page("staff bookings", staff.get("/staff/bookings"))
    page("staff dashboard", staff.get("/staff/dashboard"))

    with app.test_request_context():
        booking = db.session.execute(select(Booking).where(Booking.reference == reference)).scalar_one()
        read["e-ticket"] = visible_text(render_eticket_html(booking))
        # "Payment not completed", with its hold times: another booking, declined to the last attempt.
        unpaid = pending_booking()
        for _ in range(payments.MAX_FAILED_ATTEMPTS):
            started = payments.start_payment(unpaid.id)
            with pytest.raises(gateway.CardDeclined):
                pay_at_stripe(started.attempt.payment_intent_id, DECLINED)
            payments.reconcile(started.attempt.payment_intent_id)
        for email in db.session.execute(select(OutboxEmail).order_by(OutboxEmail.id)).scalars():
            body = build_message(email, utcnow()).get_body(preferencelist=("plain",)).get_content()
            read[f"email {email.kind}"] = " ".join(body.split())

    assert {"email confirmation", "email contact_changed", "email payment_failed"} <= set(read), sorted(read)
    problems = {name: found for name, text in read.items() if (found := dates_problems(text))}
    assert not problems, problems
    # The format is really used (not just nothing that looks like a date): the flight's date
    # on each page that shows the flight, times with their zone named on the staff page.
    for name in ("customise", "review", "payment", "confirmation", "manage", "e-ticket", "email confirmation"):
        assert ONE_FORMAT.search(read[name]), name
    assert re.search(rf"{ONE_FORMAT.pattern}, \d{{2}}:\d{{2}} UTC", staff_page)
    assert re.search(rf"held until {ONE_FORMAT.pattern}, \d{{2}}:\d{{2}} UTC \({ONE_FORMAT.pattern}, \d{{2}}:\d{{2}} "
                     r"New York time\)", read["email payment_failed"])
    assert re.search(rf"changed on {ONE_FORMAT.pattern}, \d{{2}}:\d{{2}} UTC", read["email contact_changed"])


def test_machine_dates_stay_iso(app, client, checkout):
    """Attributes and inputs keep ISO 8601: browsers and scripts read those, not people."""
    day = travel_day()
    html = checkout.search(day=day).get_data(as_text=True)
    assert f'value="{day.isoformat()}"' in html  # the date input keeps what was searched
    with app.app_context():
        reference = pending_booking().reference
    staff = StaffClient(app.test_client())
    staff.sign_in(make_staff(app, "agent"))
    booking_page = staff.get(f"/staff/bookings/{reference}").get_data(as_text=True)
    assert re.search(r'<time datetime="\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}', booking_page)
