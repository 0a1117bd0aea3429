"""The SMTP server is down when the mail worker runs: the confirmation waits in the outbox
and goes out once, when the server is back and its retry is due."""
from __future__ import annotations

from datetime import timedelta

from aiosmtpd.controller import Controller
from sqlalchemy import select

from checkout.clock import utcnow
from checkout.extensions import db
from checkout.models import OutboxEmail
from checkout.notifications import sender
from checkout.payments import service as payments
from tests.payments_support import pay_at_stripe, pending_booking
from tests.smtp_support import Inbox, free_port, point_mail_at


def _confirmed_booking(app):
    with app.app_context():
        booking = pending_booking()
        started = payments.start_payment(booking.id)
        pay_at_stripe(started.attempt.payment_intent_id, "4242424242424242")
        payments.reconcile(started.attempt.payment_intent_id)
        return booking.reference


def _outbox(app) -> list[tuple[str, str, int]]:
    with app.app_context():
        return [(e.kind, e.status, e.attempts) for e in db.session.execute(select(OutboxEmail)).scalars()]


def _send_emails(app) -> str:
    result = app.test_cli_runner().invoke(args=["send-emails"])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def test_smtp_down_the_confirmation_waits_and_goes_once_when_the_server_is_back(app, monkeypatch):
    port = free_port()
    point_mail_at(monkeypatch, app, MAIL_PORT=port)
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    smtp.stop()  # the mail server goes down before the booking is paid
    reference = _confirmed_booking(app)

    assert _send_emails(app) == "Sent 0 email(s)."
    assert _outbox(app) == [("confirmation", "pending", 1)]  # kept, to be tried again

    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        assert _send_emails(app) == "Sent 0 email(s)."  # the retry is not due yet (1 minute)
        later = utcnow() + timedelta(minutes=1, seconds=5)
        monkeypatch.setattr(sender, "utcnow", lambda: later)
        assert _send_emails(app) == "Sent 1 email(s)."
        assert _send_emails(app) == "Sent 0 email(s)."
    finally:
        smtp.stop()
    assert _outbox(app) == [("confirmation", "sent", 2)]
    [message] = inbox.to("ada@example.com")
    assert reference in message["Subject"]
