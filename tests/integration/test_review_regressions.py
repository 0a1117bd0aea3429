"""Rules found wanting in review: money goes back once, a double submit keeps one reference, a
failed refund can be retried, the sweeper looks again under the lock, a leaver's token dies."""
from datetime import date, timedelta

from sqlalchemy import select

import pytest

from checkout.bookings import cancellation, service
from checkout.bookings.acknowledgements import ACKNOWLEDGEMENTS
from checkout.bookings.service import Contact, PassengerDetails
from checkout.catalog.search import Party
from checkout.clock import utcnow
from checkout.extensions import db
from checkout.models import Booking, BookingTransition, Flight, RefundStatus, StaffUser
from checkout.payments import cancel_booking, sweeper
from checkout.staff import refunds
from checkout.staff.auth import create_api_token, create_staff
from tests.staff_support import paid_booking

ACK = [a.key for a in ACKNOWLEDGEMENTS]


def _draft():
    flight = db.session.execute(select(Flight).where(Flight.flight_number == "FA100",
                                                     Flight.departs_at > utcnow() + timedelta(days=2))
                                .order_by(Flight.departs_at)).scalars().first()
    booking = service.create_draft(flight, Party(1))
    service.save_passengers(booking, [PassengerDetails("Ada", "Lovelace", date(1985, 12, 10), "GB", "X1234567",
                                                       date(2035, 1, 1), gender="F")], Contact("ada@example.com", "+12125550100"))
    return booking.id




def _refunded(booking):
    return sum(r.amount for r in booking.refunds if r.status != RefundStatus.FAILED)


def test_cancelling_after_staff_refunded_the_taxes_refunds_them_no_more(app_ctx):
    """Staff refunds the tax lines; cancelling the non-refundable fare afterwards ('taxes_only')
    must not give the same taxes back a second time."""
    booking = paid_booking()
    assert booking.fare_family_code == "BASIC"
    tax_ids = [l.id for l in booking.price_lines if l.kind == "tax"]
    taxes = sum(l.amount for l in booking.price_lines if l.kind == "tax")
    quote = refunds.quote_refund(booking, tax_ids, full=False)
    refunds.confirm_refund(booking.id, tax_ids, False, quote.amount, quote.key, "supervisor@test")
    booking = db.session.get(Booking, booking.id)
    db.session.refresh(booking)
    terms = cancellation.cancellation_terms(booking)
    assert (terms.rule, terms.refund_amount) == ("taxes_only", 0)
    booking, refunded = cancel_booking(booking.id, "traveller x", expected_refund=terms.refund_amount)
    db.session.refresh(booking)
    assert booking.status == "CANCELLED" and refunded == 0
    assert _refunded(booking) == taxes, f"taxes are {taxes} but {_refunded(booking)} was refunded"


def test_taxes_refunded_on_cancelling_cannot_be_refunded_again_by_staff(app_ctx):
    """Cancelling a non-refundable fare refunds the taxes; staff then cannot refund those lines again."""
    booking = paid_booking()
    taxes = sum(l.amount for l in booking.price_lines if l.kind == "tax")
    booking, refunded = cancel_booking(booking.id, "traveller x")
    assert refunded == taxes
    booking = db.session.get(Booking, booking.id)
    tax_ids = [l.id for l in booking.price_lines if l.kind == "tax"]
    with pytest.raises(refunds.ActionRefused, match="already"):
        refunds.quote_refund(booking, tax_ids, full=False)
    assert _refunded(booking) == taxes


