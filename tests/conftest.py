"""Shared fixtures: a fresh PostgreSQL database per run, the app, clients, and helpers.

The suite creates its own database on the server named by DATABASE_URL (default: the
local PostgreSQL, database `test`), migrates it with Alembic, seeds a few days of
flights, and drops it at the end, so runs never see each other's data.
"""
from __future__ import annotations

import os
import re
import secrets
from datetime import date, timedelta

import psycopg
import pytest
from redis import Redis
from sqlalchemy import text

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")

from checkout import create_app  # noqa: E402
from checkout.extensions import db  # noqa: E402

BASE_URL = os.environ.get("DATABASE_URL") or os.environ.get("POSTGRES_URL") or "postgresql://postgres@127.0.0.1:5432/test"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# Every app a test creates counts requests in Redis. Flask-Limiter's limiter is one module
# singleton, so an app left on memory:// would swap the session app's storage for its own;
# and memory:// starts a non-daemon Timer thread, which never ends under libfaketime
# (timed waits never time out there) and so hung the interpreter at exit.
RATE_LIMITS = {"RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": f"fly2any-test-{secrets.token_hex(4)}"}
SEED_DAYS = 6
SCAN_COUNT = 10_000  # keys Redis looks at per SCAN call
ACKS = ("fare_rules", "baggage", "conditions_of_carriage", "hazardous_materials")


def _server_url(url: str) -> str:
    return re.sub(r"^postgres(ql)?(\+psycopg)?://", "postgresql://", url)


def _with_database(url: str, name: str) -> str:
    return re.sub(r"/[^/?]*(\?|$)", f"/{name}\\1", _server_url(url), count=1).replace(
        "postgresql://", "postgresql+psycopg://", 1)


