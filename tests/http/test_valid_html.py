"""Every htmx fragment is valid HTML (issue 22): one answer of each, checked by the W3C's Nu
HTML Checker in one run, with the staff's refund and cancellation quotes. The whole pages are checked on the axe walk
(tests/browser/test_accessibility_axe.py::test_vnu_finds_no_errors).

A fragment is checked inside an empty valid page (tests/html_support.py), within the element
htmx puts it in when that element matters to HTML (the airport suggestions' <datalist>).
The axe walk's vnu test also checks every HTML answer it meets; this one asks for each
fragment on purpose, the walk's route or not.
"""
from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy import select

from checkout.extensions import db
from checkout.models import AttemptStatus, PaymentAttempt
from tests.capacity_support import flight_on, free_seats
from tests.html_support import as_document, vnu_errors
from tests.staff_support import StaffClient, make_staff, paid_booking

HTMX = {"HX-Request": "true"}


def _answer(response, page: bool = False) -> str:
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:500]
    assert ("<html" in html) == page, "a whole page" if not page else "a fragment"
    return html


def test_every_fragment_and_the_staff_quotes_are_valid_html(checkout, app):
    day = (date.today() + timedelta(days=3)).isoformat()
    found = {"search results": _answer(checkout.get(
        f"/flights?origin=JFK&destination=LHR&date={day}&adults=1", headers=HTMX))}
    found["airport suggestions"] = as_document(
        _answer(checkout.get("/airports/suggest?origin=Lon", headers=HTMX)), "/airports/suggest")
    checkout.select_first(origin="SFO", destination="NRT", adults=2)  # a 787: two cabins
    with app.app_context():
        seats = free_seats(flight_on("FA300"), "economy")
    for section, data in (("fare", {"fare_family": "FLEX"}), ("bundle", {"bundle": "COMFORT"}),
                          ("extras", {"extras_shown": "1", "bags-0": "1", "bags-1": "0"}),
                          ("seat", {"seat_passenger": "0", "seat": seats[0]})):
        found[f"customise: {section}"] = _answer(checkout.post(f"/customize/{section}", data, headers=HTMX))
    found["customise: next passenger's seats"] = _answer(checkout.get("/customize?seat_for=1&shown_for=0", headers=HTMX))
    found["customise: seat-map tab"] = _answer(checkout.get("/customize?seat_for=1", headers=HTMX))
    found["customise: another cabin"] = _answer(
        checkout.post("/customize/fare", {"fare_family": "BUSINESS"}, headers=HTMX))
    checkout.get("/passengers")
    found["passengers: a field's check"] = _answer(checkout.post(
        "/passengers/check?field=passengers-0-first_name", {"passengers-0-first_name": "Ada!"}, headers=HTMX))

    reference = checkout.to_pending()
    checkout.get(f"/booking/{reference}")
    found["payment: next attempt's notice"] = json.loads(_answer(checkout.post(
        f"/booking/{reference}/next-attempt", headers=HTMX)))["notice"]
    with app.app_context():
        db.session.execute(select(PaymentAttempt).order_by(PaymentAttempt.id.desc())).scalars().first().status = AttemptStatus.PROCESSING
        db.session.commit()
    found["payment: processing"] = _answer(checkout.get(f"/booking/{reference}/status?n=5", headers=HTMX))

    staff = StaffClient(app.test_client())
    staff.sign_in(make_staff(app, "supervisor"))
    found["staff: bookings search"] = _answer(staff.get(f"/staff/bookings?q={reference}", headers=HTMX))
    found["staff: dashboard period"] = _answer(staff.get("/staff/dashboard?period=30d", headers=HTMX))
    # Two pages the axe walk does not reach, with hidden fields of their own.
    with app.app_context():
        paid = paid_booking().reference
    found["staff: refund quote"] = _answer(staff.get(f"/staff/bookings/{paid}/refund?full=1"), page=True)
    found["staff: cancellation quote"] = _answer(staff.get(f"/staff/bookings/{paid}/cancel"), page=True)

    errors = vnu_errors({name: as_document(html, "") for name, html in found.items()})
    assert not errors, f"vnu found {len(errors)} errors:\n" + "\n".join(errors)
