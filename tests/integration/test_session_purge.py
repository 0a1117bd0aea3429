"""Expired browser sessions are deleted by the sweeper, in bounded batches.

Every page view without a cookie stores a session row (the CSRF secret lives server-side),
so without a purge web_sessions grows for ever.
"""
from datetime import timedelta

from sqlalchemy import func, insert, select

from checkout import web_session
from checkout.clock import utcnow
from checkout.extensions import db
from checkout.models import WebSession
from checkout.payments.sweeper import sweep


def _add_sessions(count: int, expires_at, tag: str) -> None:
    db.session.execute(insert(WebSession), [
        {"id": f"{tag}-{i:05d}".ljust(64, "0"), "data": "{}", "expires_at": expires_at} for i in range(count)])
    db.session.commit()


def _sessions(**where) -> int:
    query = select(func.count()).select_from(WebSession)
    if "expired_by" in where:
        query = query.where(WebSession.expires_at < where["expired_by"])
    return db.session.execute(query).scalar()


def test_a_cookieless_page_view_leaves_a_session_the_sweeper_later_deletes(client, app):
    assert client.get("/").status_code == 200
    with app.app_context():
        assert _sessions() == 1
        sweep(now=utcnow())  # still valid: kept
        assert _sessions() == 1
        report = sweep(now=utcnow() + timedelta(minutes=app.config["SESSION_LIFETIME_MINUTES"] + 1))
        assert report.sessions_purged == 1
        assert _sessions() == 0


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
