"""Several machines behind a load balancer, sharing one PostgreSQL and one Redis.

Two web instances (the Procfile's gunicorn line, each on its own port as on its own
machine), two sweepers and two mail workers (the Procfile's lines), all on `.env.example`
pointed at this run's database, the shared Redis under a key prefix of their own, and
localstripe. Nothing may happen twice: no booking expired twice, no email sent twice, no
payment confirmed twice, and a traveller's limit is one limit, whichever machine answers.
"""
from __future__ import annotations

import asyncio
import http.cookiejar
import json
import re
import secrets
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select, update

from checkout import notifications
from checkout.clock import utcnow
from checkout.extensions import db
from checkout.manage import NOT_FOUND
from checkout.models import Booking, BookingStatus, BookingTransition, OutboxEmail, PaymentAttempt
from checkout.payments import service as payments
from config import read_env_file
from tests.conftest import PUBLISHABLE_KEY, REDIS_URL, WEBHOOK_SECRET
from tests.payments_support import event, pay_at_stripe, payment_intent_object, pending_booking, signed
from tests.process_support import ROOT, procfile_command, shared_clock
from tests.smtp_support import Inbox, free_port

EMAIL = "ada@example.com"


class SlowInbox(Inbox):
    """Takes 50 ms per message, like a real relay, so two workers are sending at once."""

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.05)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture(scope="module")
def smtp_relay():
    inbox, port = SlowInbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture(scope="module")
def machine_environment(app, database_url, localstripe, smtp_relay, tmp_path_factory) -> dict:
    """What every machine gets: `.env.example` with this run's services, behind one proxy."""
    return {
        **read_env_file(ROOT / ".env.example"),
        "DATABASE_URL": database_url,
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": f"machines-{secrets.token_hex(4)}",
        "STRIPE_API_BASE": localstripe,
        "STRIPE_JS_URL": "/offline/stripe/v3.js",
        "STRIPE_SECRET_KEY": "sk_test_fly2any",
        "STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        # Every machine reads the passport numbers the others (and this test's app) wrote.
        "PII_ENCRYPTION_KEYS": app.config["PII_ENCRYPTION_KEYS"],
        "MAIL_PORT": str(smtp_relay[1]),
        "TRUSTED_PROXY_HOPS": "1",  # the load balancer appends the traveller's address
        "TRUSTED_PROXIES": "127.0.0.0/8",  # and reaches the machines from this host
        "INSTANCE_PATH": str(tmp_path_factory.mktemp("instance")),
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        **shared_clock(),  # the machines keep the suite's time, even when faketime moves it
    }


def _start(process: str, environment: dict, port: int | None = None) -> subprocess.Popen:
    return subprocess.Popen(["bash", "-c", "exec " + procfile_command(process, port)], cwd=ROOT, env=environment,
                            stdout=subprocess.PIPE if process != "web" else subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, text=True)


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _first_line(proc: subprocess.Popen, timeout: float = 90) -> str:
    """The process's first line of output (read in a thread, so a silent process cannot hang us)."""
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    assert lines and lines[0], f"no output from {proc.args} (exit code {proc.poll()})"
    return lines[0].strip()


@pytest.fixture(scope="module")
def machines(machine_environment):
    """Two web instances, as two machines behind the balancer: their base URLs."""
    ports = [free_port(), free_port()]
    webs = [_start("web", machine_environment, port) for port in ports]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    deadline = time.monotonic() + 90
    for web, base in zip(webs, bases):
        while True:
            try:
                urllib.request.urlopen(base + "/static/css/checkout.css", timeout=5).close()
                break
            except OSError:
                assert web.poll() is None, "gunicorn exited"
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.3)
    yield bases
    for web in webs:
        _stop(web)


