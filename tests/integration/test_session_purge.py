"""Expired browser sessions are deleted by the sweeper, in bounded batches.

A visitor who only looks stores nothing (the CSRF secret rides in the signed browser cookie);
a session row is written once there is something to keep (a draft, a sign-in, a look-up).
Those rows of the `web_sessions` table (DatabaseStore) would grow for ever without a purge;
Redis entries expire by themselves.
"""
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select, update

from checkout import web_session
from checkout.clock import utcnow
from checkout.extensions import db
from checkout.models import WebSession
from checkout.payments.sweeper import sweep
from tests.conftest import Checkout
from tests.integration.test_web_session import BROWSER_COOKIE, _cookie, _digest, kept_store


@pytest.fixture(params=["redis", "table"])
def store(request, app, monkeypatch):
    yield from kept_store(request.param, app, monkeypatch)


def _add_sessions(count: int, expires_at, tag: str) -> None:
    db.session.execute(insert(WebSession), [
        {"id": f"{tag}-{i:05d}".ljust(64, "0"), "data": "{}", "expires_at": expires_at} for i in range(count)])
    db.session.commit()


def _sessions(**where) -> int:
    query = select(func.count()).select_from(WebSession)
    if "expired_by" in where:
        query = query.where(WebSession.expires_at < where["expired_by"])
    return db.session.execute(query).scalar()


def test_a_visitor_who_only_looks_leaves_no_session_at_all(client, app, store):
    visitor = Checkout(client)
    for page in ("/", "/manage", "/staff/login"):
        assert visitor.get(page).status_code == 200, page
    assert visitor.search().status_code == 200  # the results carry a CSRF token for their forms
    assert _cookie(client) is None  # no session cookie...
    assert _cookie(client, BROWSER_COOKIE)  # ...only the signed one with the CSRF secret
    assert store.entries() == {}  # and no row (or Redis entry) to store or later purge
    with app.app_context():
        assert _sessions() == 0
        assert sweep(now=utcnow() + timedelta(minutes=app.config["SESSION_LIFETIME_MINUTES"] + 1)).sessions_purged == 0


@pytest.mark.parametrize("store", ["table"], indirect=True)  # Redis entries expire by themselves
def test_the_sweeper_deletes_an_expired_session_row_and_keeps_a_live_one(app, store):
    leaving, staying = Checkout(app.test_client()), Checkout(app.test_client())
    leaving.select_first()
    staying.select_first()
    gone, live = _digest(_cookie(leaving.client)), _digest(_cookie(staying.client))
    with app.app_context():
        assert sweep(now=utcnow()).sessions_purged == 0  # both still valid: kept
        assert _sessions() == 2
        # The first traveller's session runs out.
        db.session.execute(update(WebSession).where(WebSession.id == gone)
                           .values(expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
        assert sweep(now=utcnow()).sessions_purged == 1
        assert set(db.session.execute(select(WebSession.id)).scalars()) == {live}
    assert staying.get("/customize").status_code == 200  # the live session still works
    assert leaving.get("/customize").status_code == 303
    with app.app_context():  # and the purged one is not brought back
        assert gone not in set(db.session.execute(select(WebSession.id)).scalars())


def test_the_purge_takes_only_expired_sessions_a_bounded_number_per_sweep(app_ctx, monkeypatch):
    now = utcnow()
    _add_sessions(25, now - timedelta(minutes=1), "old")
    _add_sessions(3, now + timedelta(minutes=30), "live")
    monkeypatch.setattr(web_session, "PURGE_BATCH", 10)
    monkeypatch.setattr(web_session, "PURGE_MAX_BATCHES", 2)

    first = sweep(now=now)
    assert first.sessions_purged == 20  # two batches of ten, then the sweep moves on
    assert _sessions(expired_by=now) == 5

    second = sweep(now=now)
    assert second.sessions_purged == 5
    assert _sessions(expired_by=now) == 0
    assert _sessions() == 3  # the live sessions stay
    assert sweep(now=now).sessions_purged == 0


def test_flask_sweep_says_how_many_sessions_it_purged(app, app_ctx):
    _add_sessions(4, utcnow() - timedelta(minutes=1), "cli")
    result = app.test_cli_runner().invoke(args=["sweep"])
    assert result.exit_code == 0, result.output
    assert "sessions purged 4" in result.output
    assert _sessions() == 0
