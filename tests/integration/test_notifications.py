"""The email outbox on PostgreSQL, delivered to a real SMTP server (aiosmtpd) or to files."""
from __future__ import annotations

import re
import secrets
import zlib
from datetime import date, timedelta
from email import message_from_bytes, policy

import pytest
from icalendar import Calendar
from sqlalchemy import func, select, text

from checkout.bookings import service, states
from checkout.bookings.acknowledgements import ACKNOWLEDGEMENTS
from checkout.bookings.service import Contact, PassengerDetails
from checkout.catalog.search import Party
from checkout.clock import utcnow
from checkout.extensions import db
from checkout.models import (
    AttemptStatus, Booking, BookingStatus, Flight, OutboxEmail, PaymentAttempt, Refund, RefundStatus,
)
from checkout.notifications import (
    enqueue, queue_cancellation, queue_confirmation, queue_ops_alert, queue_payment_failed,
    render_eticket_html, render_eticket_pdf, send_due,
)
from checkout.notifications.sender import MAX_ATTEMPTS
from checkout.presentation import money
from tests.smtp_support import free_port, point_mail_at

ALL_ACKS = [a.key for a in ACKNOWLEDGEMENTS]


# -- mail settings ------------------------------------------------------------------------

@pytest.fixture
def smtp_down(app, monkeypatch):
    point_mail_at(monkeypatch, app, MAIL_PORT=free_port())  # nothing listens there


@pytest.fixture
def mail_folder(app, monkeypatch, tmp_path):
    point_mail_at(monkeypatch, app, MAIL_BACKEND="file")
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    return tmp_path / "mail"


# -- bookings ----------------------------------------------------------------------------

def _pending_booking(bags=2) -> Booking:
    flight = db.session.execute(
        select(Flight).where(Flight.flight_number == "FA100", Flight.departs_at > utcnow() + timedelta(days=1))
        .order_by(Flight.departs_at)
    ).scalars().first()
    booking = service.create_draft(flight, Party(1))
    service.save_passengers(
        booking, [PassengerDetails("Ada", "Lovelace", date(1985, 12, 10), "GB", "X1234567", date(2035, 1, 1), gender="F")],
        Contact("ada@example.com", "+12125550100"),
    )
    service.choose_extras(booking, bags={0: bags}, insurance=False, priority_boarding=False)
    return service.submit(booking, ALL_ACKS)


def _attempt(booking: Booking, status: str, **fields) -> PaymentAttempt:
    now = utcnow()
    attempt = PaymentAttempt(
        number=len(booking.payment_attempts) + 1, payment_intent_id=f"pi_test_{secrets.token_hex(8)}",
        status=status, amount=booking.total_amount, currency=booking.currency,
        created_at=now, updated_at=now, **fields,
    )
    booking.payment_attempts.append(attempt)
    db.session.flush()
    return attempt


def _confirmed_booking() -> Booking:
    booking = _pending_booking()
    _attempt(booking, AttemptStatus.SUCCEEDED, card_brand="visa", card_last4="4242", succeeded_at=utcnow())
    states.transition(booking, BookingStatus.CONFIRMED, "test")
    booking.confirmed_at = utcnow()
    db.session.commit()
    return booking


def _outbox() -> list[OutboxEmail]:
    db.session.expire_all()
    return list(db.session.execute(select(OutboxEmail).order_by(OutboxEmail.id)).scalars())


def _pdf_text(pdf: bytes) -> bytes:
    """The PDF with its compressed streams inflated: enough to read its metadata."""
    inflated = [pdf]
    for stream in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            inflated.append(zlib.decompress(stream.group(1)))
        except zlib.error:
            pass
    return b"\n".join(inflated)


# -- queuing -----------------------------------------------------------------------------

