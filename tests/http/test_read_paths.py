"""A visitor who only looks costs no database write; what we keep for a browser is looked
up only when it has a session, and only a hash of the session id is ever stored."""
from __future__ import annotations

import hashlib
import re

import pytest
from redis import Redis
from sqlalchemy import func, select

from checkout import create_app
from checkout.extensions import db
from checkout.models import FunnelEvent, WebSession
from tests.conftest import SCAN_COUNT, Checkout, travel_day
from tests.sql_support import counting_statements

SESSION = "fly2any_session"


def _look_around(checkout: Checkout) -> list:
    day = travel_day().isoformat()
    return [
        checkout.get("/"),
        checkout.get("/airports/suggest?q=lon"),
        checkout.get(f"/flights?origin=JFK&destination=LHR&date={day}&adults=2", headers={"HX-Request": "true"}),
        checkout.search(origin="JFK", destination="LHR", adults=2),
        checkout.get("/manage"),
        checkout.get("/staff/login"),
    ]


def test_looking_around_writes_nothing_and_keeps_no_session(app, checkout, client):
    with counting_statements(app) as statements:
        pages = _look_around(checkout)
    assert [p.status_code for p in pages] == [200] * len(pages)
    assert statements.writes == [], str(statements)
    assert client.get_cookie(SESSION) is None
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(WebSession)) == 0
        assert db.session.scalar(select(func.count()).select_from(FunnelEvent)) == 0
    # The results' forms still carry a token that works: selecting starts the session.
    checkout.select_first(adults=2)
    assert client.get_cookie(SESSION) is not None
    assert checkout.get("/customize").status_code == 200


def test_a_forged_or_missing_csrf_token_is_still_refused(checkout, client):
    html = checkout.search().get_data(as_text=True)
    offer_id = re.search(r'name="offer_id" value="([^"]+)"', html).group(1)
    assert checkout.post("/select", {"offer_id": offer_id, "csrf_token": "forged"}).status_code == 400
    other = Checkout(client.application.test_client())
    other.search()  # another browser's token does not fit this browser's secret
    assert checkout.post("/select", {"offer_id": offer_id, "csrf_token": other.csrf}).status_code == 400
    client.delete_cookie("fly2any_session_browser")  # the secret's cookie gone: the token is no good
    assert checkout.post("/select", {"offer_id": offer_id}).status_code == 400
    assert client.get_cookie(SESSION) is None


def test_a_tampered_browser_cookie_is_ignored(checkout, client):
    checkout.search()
    cookie = client.get_cookie("fly2any_session_browser")
    client.set_cookie("fly2any_session_browser", cookie.value[:-2] + ("AA" if cookie.value[-2:] != "AA" else "BB"))
    html = checkout.search().get_data(as_text=True)
    offer_id = re.search(r'name="offer_id" value="([^"]+)"', html).group(1)
    # A fresh secret was issued with the page, so its token works; the tampered one was dropped.
    assert checkout.post("/select", {"offer_id": offer_id}).status_code == 303


def test_static_files_and_cookieless_requests_send_no_sql(app, checkout, client):
    with counting_statements(app) as statements:
        assert client.get("/static/css/checkout.css").status_code == 200
        assert client.get("/").status_code == 200
    assert list(statements) == []
    checkout.select_first()  # now the browser has a session ...
    with counting_statements(app) as statements:
        assert client.get("/static/css/checkout.css").status_code == 200  # ... never read for a file
    assert list(statements) == []


@pytest.fixture(params=["database", "redis"])
def any_store_app(request, app):
    """The app with sessions in the web_sessions table (the demo) or in Redis (production)."""
    overrides = {key: app.config[key] for key in (
        "SQLALCHEMY_DATABASE_URI", "STRIPE_API_BASE", "STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY",
        "STRIPE_WEBHOOK_SECRET", "STRIPE_JS_URL", "RATELIMIT_STORAGE_URI", "RATELIMIT_KEY_PREFIX")}
    overrides["REDIS_URL"] = app.config["RATELIMIT_STORAGE_URI"] if request.param == "redis" else ""
    other = create_app("test", overrides)
    yield request.param, other
    with other.app_context():
        db.engine.dispose()


def test_only_a_hash_of_the_session_id_is_stored(any_store_app):
    store, app = any_store_app
    client = app.test_client()
    Checkout(client).select_first()
    token = client.get_cookie(SESSION).value
    digest = hashlib.sha256(token.encode()).hexdigest()
    with app.app_context():
        rows = db.session.execute(select(WebSession.id)).scalars().all()
    redis = Redis.from_url(app.config["RATELIMIT_STORAGE_URI"])
    keys = [k.decode() for k in redis.scan_iter(f"{app.config['RATELIMIT_KEY_PREFIX']}:session:*", count=SCAN_COUNT)]
    stored = rows if store == "database" else keys
    assert any(digest in s for s in stored) and not any(token in s for s in rows + keys)
    assert Checkout(client).get("/customize").status_code == 200  # and the draft is found again
    # Signing out of a session (here: clearing it) removes what was stored.
    with client.session_transaction() as session:
        session.clear()
    with app.app_context():
        rows = db.session.execute(select(WebSession.id)).scalars().all()
    assert digest not in rows and redis.get(f"{app.config['RATELIMIT_KEY_PREFIX']}:session:{digest}") is None

