"""Server-side sessions: the cookie carries only an opaque random id.

The session's contents (the CSRF secret, which draft booking belongs to this browser)
live in the `web_sessions` table, so nothing about the traveller rides in the cookie.
Only a SHA-256 of the id is stored, so a database leak does not hand out live sessions.
Every browser without a cookie gets a row; the sweeper deletes expired ones (purge_expired).
"""
from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime, timedelta

from flask.sessions import SessionInterface, SessionMixin
from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import CallbackDict

from .clock import utcnow
from .extensions import db
from .models import WebSession


# The sweeper deletes expired sessions this many rows per transaction, and at most this many
# batches per run: short transactions, a bounded run, the rest next minute.
PURGE_BATCH = 1000
PURGE_MAX_BATCHES = 20


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ServerSession(CallbackDict, SessionMixin):
    def __init__(self, initial=None, token: str | None = None, new: bool = False):
        def on_update(session):
            session.modified = True

        super().__init__(initial, on_update)
        self.token = token
        self.new = new
        self.modified = False

    def regenerate(self) -> None:
        """Give this session a new id (at sign-in), keeping its contents; the old row goes."""
        self.previous_token = self.token
        self.token = None
        self.modified = True


class DatabaseSessionInterface(SessionInterface):
    def open_session(self, app, request):
        token = request.cookies.get(self.get_cookie_name(app))
        if token and len(token) < 100:
            try:
                row = db.session.execute(
                    select(WebSession).where(WebSession.id == _digest(token))
                ).scalar_one_or_none()
            except SQLAlchemyError:
                # The database is unreachable. None makes Flask use a read-only null session, so
                # the error page can still render (and nothing overwrites the traveller's cookie).
                app.logger.warning("session store unavailable; answering without the session", exc_info=True)
                db.session.rollback()
                return None
            if row is not None and row.expires_at > utcnow():
                return ServerSession(json.loads(row.data), token=token)
        return ServerSession(new=True)

    def save_session(self, app, session: ServerSession, response):
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        if not session:
            if session.token and session.modified:
                db.session.execute(delete(WebSession).where(WebSession.id == _digest(session.token)))
                db.session.commit()
                response.delete_cookie(name, domain=domain, path=path)
            return
        if not (session.modified or session.new or session.token is None):
            return
        lifetime = timedelta(minutes=app.config["SESSION_LIFETIME_MINUTES"])
        expires_at = utcnow() + lifetime
        if session.token is None or session.new:
            previous = getattr(session, "previous_token", None)
            if previous:
                db.session.execute(delete(WebSession).where(WebSession.id == _digest(previous)))
            session.token = secrets.token_urlsafe(32)
            db.session.add(WebSession(id=_digest(session.token), data=json.dumps(dict(session)), expires_at=expires_at))
        else:
            row = db.session.get(WebSession, _digest(session.token))
            if row is None:
                db.session.add(WebSession(id=_digest(session.token), data=json.dumps(dict(session)), expires_at=expires_at))
            else:
                row.data = json.dumps(dict(session))
                row.expires_at = expires_at
        db.session.commit()
        response.set_cookie(
            name, session.token, max_age=lifetime, httponly=True, domain=domain, path=path,
            secure=self.get_cookie_secure(app), samesite=self.get_cookie_samesite(app),
        )
        response.vary.add("Cookie")


def purge_expired(now: datetime, batch: int | None = None, max_batches: int | None = None) -> int:
    """Delete sessions that expired before `now`; returns how many went.

    `batch` rows per transaction, at most `max_batches` transactions per call (the rest
    stays for the next sweep). Rows another sweeper is deleting are skipped, not waited for.
    """
    batch, max_batches = batch or PURGE_BATCH, max_batches or PURGE_MAX_BATCHES
    purged = 0
    for _ in range(max_batches):
        expired = (select(WebSession.id).where(WebSession.expires_at < now).limit(batch)
                   .with_for_update(skip_locked=True).scalar_subquery())
        deleted = db.session.execute(delete(WebSession).where(WebSession.id.in_(expired))).rowcount
        db.session.commit()
        purged += deleted
        if deleted < batch:
            break
    return purged


def open_for(data: dict, lifetime: timedelta) -> str:
    """A new session holding `data`, for a visitor that is not a browser (the payment page
    check). Returns the cookie value."""
    token = secrets.token_urlsafe(32)
    db.session.add(WebSession(id=_digest(token), data=json.dumps(data), expires_at=utcnow() + lifetime))
    db.session.commit()
    return token


def end(token: str) -> None:
    db.session.execute(delete(WebSession).where(WebSession.id == _digest(token)))
    db.session.commit()
