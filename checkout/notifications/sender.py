"""The email worker: sends what the outbox holds, one email per transaction.

Each email is taken with SELECT ... FOR UPDATE SKIP LOCKED (PostgreSQL), sent, and
marked in the same transaction, so two workers never hold the same row and a sent
email is never picked again. Delivery is at least once: if the process dies between
the SMTP server accepting a message and our commit, that message goes again (with
the same Message-ID, which mail clients use to drop the repeat).

Bodies are rendered here, at send time, from the booking as it is now.
"""
from __future__ import annotations

import os
import smtplib
import ssl
import threading
import time
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from urllib.parse import urlsplit

from flask import current_app, render_template
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ..clock import utcnow
from ..extensions import db
from ..models import Booking, BookingStatus, OutboxEmail, PaymentAttempt, Refund, RefundStatus
from .calendar import calendar_filename, trip_calendar
from .eticket import bag_terms, card_label, eticket_filename, render_eticket_pdf
from .outbox import Kind, masked_email
from ..parsing import is_digits

PENDING, SENT, FAILED = "pending", "sent", "failed"
# Queued, then overtaken by events before it went out (a payment failure notice for a
# booking that has since been paid, a confirmation for one since cancelled): telling the
# traveller would only confuse.
SKIPPED = "skipped"
MAX_ATTEMPTS = 8

# Used when config.py does not set the key.
DEFAULTS = {
    "MAIL_BACKEND": "smtp",  # smtp | file (writes <instance_path>/mail/*.eml)
    "MAIL_SERVER": "localhost",
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,  # STARTTLS after connecting
    "MAIL_USE_SSL": False,  # TLS from the start (port 465)
    "MAIL_USERNAME": "",
    "MAIL_PASSWORD": "",
    "MAIL_DEFAULT_SENDER": "Fly2Any <bookings@fly2any.test>",
    "MAIL_TIMEOUT": 10,  # seconds, per SMTP operation
    "PUBLIC_BASE_URL": "http://127.0.0.1:5000",  # links in emails
    "SUPPORT_EMAIL": "support@fly2any.test",
}


class Undeliverable(Exception):
    """Trying again cannot help (the booking it reports on is gone): fail at once."""


class NothingToSend(Exception):
    """The news is stale; the email is marked skipped, not sent."""


def setting(name: str):
    value = current_app.config.get(name)
    return DEFAULTS[name] if value is None else value


def backoff(attempts: int) -> timedelta:
    """Wait after the n-th failed attempt: 1, 2, 4, 8 ... minutes."""
    return timedelta(minutes=2 ** (attempts - 1))


# -- the worker ------------------------------------------------------------------------

def send_due(now: datetime | None = None, limit: int = 50) -> int:
    """Send up to `limit` pending emails due at `now`; returns how many were sent.

    Commits after each email (sent, failed or rescheduled). Safe to run in several
    processes at once.
    """
    now = now or utcnow()
    sent = 0
    for _ in range(limit):
        outcome = _send_next(now)
        if outcome is None:
            break
        sent += outcome
    return sent


def run_forever(interval: float = 5, limit: int = 50, stop: threading.Event | None = None) -> None:
    """The worker process: send what is due, wait `interval` seconds, repeat until `stop` is set.

    A failing round (database restarting...) is logged and retried; it never ends the loop.
    """
    stop = stop or threading.Event()
    while not stop.is_set():
        sent = 0
        try:
            sent = send_due(limit=limit)
        except Exception:
            current_app.logger.exception("email worker round failed; trying again in %ss", interval)
            db.session.rollback()
        finally:
            db.session.remove()  # a fresh session (and identity map) each round
        if sent < limit:  # a full batch means more may be waiting: go again at once
            _pause(interval, stop)


def _pause(seconds: float, stop: threading.Event) -> None:
    """Wait `seconds`, or less once `stop` is set. Short sleeps rather than stop.wait(seconds):
    a timed wait never returns under libfaketime (the suite moves the clock with it), and a
    stop is still noticed within a fifth of a second."""
    waited = 0.0
    while waited < seconds and not stop.is_set():
        time.sleep(0.2)
        waited += 0.2


