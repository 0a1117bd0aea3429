"""Where a passport number shows, on PostgreSQL: masked on the staff console and in the API;
in full only on the answer to "Reveal passport number", once, uncached, and audited; never in
the e-ticket or the emails. Redress and Known Traveler numbers: masked for staff, never on
the e-ticket or in emails, like the gender."""
import pytest
from sqlalchemy import select

from checkout.extensions import db
from checkout.models import AuditEntry, OutboxEmail
from checkout.notifications.eticket import render_eticket_html
from checkout.notifications.sender import render_body
from tests.manage_support import api_token
from tests.payments_support import KTN, REDRESS
from tests.staff_support import StaffClient, make_staff, paid_booking

PASSPORT, MASKED = "X1234567", "••••••567"  # payments_support.pending_booking's traveller


@pytest.fixture
def booking(app_ctx):
    return paid_booking(number="FA100")  # JFK-LHR: international, so the passport is kept


@pytest.fixture
def agent(app):
    staff = StaffClient(app.test_client())
    staff.email = make_staff(app, "agent")
    staff.sign_in(staff.email)
    return staff


def reveals(booking) -> list[AuditEntry]:
    return db.session.execute(select(AuditEntry).where(
        AuditEntry.booking_id == booking.id, AuditEntry.action == "reveal_passport_number")).scalars().all()


def test_the_console_masks_the_number_and_reveals_it_once_to_an_agent_with_an_audit_entry(agent, booking):
    page = agent.get(f"/staff/bookings/{booking.reference}").get_data(as_text=True)
    assert MASKED in page and PASSPORT not in page
    assert "Reveal passport number" in page
    # Secure Flight's details: the gender, and only that a redress or Known Traveler number was given.
    assert "Female" in page and "Redress number ••••67" in page and "Known Traveler Number ••••21" in page
    assert REDRESS not in page and KTN not in page

    revealed = agent.post(f"/staff/bookings/{booking.reference}/passengers/0/passport")
    html = revealed.get_data(as_text=True)
    assert revealed.status_code == 200 and PASSPORT in html
    assert revealed.headers["Cache-Control"] == "no-store"
    [entry] = reveals(booking)
    assert entry.actor == agent.email and entry.at is not None
    assert entry.detail == "Passport number of passenger 1 (Ada Lovelace) shown"
    assert PASSPORT not in (entry.detail + str(entry.before) + str(entry.after))

    again = agent.get(f"/staff/bookings/{booking.reference}").get_data(as_text=True)
    assert PASSPORT not in again and MASKED in again
    assert f"Reveal passport number</strong> · by {agent.email}" in again.replace("\n", "")  # on the timeline


def test_no_reveal_without_the_form_token_or_a_signed_in_person(app, agent, booking):
    assert agent.post(f"/staff/bookings/{booking.reference}/passengers/0/passport",
                      {"csrf_token": "stale"}).status_code == 400
    # A stranger's bare POST meets the CSRF check, which runs before any view and its sign-in guard.
    stranger = app.test_client().post(f"/staff/bookings/{booking.reference}/passengers/0/passport")
    page = stranger.get_data(as_text=True)
    assert stranger.status_code == 400 and "<h1>Please try again</h1>" in page
    assert "Your session expired or the form was stale. Please go back and try again." in page
    assert PASSPORT not in page and MASKED not in page
    # One who has a form token (any page gives one) is sent to sign in.
    visitor = StaffClient(app.test_client())
    visitor.get("/staff/login")
    signed_out = visitor.post(f"/staff/bookings/{booking.reference}/passengers/0/passport")
    assert signed_out.status_code == 303 and signed_out.location == "/staff/login"
    nobody = agent.post(f"/staff/bookings/{booking.reference}/passengers/5/passport")
    assert nobody.status_code == 404 and "no passport number on file" in nobody.get_data(as_text=True)
    assert reveals(booking) == []


def test_the_api_gives_staff_and_traveller_only_the_masked_number(app, client, booking):
    token = api_token()
    for headers in ({"Authorization": f"Bearer {token}"},
                    {"X-Booking-Reference": booking.reference, "X-Booking-Email": "ada@example.com"}):
        response = client.get(f"/api/bookings/{booking.id}", headers=headers)
        assert response.status_code == 200
        assert response.get_json()["passengers"][0]["passportNumber"] == MASKED
        assert PASSPORT not in response.get_data(as_text=True)


def test_the_e_ticket_and_the_confirmation_email_leave_the_number_out(app, booking):
    assert "Ada" in render_eticket_html(booking) and PASSPORT not in render_eticket_html(booking)
    email = db.session.execute(select(OutboxEmail).where(OutboxEmail.booking_id == booking.id)).scalars().first()
    body, _ = render_body(email, booking.confirmed_at)
    assert booking.reference in body and PASSPORT not in body and MASKED not in body
    for number in (REDRESS, KTN):
        assert number not in render_eticket_html(booking) and number not in body