def test_the_same_news_is_queued_once(app_ctx):
    booking = _confirmed_booking()
    assert enqueue("confirmation", "ada@example.com", "Booked", "test:once", booking.id) is True
    assert enqueue("confirmation", "ada@example.com", "Booked again", "test:once", booking.id) is False
    assert queue_confirmation(booking) is True
    assert queue_confirmation(booking) is False
    db.session.commit()
    assert [(e.dedupe_key, e.subject, e.status, e.attempts) for e in _outbox()] == [
        ("test:once", "Booked", "pending", 0),
        (f"confirmation:{booking.id}", f"Your flight is booked: {booking.reference}", "pending", 0),
    ]


def test_queuing_belongs_to_the_callers_transaction(app_ctx):
    booking = _confirmed_booking()
    assert queue_confirmation(booking) is True
    db.session.rollback()  # the change it reported never happened: neither does the email
    assert db.session.scalar(select(func.count()).select_from(OutboxEmail)) == 0


# -- sending -----------------------------------------------------------------------------

def test_a_confirmation_is_delivered_once_with_the_eticket_attached(app_ctx, smtp_inbox):
    booking = _confirmed_booking()
    queue_confirmation(booking)
    db.session.commit()

    assert send_due() == 1
    assert send_due() == 0  # sent is sent
    assert len(smtp_inbox.messages) == 1
    mail_from, recipients, message = smtp_inbox.messages[0]
    assert mail_from == "bookings@fly2any.test" and recipients == ["ada@example.com"]
    assert message["To"] == "ada@example.com"
    assert message["Subject"] == f"Your flight is booked: {booking.reference}"
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert booking.reference in body
    assert "Ada Lovelace (adult): seat assigned at check-in, checked bags: 0 included + 2 extra" in body
    assert f"Amount paid: {money(booking.total_amount, booking.currency)}" in body
    assert "Visa ending in 4242" in body
    origin = booking.flight.origin
    from checkout.presentation import local_time
    assert f"at {local_time(booking.flight.departs_at, origin.tz)} local time, {origin.name}" in body

    # 14 CFR 399.85(c): the allowance and the fees of a carry-on and the first two checked bags.
    assert "BAG FEES (per passenger)\n- Carry-on bag: " in body.replace("\r\n", "\n")
    assert "- 1st checked bag: $35.00" in body and "- 2nd checked bag: $45.00" in body
    assert f"Manage your booking (seats, contact details, cancellation): http://" in body
    assert f"/manage?reference={booking.reference}" in body

    attachment, calendar = list(message.iter_attachments())
    assert calendar.get_content_type() == "text/calendar" and calendar.get_filename().endswith(".ics")
    events = Calendar.from_ical(calendar.get_content()).walk("VEVENT")
    assert [str(event["summary"]).split()[1] for event in events] == [s.flight.flight_number for s in booking.segments]
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"Fly2Any-e-ticket-{booking.reference}.pdf"
    pdf = attachment.get_content()
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    assert f"E-ticket {booking.reference}".encode() in _pdf_text(pdf)  # the PDF's title

    [email] = _outbox()
    assert (email.status, email.attempts, email.last_error) == ("sent", 1, None)
    assert email.sent_at is not None


def test_the_eticket_says_what_the_traveller_needs_at_the_airport(app_ctx):
    booking = _confirmed_booking()
    html = render_eticket_html(booking)
    flight, origin = booking.flight, booking.flight.origin
    from checkout.presentation import local_date, local_time
    for expected in (
        booking.reference, "Confirmed", flight.flight_number, origin.city, flight.destination.city,
        local_time(flight.departs_at, origin.tz), local_date(flight.departs_at, origin.tz),
        local_time(flight.arrives_at, flight.destination.tz),
        "Ada Lovelace", "Assigned at check-in", "0 included + 2 extra",
        money(booking.total_amount, booking.currency), "Amount paid", "Paid with Visa ending in 4242",
        booking.fare_family.name, *(line.description for line in booking.price_lines),
    ):
        assert expected in html, expected
    assert "not valid for travel" not in html
    assert render_eticket_pdf(booking).startswith(b"%PDF")