def _admin(sql: str) -> None:
    with psycopg.connect(_server_url(BASE_URL), autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture(scope="session")
def database_url():
    name = f"fly2any_test_{os.getpid()}_{secrets.token_hex(3)}"
    _admin(f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(BASE_URL, name)
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


WEBHOOK_SECRET = "whsec_test_" + secrets.token_hex(8)
PUBLISHABLE_KEY = "pk_test_fly2any"


@pytest.fixture(scope="session")
def localstripe():
    """A real localstripe process on a free port, from scratch, for the whole run."""
    from offline.control import start_localstripe, stop
    base_url, process = start_localstripe()
    yield base_url
    stop(process)


def stripe_offline_settings(stripe_base: str) -> dict:
    """What a test app needs to take payments from an offline Stripe (localstripe + our Stripe.js stand-in)."""
    return {
        "STRIPE_API_BASE": stripe_base,
        "STRIPE_SECRET_KEY": "sk_test_fly2any",
        "STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_JS_URL": "/offline/stripe/v3.js",
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": 1,  # nothing listens: tests that send mail start their own SMTP server
        "WTF_CSRF_ENABLED": True,
    }


def migrate_and_seed(app) -> None:
    """The schema by Alembic (as production gets it) and a few days of flights from today."""
    from flask_migrate import upgrade

    from checkout.catalog.seed import seed_all
    with app.app_context():
        upgrade()
        seed_all(date.today(), SEED_DAYS)


@pytest.fixture(scope="session")
def app(database_url, localstripe):
    app = create_app("test", {
        **stripe_offline_settings(localstripe),
        "SQLALCHEMY_DATABASE_URI": database_url,
        **RATE_LIMITS,
        # The suite's API tests all call from one address; tests/http/test_booking_limits.py
        # puts the real per-minute figure back and checks it.
        "API_BOOKINGS_PER_MINUTE": 10_000,
        # Room for the concurrency tests' threads and the live server's.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 25},
    })
    migrate_and_seed(app)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_bookings(request):
    """Each test leaves no bookings, monitoring rows or sessions, and only the seeded sold seats."""
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        db.session.execute(text(
            "DELETE FROM seat_holds WHERE booking_id IS NOT NULL;"
            "DELETE FROM outbox_emails; DELETE FROM webhook_events;"
            "DELETE FROM login_failures; DELETE FROM proof_failures; DELETE FROM audit_entries;"
            "DELETE FROM funnel_events; DELETE FROM error_events; DELETE FROM disputes; DELETE FROM dashboard_days;"
            "DELETE FROM bookings; DELETE FROM web_sessions;"
        ))
        db.session.commit()
        # Funnel stages kept in Redis for the sweeper to write belong to this test alone. One
        # SCAN round trip: at Redis' default of 10 keys a call, walking a server that holds a few
        # thousand keys (rate limits, sessions) took about 60 ms after every test.
        redis = Redis.from_url(REDIS_URL)
        keys = list(redis.scan_iter(f"{app.config['RATELIMIT_KEY_PREFIX']}:funnel:*", count=SCAN_COUNT))
        if keys:
            redis.delete(*keys)


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def travel_day(days_ahead: int = 3) -> date:
    return date.today() + timedelta(days=days_ahead)


class Checkout:
    """Walks a test client through the flow the way a browser without JavaScript would."""

    def __init__(self, client):
        self.client = client
        self.csrf = None

    def get(self, url, **kwargs):
        response = self.client.get(url, **kwargs)
        if b'name="csrf-token"' in response.data:
            self.csrf = csrf_from(response.get_data(as_text=True))
        return response

    def post(self, url, data=None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf)
        return self.client.post(url, data=data, **kwargs)

    def search(self, origin="JFK", destination="LHR", day=None, adults=1, children=0, infants=0):
        day = day or travel_day()
        return self.get(f"/flights?origin={origin}&destination={destination}&date={day.isoformat()}"
                        f"&adults={adults}&children={children}&infants={infants}")

    def select_first(self, **search):
        results = self.search(**search)
        assert results.status_code == 200, results.get_data(as_text=True)[:500]
        html = results.get_data(as_text=True)
        offer_id = re.search(r'name="offer_id" value="([^"]+)"', html).group(1)
        party = {k: search.get(k, d) for k, d in (("adults", 1), ("children", 0), ("infants", 0))}
        response = self.post("/select", {"offer_id": offer_id, **party})
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        self.get("/customize")
        return offer_id

    def passengers_form(self, people, international=True, email="ada@example.com", phone="+1 212 555 0100"):
        data = {"email": email, "phone": phone}
        for i, (first, last, born) in enumerate(people):
            data.update({
                f"passengers-{i}-first_name": first, f"passengers-{i}-last_name": last,
                f"passengers-{i}-date_of_birth": born, f"passengers-{i}-nationality": "GB",
                f"passengers-{i}-gender": "F",
            })
            if international:
                data.update({f"passengers-{i}-passport_number": f"X{1234567 + i}",
                             f"passengers-{i}-passport_expiry": (date.today() + timedelta(days=3000)).isoformat()})
        return data

    def to_pending(self, people=(("Ada", "Lovelace", "1985-12-10"),), origin="JFK", destination="LHR", **choices):
        self.select_first(origin=origin, destination=destination, adults=len(people))
        if choices:
            assert self.post("/customize", {"action": "update", **choices}).status_code == 303
        self.get("/passengers")
        response = self.post("/passengers", self.passengers_form(people, international=destination == "LHR"))
        assert response.status_code == 303, response.get_data(as_text=True)
        self.get("/review")
        response = self.post("/review", {f"ack_{k}": "y" for k in ACKS})
        assert response.status_code == 303, response.get_data(as_text=True)
        return response.location.rsplit("/", 1)[-1]


@pytest.fixture
def checkout(client):
    return Checkout(client)


@pytest.fixture
def smtp_inbox(app, monkeypatch):
    """A real SMTP server on a free port; the app sends its email there during the test."""
    from aiosmtpd.controller import Controller

    from tests.smtp_support import Inbox, free_port, point_mail_at
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    point_mail_at(monkeypatch, app, MAIL_PORT=port)
    yield inbox
    controller.stop()



@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """`make test` runs on two pytest-xdist workers with --dist loadgroup: each worker has its
    own database, localstripe, Chromium and live server (session fixtures), and otherwise takes
    the next test free. A test using a module- or package-scoped fixture goes with the others
    of that module or package (tests/faults' private PostgreSQL, Redis and localstripe; the
    production instances of test_several_machines; the axe tour), so that fixture is built
    once, not once per worker."""
    if not getattr(config.option, "loadgroup", False):  # set on xdist's workers under --dist loadgroup
        return
    for item in items:
        marked = item.get_closest_marker("xdist_group")  # a test that must not run beside others of its kind
        if marked:
            group = str(marked.args[0] if marked.args else marked.kwargs.get("name", "default"))
        else:
            info = getattr(item, "_fixtureinfo", None)
            shared = [definition.baseid for name in (info.names_closure if info else ())
                      for definition in info.name2fixturedefs.get(name, ()) if definition.scope in ("module", "package")]
            if not shared:
                continue
            group = min(shared, key=len)  # a package's before its modules'
            item.add_marker(pytest.mark.xdist_group(group))
        # xdist schedules by the "@group" suffix of the node id, which pytest-xdist 3.8 writes to
        # `item._nodeid`; pytest 9.2 keeps the id in `item._id`, so the suffix is written here.
        if "@" not in item.nodeid.rpartition("]")[2] and hasattr(item, "_id"):
            from _pytest.nodeid import coerce_node_id
            item._id = coerce_node_id(f"{item.nodeid}@{group}")


# -- the generated-input tests' count -------------------------------------------------------
# tests/fuzz count what they send (support.SENT); issue 16 asks for at least 10,000 requests
# with no 5xx, so the total is printed at the end of the run. Under pytest-xdist each worker
# hands its count to the controller, which loads only this conftest, and prints the sum.

def pytest_sessionfinish(session):
    from tests.fuzz.support import SENT
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: the controller prints
        workeroutput["fuzz_sent"] = dict(SENT)


def pytest_testnodedown(node, error):
    from tests.fuzz.support import SENT
    SENT.update(getattr(node, "workeroutput", {}).get("fuzz_sent", {}))


def pytest_terminal_summary(terminalreporter):
    from tests.fuzz.support import SENT
    if SENT:
        terminalreporter.write_line(f"generated-input tests: {sum(SENT.values())} requests sent in-process, "
                                    f"none answered 5xx, by test: {dict(SENT)}")