def _lock_next_due(now: datetime, email_id: int | None = None) -> OutboxEmail | None:
    query = select(OutboxEmail).where(OutboxEmail.status == PENDING)
    if email_id is None:
        query = query.where(OutboxEmail.next_attempt_at <= now).order_by(OutboxEmail.next_attempt_at, OutboxEmail.id)
    else:
        query = query.where(OutboxEmail.id == email_id)
    # SKIP LOCKED: another worker holds that row; take the next one instead of waiting.
    # (SQLite, the single-process demo, has no row locks and ignores this.)
    return db.session.execute(
        query.limit(1).with_for_update(skip_locked=True).execution_options(populate_existing=True)
    ).scalar_one_or_none()


def _send_next(now: datetime) -> int | None:
    """Take one due email and deal with it. None when nothing is due; else 1 if sent, 0 if not."""
    email = _lock_next_due(now)
    if email is None:
        db.session.rollback()
        return None
    email_id, status, error = email.id, SENT, None
    try:
        deliver(build_message(email, now), f"{email.id}-{email.kind}")
    except NothingToSend as exc:
        status, error = SKIPPED, str(exc)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded on the row and retried
        status, error = FAILED if isinstance(exc, Undeliverable) else PENDING, f"{type(exc).__name__}: {exc}"
        current_app.logger.warning("email %s (%s) not sent: %s", email_id, email.kind, error)
        if isinstance(exc, SQLAlchemyError):
            # The transaction is unusable: start again and re-take our row.
            db.session.rollback()
            email = _lock_next_due(now, email_id)
            if email is None:
                db.session.rollback()
                return 0
    email.attempts += 1
    email.last_error = error[:500] if error else None
    if status == SENT:
        email.status, email.sent_at = SENT, now
    elif status == PENDING and email.attempts >= MAX_ATTEMPTS:
        email.status = FAILED
    elif status == PENDING:
        email.next_attempt_at = now + backoff(email.attempts)
    else:
        email.status = status
    db.session.commit()
    return 1 if status == SENT else 0


# -- writing the message ---------------------------------------------------------------

def public_url(endpoint: str, **values) -> str:
    """Absolute URL of `endpoint` on PUBLIC_BASE_URL: for emails (the worker has no request) and
    for the payment page's return URL. Never from the request's Host header, which the sender
    chooses (Host: evil.example made Stripe send travellers and their client secret there)."""
    base = urlsplit(setting("PUBLIC_BASE_URL"))
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "http")
    return adapter.build(endpoint, values, force_external=True)


def booking_url(booking: Booking) -> str:
    """Absolute link to the booking page."""
    return public_url("bookings.show", reference=booking.reference)


def _named_in_key(model, email: OutboxEmail, booking: Booking):
    """The row of `booking` an email is about (the attempt that failed, the refund made): its
    id is in the dedupe key, after the colon."""
    _, _, row_id = email.dedupe_key.partition(":")
    row = db.session.get(model, int(row_id)) if is_digits(row_id) else None
    return row if row is not None and row.booking_id == booking.id else None


def _failed_attempt(email: OutboxEmail, booking: Booking) -> PaymentAttempt | None:
    return _named_in_key(PaymentAttempt, email, booking)


def _refund(email: OutboxEmail, booking: Booking) -> Refund | None:
    return _named_in_key(Refund, email, booking)