def test_an_unpaid_booking_eticket_is_marked_not_valid_for_travel(app_ctx):
    booking = _pending_booking()
    html = render_eticket_html(booking)
    assert "Awaiting payment" in html and "not valid for travel" in html
    assert "No payment has been received" in html and "Total due" in html


def test_a_server_that_is_down_means_try_again_later(app_ctx, smtp_down):
    booking = _confirmed_booking()
    queue_confirmation(booking)
    db.session.commit()
    now = utcnow()

    assert send_due(now=now) == 0
    [email] = _outbox()
    assert (email.status, email.attempts) == ("pending", 1)
    assert email.next_attempt_at == now + timedelta(minutes=1) > now
    assert "ConnectionRefusedError" in email.last_error
    assert send_due(now=now + timedelta(seconds=59)) == 0  # not due yet
    assert _outbox()[0].attempts == 1

    # 1, 2, 4, 8 ... minutes apart, then it gives up for a person to look at.
    waits = []
    while _outbox()[0].status == "pending":
        email = _outbox()[0]
        waits.append(round((email.next_attempt_at - now).total_seconds() / 60))
        now = email.next_attempt_at
        send_due(now=now)
    assert waits == [1, 2, 4, 8, 16, 32, 64]
    email = _outbox()[0]
    assert (email.status, email.attempts, email.sent_at) == ("failed", MAX_ATTEMPTS, None)


def test_the_file_backend_writes_an_eml(app_ctx, mail_folder):
    booking = _confirmed_booking()
    queue_confirmation(booking)
    db.session.commit()
    assert send_due() == 1
    [path] = list(mail_folder.glob("*.eml"))
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert message["To"] == "ada@example.com"
    assert booking.reference in message["Subject"]
    assert [a.get_filename() for a in message.iter_attachments()] == [f"Fly2Any-e-ticket-{booking.reference}.pdf",
                                                                      f"Fly2Any-{booking.reference}.ics"]
    assert _outbox()[0].status == "sent"


def test_an_email_another_worker_holds_is_left_to_it(app, app_ctx, smtp_inbox):
    booking = _confirmed_booking()
    queue_confirmation(booking)
    db.session.commit()
    email_id = _outbox()[0].id
    with db.engine.connect() as other_worker:
        other_worker.execute(text("SELECT id FROM outbox_emails WHERE id = :id FOR UPDATE"), {"id": email_id})
        assert send_due() == 0  # skipped, not waited for
        other_worker.rollback()
    assert send_due() == 1
    assert len(smtp_inbox.messages) == 1


def test_a_failed_payment_says_the_card_was_not_charged_and_how_to_retry(app_ctx, smtp_inbox):
    booking = _pending_booking()
    attempt = _attempt(booking, AttemptStatus.FAILED, failure_code="card_declined",
                       failure_message="Your card was declined.", card_brand="visa", card_last4="0002")
    assert queue_payment_failed(booking, attempt) is True
    assert queue_payment_failed(booking, attempt) is False
    db.session.commit()

    assert send_due() == 1
    [(_, _, message)] = smtp_inbox.messages
    assert message["Subject"] == f"Payment not completed for booking {booking.reference}"
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "your card was not charged" in body
    assert "Why: Your card was declined." in body
    from checkout.presentation import local_date, local_time
    held = booking.hold_expires_at
    assert f"held until {local_date(held, 'UTC')}, {local_time(held, 'UTC')} UTC" in body
    assert f"/booking/{booking.reference}" in body and "try again" in body
    assert not list(message.iter_attachments())


def test_a_failure_notice_overtaken_by_a_payment_is_not_sent(app_ctx, smtp_inbox):
    booking = _pending_booking()
    failed = _attempt(booking, AttemptStatus.FAILED, failure_message="Your card was declined.")
    queue_payment_failed(booking, failed)
    db.session.commit()
    _attempt(booking, AttemptStatus.SUCCEEDED, card_brand="visa", card_last4="4242")  # the retry worked
    db.session.commit()

    assert send_due() == 0
    assert smtp_inbox.messages == []
    assert _outbox()[0].status == "skipped"