def test_a_cancellation_whose_refund_failed_can_be_tried_again(app_ctx, monkeypatch):
    """Stripe refuses the refund when the traveller cancels: nothing changes and they are told
    to try again; when they do, with Stripe back, the refund is made and the booking cancelled
    (a retry must not be answered with the first try's failed refund). Stripe not answering
    is another case: the refund stays recorded, the booking is cancelled and the sweeper asks
    again (tests/integration/test_refunds_outside_the_lock.py)."""
    from checkout.payments import gateway
    from checkout.bookings.service import BookingError
    booking = paid_booking()
    taxes = sum(l.amount for l in booking.price_lines if l.kind == "tax")
    real = gateway.create_refund

    def down(**kwargs):
        raise gateway.GatewayRejected("Stripe refused")

    monkeypatch.setattr(gateway, "create_refund", down)
    with pytest.raises(BookingError, match="try again"):
        cancel_booking(booking.id, "traveller x")
    db.session.expire_all()
    booking = db.session.get(Booking, booking.id)
    assert booking.status == "CONFIRMED" and _refunded(booking) == 0
    monkeypatch.setattr(gateway, "create_refund", real)   # Stripe is back
    booking, refunded = cancel_booking(booking.id, "traveller x")
    db.session.refresh(booking)
    assert booking.status == "CANCELLED" and refunded == taxes == _refunded(booking)


def test_a_second_submit_of_the_same_draft_keeps_the_first_reference(app):
    """Two POST /review (double click, JS off) both read the DRAFT before either commits.
    The second, once it has the row lock, must find the booking already pending and change
    nothing: a new reference would make the first answer's /booking/<reference> a 404 and
    a PaymentIntent made for it a mismatch."""
    with app.app_context():
        booking_id = _draft()
        stale = db.session.get(Booking, booking_id)   # request B has loaded the draft
        assert stale.status == "DRAFT"
        with app.app_context():                       # request A runs and commits first
            first = service.submit(db.session.get(Booking, booking_id), ACK)
            ref1 = first.reference
        try:
            second = service.submit(stale, ACK)       # request B continues
        except Exception as err:                      # noqa: BLE001
            raise AssertionError(f"second submit of the same draft crashed (a 500): {type(err).__name__}") from err
        assert second.reference == ref1, f"reference changed from {ref1} to {second.reference}"
        db.session.expire_all()
        assert service.booking_by_reference(ref1).id == booking_id
        moves = db.session.execute(select(BookingTransition.to_status)
                                   .where(BookingTransition.booking_id == booking_id)).scalars().all()
        assert sorted(moves) == ["DRAFT", "PENDING_PAYMENT"]


def test_sweeper_leaves_a_draft_submitted_after_its_query_alone(app, monkeypatch):
    """The sweeper lists abandoned drafts, then the traveller submits one before the sweeper
    locks it: the sweeper must look again under the lock and leave it PENDING_PAYMENT."""
    with app.app_context():
        booking_id = _draft()
        b = db.session.get(Booking, booking_id)
        b.hold_expires_at = utcnow() - timedelta(hours=3)
        db.session.commit()
        real_lock = sweeper.lock_booking

        def submit_then_lock(locked_id):
            with app.app_context():  # the traveller, in their own request
                service.submit(db.session.get(Booking, locked_id), ACK)
            return real_lock(locked_id)

        monkeypatch.setattr(sweeper, "lock_booking", submit_then_lock)
        report = sweeper.SweepReport()
        sweeper._close_abandoned_drafts(utcnow(), report)
        db.session.expire_all()
        assert db.session.get(Booking, booking_id).status == "PENDING_PAYMENT" and report.drafts_closed == 0


def test_a_deactivated_staff_members_token_is_refused(app, client):
    """An API token made `--staff` for a supervisor works while the account is active; once
    the account is deactivated (they can no longer sign in), the token can neither list
    bookings nor cancel and refund one."""
    with app.app_context():
        user = create_staff("gone-supervisor@fly2any.test", "correct horse battery", "supervisor")
        user_id = user.id
        token = create_api_token("leaver's script", user)
        booking_id = paid_booking().id
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/bookings", headers=headers).status_code == 200
    with app.app_context():
        db.session.get(StaffUser, user_id).active = False
        db.session.commit()
    response = client.get("/api/bookings", headers=headers)
    assert response.status_code == 401, f"deactivated staff's token answered {response.status_code}"
    assert client.delete(f"/api/bookings/{booking_id}", headers=headers).status_code == 401
    with app.app_context():
        assert db.session.get(Booking, booking_id).status == "CONFIRMED"