def _call(url: str, body: bytes | None = None, headers: dict | None = None, opener=None):
    request = urllib.request.Request(url, data=body, headers=headers or {})
    try:
        with (opener or urllib.request.build_opener()).open(request, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def _create_intent(base: str, reference: str, traveller: str) -> int:
    body = json.dumps({"bookingReference": reference, "email": EMAIL}).encode()
    return _call(base + "/api/payments/create-intent", body,
                 {"Content-Type": "application/json", "X-Forwarded-For": traveller})[0]


def test_one_travellers_limit_is_shared_by_both_machines(app, machines):
    with app.app_context():
        reference = pending_booking().reference
    traveller, neighbour = "203.0.113.7", "198.51.100.23"
    answers = [_create_intent(machines[i % 2], reference, traveller) for i in range(6)]
    assert answers == [200] * 5 + [429]  # 3 + 3 requests over two machines: the sixth is refused
    assert _create_intent(machines[1], reference, neighbour) == 200  # someone else behind the same balancer


def test_a_browser_session_started_on_one_machine_goes_on_on_the_other(machines):
    """Sessions live in PostgreSQL: the balancer needs no sticky sessions."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    traveller = {"X-Forwarded-For": "192.0.2.44"}
    status, page = _call(machines[0] + "/manage", headers=traveller, opener=opener)
    assert status == 200
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrf_token": token, "reference": "FLY2A-ZZZZZZ", "secret": "Lovelace"}).encode()
    status, page = _call(machines[1] + "/manage", form, traveller, opener=opener)
    assert status == 422, page[:500]  # the form was accepted (CSRF held) and the booking looked for
    assert NOT_FOUND.replace("'", "&#39;") in page


def _count(query) -> int:
    return db.session.execute(query).scalar()


def test_two_sweepers_expire_each_booking_once(app, database_url, machine_environment):
    with app.app_context():
        ids = []
        for _ in range(6):
            booking = pending_booking()
            payments.start_payment(booking.id)  # each expiry must cancel a PaymentIntent at Stripe
            ids.append(booking.id)
        db.session.execute(update(Booking).where(Booking.id.in_(ids))
                           .values(hold_expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()

    # Hold every due booking's row lock while both sweepers start, so both reach the same
    # bookings at the same moment when it is let go (row locks, not luck, keep them apart).
    with psycopg.connect(database_url.replace("+psycopg", "")) as holder:
        holder.execute("SELECT id FROM bookings WHERE id = ANY(%s) FOR UPDATE", (ids,))
        sweepers = [_start("sweeper", machine_environment) for _ in range(2)]
        try:
            deadline = time.monotonic() + 90
            with psycopg.connect(database_url.replace("+psycopg", ""), autocommit=True) as watcher:
                while watcher.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                      "AND wait_event_type = 'Lock'").fetchone()[0] < 2:
                    assert all(s.poll() is None for s in sweepers), "a sweeper exited early"
                    assert time.monotonic() < deadline, "the sweepers never reached the bookings"
                    time.sleep(0.1)
            holder.commit()
            reports = [_first_line(s) for s in sweepers]
        finally:
            for sweeper in sweepers:
                _stop(sweeper)

    expired = [int(re.match(r"expired (\d+),", report).group(1)) for report in reports]
    assert sum(expired) == len(ids), reports
    with app.app_context():
        assert _count(select(func.count()).select_from(Booking).where(
            Booking.id.in_(ids), Booking.status == BookingStatus.EXPIRED)) == len(ids)
        assert _count(select(func.count()).select_from(BookingTransition).where(
            BookingTransition.booking_id.in_(ids), BookingTransition.to_status == BookingStatus.EXPIRED)) == len(ids)
        assert _count(select(func.count()).select_from(PaymentAttempt).where(
            PaymentAttempt.booking_id.in_(ids), PaymentAttempt.status != "canceled")) == 0


def test_two_mail_workers_send_each_email_once(app, machine_environment, smtp_relay):
    inbox, _ = smtp_relay
    inbox.messages.clear()
    workers = [_start("mailer", machine_environment) for _ in range(2)]
    try:
        for worker in workers:
            assert _first_line(worker).startswith("Sending emails every")
        with app.app_context():
            for n in range(24):  # queued at once, while both workers are polling
                notifications.queue_ops_alert(f"test alert {n}", f"machines-test:{n}", f"Alert number {n}.")
            db.session.commit()
            deadline = time.monotonic() + 90
            while _count(select(func.count()).select_from(OutboxEmail).where(OutboxEmail.status == "pending")):
                assert time.monotonic() < deadline, "the workers did not send everything"
                time.sleep(0.2)
                db.session.rollback()  # see the workers' commits
            sent = db.session.execute(select(OutboxEmail.status, OutboxEmail.attempts)).all()
    finally:
        for worker in workers:
            _stop(worker)

    assert sent == [("sent", 1)] * 24
    message_ids = [message["Message-ID"] for _, message in inbox.received]
    assert len(message_ids) == 24 and len(set(message_ids)) == 24


def test_the_same_webhook_at_both_machines_at_once_confirms_once(app, machines):
    with app.app_context():
        booking = pending_booking()
        started = payments.start_payment(booking.id)
        intent = pay_at_stripe(started.attempt.payment_intent_id, "4242424242424242")
        payload, headers = signed(event("payment_intent.succeeded", payment_intent_object(
            intent.id, "succeeded", booking.total_amount, booking.reference)))
        booking_id = booking.id
    barrier = threading.Barrier(2)
    answers = []

    def deliver(base):
        barrier.wait()
        answers.append(_call(base + "/api/payments/webhook", payload, headers)[0])

    threads = [threading.Thread(target=deliver, args=(base,)) for base in machines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    assert answers == [200, 200]
    with app.app_context():
        assert _count(select(func.count()).select_from(BookingTransition).where(
            BookingTransition.booking_id == booking_id, BookingTransition.to_status == BookingStatus.CONFIRMED)) == 1
        assert _count(select(func.count()).select_from(OutboxEmail).where(
            OutboxEmail.booking_id == booking_id, OutboxEmail.kind == "confirmation")) == 1
