"""`flask` commands as an operator runs them (checkout/cli.py): exit code, what is printed, what
changes; bad input is a non-zero exit with a message that says what was wrong."""
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, func, select, update

from checkout.catalog.data import TIMETABLE
from checkout.clock import utcnow
from checkout.extensions import db
from checkout.models import ApiToken, AttemptStatus, Booking, Flight, SeatHold, StaffUser
from checkout.payments import service as payments
from tests.payments_support import pending_booking
from tests.staff_support import StaffClient, staff_email

PASSWORD = "a long enough password"


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def _staff(app, email):
    with app.app_context():
        return db.session.execute(select(StaffUser).where(StaffUser.email == email)).scalar_one_or_none()


def test_create_staff_asks_for_the_password_and_the_account_can_sign_in(app, client, runner):
    email = staff_email("agent")
    result = runner.invoke(args=["create-staff", email, "--role", "agent"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert f"Staff account {email} (agent) is ready." in result.output
    assert PASSWORD not in result.output  # typed at a hidden prompt, never echoed
    assert _staff(app, email).role == "agent"
    assert StaffClient(client).sign_in(email, PASSWORD).status_code == 303


@pytest.mark.parametrize("arguments, typed, message", [
    (["--role", "manager"], f"{PASSWORD}\n{PASSWORD}\n", "Invalid value for '--role': 'manager' is not one of 'agent', 'supervisor'"),
    (["--role", "agent"], "too-short\ntoo-short\n", "use a password of at least 10 characters"),
    ([], f"{PASSWORD}\n{PASSWORD}\n", "Missing option '--role'"),
], ids=["unknown role", "short password", "no role"])
def test_create_staff_refuses_bad_input_with_a_message_and_creates_nothing(app, runner, arguments, typed, message):
    email = staff_email("agent")
    result = runner.invoke(args=["create-staff", email, *arguments], input=typed)
    assert result.exit_code == 2
    assert message in result.output
    assert _staff(app, email) is None


def test_create_staff_with_passwords_that_differ_stops_without_an_account(app, runner):
    email = staff_email("agent")
    result = runner.invoke(args=["create-staff", email, "--role", "agent"], input=f"{PASSWORD}\nsomething else\n")
    assert result.exit_code != 0
    assert "The two entered values do not match" in result.output
    assert _staff(app, email) is None


def test_create_api_token_prints_a_token_that_opens_the_bookings_api(app, client, runner):
    result = runner.invoke(args=["create-api-token", "partner reporting"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert token.startswith("f2a_") and "\n" not in token
    assert client.get("/api/bookings", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    with app.app_context():
        stored = db.session.execute(select(ApiToken.token_hash).where(ApiToken.name == "partner reporting")).scalars().all()
    assert len(stored) == 1 and token not in stored[0]  # only its hash is kept


def test_create_api_token_for_a_staff_member_acts_with_their_role(app, client, runner):
    email = staff_email("agent")
    assert runner.invoke(args=["create-staff", email, "--role", "agent"],
                         input=f"{PASSWORD}\n{PASSWORD}\n").exit_code == 0
    result = runner.invoke(args=["create-api-token", "agent's script", "--staff", email.upper()])
    assert result.exit_code == 0, result.output
    headers = {"Authorization": f"Bearer {result.output.strip()}"}
    assert client.get("/api/bookings", headers=headers).status_code == 200
    with app.app_context():
        booking_id = pending_booking().id
    assert client.delete(f"/api/bookings/{booking_id}", headers=headers).status_code == 403  # agents cannot cancel


def test_create_api_token_for_an_unknown_staff_member_is_refused(app, runner):
    result = runner.invoke(args=["create-api-token", "ghost's script", "--staff", "nobody@fly2any.test"])
    assert result.exit_code == 2
    assert "no staff account nobody@fly2any.test" in result.output
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(ApiToken)
                                  .where(ApiToken.name == "ghost's script")).scalar() == 0


def test_sweep_expires_an_unpaid_booking_past_its_hold_and_says_so(app, runner):
    with app.app_context():
        booking = pending_booking()
        booking_id, reference = booking.id, booking.reference
        payments.start_payment(booking_id)  # the traveller had reached the payment page
        db.session.execute(update(Booking).where(Booking.id == booking_id)
                           .values(hold_expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    result = runner.invoke(args=["sweep"])
    assert result.exit_code == 0, result.output
    # The closed days of the last 30 are stored for the dashboard on the first sweep (28 or 29 of
    # them, depending on how long ago midnight was).
    assert re.fullmatch(r"expired 1, reconciled 0, drafts closed 0, sessions purged 0, dashboard days stored 2[89], "
                        r"errors 0", result.output.strip()), result.output
    with app.app_context():
        booking = db.session.get(Booking, booking_id)
        assert booking.status == "EXPIRED" and booking.reference == reference
        assert [a.status for a in booking.payment_attempts] == [AttemptStatus.CANCELED]  # nothing can be charged
    # Nothing left to do: a second sweep changes nothing.
    assert runner.invoke(args=["sweep"]).output.strip() == ("expired 0, reconciled 0, drafts closed 0, sessions purged 0, "
                                                            "dashboard days stored 0, errors 0")


def test_sweep_refuses_a_bad_interval(runner):
    result = runner.invoke(args=["sweep", "--loop", "--every", "soon"])
    assert result.exit_code == 2 and "Invalid value for '--every'" in result.output


@pytest.fixture
def unseeded_days(app):
    """Two days well past the seeded window; their flights are removed afterwards, so the
    catalogue is as every other test expects it."""
    first = date.today() + timedelta(days=40)
    yield first
    with app.app_context():
        flights = select(Flight.id).where(Flight.departs_at >= utcnow() + timedelta(days=38),
                                          Flight.departs_at < utcnow() + timedelta(days=44))
        db.session.execute(delete(SeatHold).where(SeatHold.flight_id.in_(flights)))
        db.session.execute(delete(Flight).where(Flight.id.in_(flights)))
        db.session.commit()


def test_seed_adds_the_days_asked_for_once_and_they_can_be_searched(app, client, runner, unseeded_days):
    result = runner.invoke(args=["seed", "--days", "2", "--start", unseeded_days.isoformat()])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"Seeded {2 * len(TIMETABLE)} new flights from {unseeded_days.isoformat()} for 2 days."
    html = client.get(f"/flights?origin=JFK&destination=LHR&date={unseeded_days + timedelta(days=1)}").get_data(as_text=True)
    assert "FA100" in html and ">Select</button>" in html
    again = runner.invoke(args=["seed", "--days", "2", "--start", unseeded_days.isoformat()])
    assert again.exit_code == 0 and again.output.startswith("Seeded 0 new flights")


def test_seed_refuses_a_date_it_cannot_read(runner):
    result = runner.invoke(args=["seed", "--start", "31/12/2030"])
    assert result.exit_code == 2
    assert "Invalid value for '--start'" in result.output and "%Y-%m-%d" in result.output