def render_body(email: OutboxEmail, now: datetime) -> tuple[str, Booking | None]:
    """The plain-text body of `email`, from templates/emails/<kind>.txt and today's data."""
    booking = db.session.get(Booking, email.booking_id) if email.booking_id else None
    context = {"email": email, "booking": booking, "now": now}
    if booking is None and email.kind != Kind.OPS_ALERT:
        raise Undeliverable("the booking this email reports on no longer exists")
    if booking is not None:
        context.update(
            flight=booking.flight, paid_attempt=booking.paid_attempt, card=card_label(booking.paid_attempt),
            bags=bag_terms(booking), booking_url=booking_url(booking), eticket_filename=eticket_filename(booking),
            manage_url=public_url("manage.lookup_form", reference=booking.reference),
        )
    if email.kind == Kind.CONFIRMATION and booking.status == BookingStatus.CANCELLED:
        # E.g. a refund that outran the payment's "succeeded": confirmed and cancelled in one
        # go. The cancellation email tells where it ended; an e-ticket would mislead.
        raise NothingToSend("booking is CANCELLED by now; the cancellation email says so")
    if email.kind == Kind.PAYMENT_FAILED:
        if booking.paid_attempt is not None or booking.status in (BookingStatus.CONFIRMED, BookingStatus.CANCELLED):
            raise NothingToSend(f"booking is {booking.status} by now; the failure no longer matters")
        context["attempt"] = _failed_attempt(email, booking)
    elif email.kind == Kind.CANCELLATION:
        context["refund_total"] = sum(r.amount for r in booking.refunds if r.status != RefundStatus.FAILED)
        context["refund_failed"] = any(r.status == RefundStatus.FAILED for r in booking.refunds)
    elif email.kind == Kind.OPS_ALERT:
        context["body"] = email.body
    elif email.kind == Kind.PAYMENT_REFUNDED:
        context["refund"] = _refund(email, booking)
    elif email.kind == Kind.REFUND_MADE:
        refund = _refund(email, booking)
        if refund is None or refund.status == RefundStatus.FAILED:
            raise NothingToSend("the payment provider refused this refund: nothing was refunded to tell")
        context["refund"] = refund
    elif email.kind == Kind.CONTACT_CHANGED:
        context["new_email"] = masked_email(booking.contact_email)
    return render_template(f"emails/{email.kind}.txt", **context), booking


def build_message(email: OutboxEmail, now: datetime) -> EmailMessage:
    body, booking = render_body(email, now)
    sender = setting("MAIL_DEFAULT_SENDER")
    domain = parseaddr(sender)[1].rpartition("@")[2] or "fly2any.test"
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.to_address
    message["Subject"] = email.subject
    message["Date"] = format_datetime(utcnow())
    # Stable across retries, so a repeat after a crash is recognisably the same message.
    message["Message-ID"] = f"<outbox-{email.id}.{email.kind}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    if email.kind != Kind.OPS_ALERT:
        message["Reply-To"] = setting("SUPPORT_EMAIL")
    message.set_content(body)
    if email.kind == Kind.CONFIRMATION:
        message.add_attachment(render_eticket_pdf(booking), maintype="application", subtype="pdf",
                               filename=eticket_filename(booking))
        # The flights for the traveller's calendar, as "Add to calendar" on the booking page gives them.
        message.add_attachment(trip_calendar(booking), maintype="text", subtype="calendar",
                               filename=calendar_filename(booking))
    return message


# -- delivery --------------------------------------------------------------------------

def deliver(message: EmailMessage, name: str) -> None:
    """Hand `message` to the SMTP server, or write it to <instance_path>/mail/ (MAIL_BACKEND=file)."""
    if setting("MAIL_BACKEND") == "file":
        _write_file(message, name)
    else:
        _send_smtp(message)


def _write_file(message: EmailMessage, name: str) -> str:
    folder = os.path.join(current_app.instance_path, "mail")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"{utcnow():%Y%m%dT%H%M%S%f}-{name}.eml")
    partial = path + ".part"
    with open(partial, "wb") as file:
        file.write(message.as_bytes())
    os.replace(partial, path)  # readers never see half a message
    return path


def _send_smtp(message: EmailMessage) -> None:
    host, port, timeout = setting("MAIL_SERVER"), int(setting("MAIL_PORT")), float(setting("MAIL_TIMEOUT"))
    if setting("MAIL_USE_SSL"):
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    with smtp:
        if setting("MAIL_USE_TLS") and not setting("MAIL_USE_SSL"):
            smtp.starttls(context=ssl.create_default_context())
        if setting("MAIL_USERNAME"):
            smtp.login(setting("MAIL_USERNAME"), setting("MAIL_PASSWORD"))
        smtp.send_message(message)
