"""`flask purge-pii --after-travel-days N` on PostgreSQL: bookings whose flight left more than
N days ago lose their travel documents, dates of birth, nationality, Secure Flight details
(gender, redress and Known Traveler numbers) and phone (the audit
trail's copies too), keep what accounting and disputes need, and a second run changes
nothing. Bookings are moved into the past by moving their flight's departure."""
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from checkout.bookings import amendments
from checkout.bookings.service import Contact
from checkout.clock import utcnow
from checkout.extensions import db
from checkout.models import AuditEntry, Booking, Flight
from tests.payments_support import pending_booking
from tests.staff_support import StaffClient, make_staff

PASSPORT, OLD_PHONE, NEW_PHONE = "X1234567", "+12125550100", "+442079460958"


@pytest.fixture
def departed(app_ctx):
    """Move a booking's flight `days` into the past; every moved flight goes back afterwards."""
    moved = {}

    def move(booking: Booking, days: int) -> None:
        flight = db.session.get(Flight, booking.flight_id)
        moved.setdefault(flight.id, (flight.departs_at, flight.arrives_at))
        length = flight.arrives_at - flight.departs_at
        flight.departs_at = utcnow() - timedelta(days=days)
        flight.arrives_at = flight.departs_at + length
        db.session.commit()
    yield move
    db.session.rollback()
    for flight_id, (departs_at, arrives_at) in moved.items():
        flight = db.session.get(Flight, flight_id)
        flight.departs_at, flight.arrives_at = departs_at, arrives_at
    db.session.commit()


def row(booking_id: int) -> dict:
    """The booking and its passenger as raw SQL sees them."""
    return dict(db.session.execute(text(
        "SELECT b.reference, b.contact_email, b.contact_phone, b.total_amount, b.pii_purged_at, p.first_name,"
        " p.last_name, p.passenger_type, p.date_of_birth, p.nationality, p.passport_number, p.passport_expiry,"
        " p.gender, p.redress_number, p.known_traveler_number"
        " FROM bookings b JOIN passengers p ON p.booking_id = b.id WHERE b.id = :id"), {"id": booking_id}).mappings().one())


def purge(app, *args):
    return app.test_cli_runner().invoke(args=["purge-pii", *args])


def test_purge_removes_travel_documents_after_travel_keeps_the_rest_and_runs_once(app, departed):
    long_ago = pending_booking("FA100", days_ahead=2)
    amendments.amend(long_ago.id, "traveller ada@example.com", contact=Contact("ada@example.com", NEW_PHONE))
    recently = pending_booking("FA100", days_ahead=3)
    upcoming = pending_booking("FA200")
    departed(long_ago, 40)
    departed(recently, 10)
    kept_recently, kept_upcoming = row(recently.id), row(upcoming.id)

    result = purge(app, "--after-travel-days", "30")
    assert result.exit_code == 0, result.output
    assert "Removed personal data from 1 booking whose flights departed before" in result.output

    gone = row(long_ago.id)
    assert (gone["passport_number"], gone["passport_expiry"], gone["date_of_birth"], gone["nationality"],
            gone["contact_phone"]) == (None, None, None, None, None)
    assert (gone["gender"], gone["redress_number"], gone["known_traveler_number"]) == (None, None, None)
    assert (gone["reference"], gone["contact_email"], gone["first_name"], gone["last_name"], gone["passenger_type"]) \
        == (long_ago.reference, "ada@example.com", "Ada", "Lovelace", "adult")
    assert gone["total_amount"] == long_ago.total_amount and gone["pii_purged_at"] is not None
    trail = db.session.execute(select(AuditEntry.before, AuditEntry.after).where(
        AuditEntry.booking_id == long_ago.id)).all()
    assert trail and not any(phone in str(entry) for entry in trail for phone in (OLD_PHONE, NEW_PHONE))

    assert row(recently.id) == kept_recently and row(upcoming.id) == kept_upcoming  # 10 days ago; not yet flown
    db.session.expire_all()
    kept = db.session.get(Booking, recently.id).passengers[0]
    assert (kept.passport_number, kept.gender, kept.redress_number, kept.known_traveler_number) == (
        PASSPORT, "F", "1234567", "TT7654321")

    again = purge(app, "--after-travel-days", "30")
    assert "Removed personal data from 0 bookings" in again.output
    assert row(long_ago.id)["pii_purged_at"] == gone["pii_purged_at"]
    runs = db.session.execute(select(AuditEntry).where(AuditEntry.action == "purge_pii")
                              .order_by(AuditEntry.id)).scalars().all()
    assert [run.actor for run in runs] == ["flask purge-pii"] * 2
    assert "from 1 booking whose flights" in runs[0].detail and "from 0 bookings" in runs[1].detail


def test_staff_see_that_the_documents_were_removed_and_cannot_reveal_them(app, departed):
    booking = pending_booking("FA100")
    departed(booking, 45)
    assert purge(app, "--after-travel-days", "30").exit_code == 0
    # The command changed the rows in its own session; the staff page's request runs in this
    # test's app context, so on this test's session, which still holds the booking as it was.
    db.session.expire_all()
    staff = StaffClient(app.test_client())
    staff.sign_in(make_staff(app, "agent"))
    page = staff.get(f"/staff/bookings/{booking.reference}").get_data(as_text=True)
    assert "Travel documents, dates of birth and phone removed" in page and "Reveal passport number" not in page
    refused = staff.post(f"/staff/bookings/{booking.reference}/passengers/0/passport")
    assert refused.status_code == 404 and "removed after travel" in refused.get_data(as_text=True)


@pytest.mark.parametrize("args, problem", [((), "Missing option '--after-travel-days'"),
                                           (("--after-travel-days", "0"), "0 is not in the range x>=1"),
                                           (("--after-travel-days", "thirty"), "'thirty' is not a valid integer")])
def test_a_bad_number_of_days_is_refused_and_purges_nothing(app, departed, args, problem):
    booking = pending_booking("FA100")
    departed(booking, 45)
    result = purge(app, *args)
    assert result.exit_code == 2 and problem in result.output
    assert row(booking.id)["passport_number"] is not None