def test_a_cancellation_states_the_refund_and_when_it_arrives(app_ctx, smtp_inbox):
    booking = _confirmed_booking()
    now = utcnow()
    booking.refunds.append(Refund(
        payment_attempt_id=booking.paid_attempt.id, amount=booking.total_amount, currency=booking.currency,
        status=RefundStatus.PENDING, reason="requested by customer", idempotency_key=f"refund-{booking.id}",
        created_by="test", created_at=now, updated_at=now,
    ))
    states.transition(booking, BookingStatus.CANCELLED, "test")
    assert queue_cancellation(booking, booking.total_amount) is True
    db.session.commit()

    assert send_due() == 1
    [(_, _, message)] = smtp_inbox.messages
    refund = money(booking.total_amount, booking.currency)
    assert message["Subject"] == f"Booking {booking.reference} cancelled: {refund} refund on its way"
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert f"We are refunding {refund} to your Visa ending in 4242." in body
    assert "5–10 business days" in body


def test_a_late_payment_refunded_is_explained(app_ctx, mail_folder):
    booking = _pending_booking()
    attempt = _attempt(booking, AttemptStatus.SUCCEEDED, card_brand="visa", card_last4="4242")
    now = utcnow()
    booking.refunds.append(Refund(
        payment_attempt_id=attempt.id, amount=attempt.amount, currency=attempt.currency, status=RefundStatus.SUCCEEDED,
        reason="late", idempotency_key=f"late-{booking.id}", created_by="test", created_at=now, updated_at=now,
    ))
    states.transition(booking, BookingStatus.EXPIRED, "test")
    states.transition(booking, BookingStatus.CANCELLED, "test")
    queue_cancellation(booking, attempt.amount)
    db.session.commit()
    assert send_due() == 1
    [path] = list(mail_folder.glob("*.eml"))
    body = message_from_bytes(path.read_bytes(), policy=policy.default).get_body(preferencelist=("plain",)).get_content()
    assert "so we could not confirm the booking" in body
    assert "e-ticket" not in body
    assert f"We are refunding {money(attempt.amount, attempt.currency)} to your Visa ending in 4242." in body


def test_an_ops_alert_goes_to_the_ops_address_once(app, app_ctx, smtp_inbox, monkeypatch):
    monkeypatch.setitem(app.config, "OPS_EMAIL", "ops@example.com")
    assert queue_ops_alert("Late payment refunded", "late:pi_123", "FLY2A-ABC234 paid after expiry") is True
    assert queue_ops_alert("Late payment refunded", "late:pi_123", "again") is False
    db.session.commit()
    assert send_due() == 1
    [(_, recipients, message)] = smtp_inbox.messages
    assert recipients == ["ops@example.com"]
    assert message["Subject"] == "[Fly2Any ops] Late payment refunded"
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "FLY2A-ABC234 paid after expiry" in body and "late:pi_123" in body


def test_the_send_emails_command(app, app_ctx, smtp_inbox):
    booking = _confirmed_booking()
    queue_confirmation(booking)
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["send-emails"])  # `flask send-emails`, once (no --loop)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Sent 1 email(s)."
    [(_, recipients, message)] = smtp_inbox.messages
    assert recipients == [booking.contact_email] and booking.reference in message["Subject"]
    again = runner.invoke(args=["send-emails"])
    assert again.exit_code == 0 and again.output.strip() == "Sent 0 email(s)."  # nothing goes twice
    assert len(smtp_inbox.messages) == 1
    bad = runner.invoke(args=["send-emails", "--limit", "lots"])
    assert bad.exit_code == 2 and "Invalid value for '--limit'" in bad.output