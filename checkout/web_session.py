"""Server-side sessions: the cookie carries only an opaque random id, and only when there
is something to keep.

What the server keeps for a browser (which draft booking is its own, a staff sign-in, the
bookings it proved) lives in a store keyed by the SHA-256 of the cookie's random id, so a
leak of the store does not hand out live sessions. The store is Redis when the app has one
(`REDIS_URL`, shared by every worker, entries expire by themselves) and the `web_sessions`
table otherwise (the demo).

A few values belong to the browser, not to anything we keep: the CSRF secret and the
funnel's visitor id (`cookie_keys`). They ride in a second, signed cookie, so a visitor
who only looks (home, search, results, all carrying a CSRF token for their forms) costs no
write and no session row. The session row is written when there is more than that to
keep, and looked up only when the browser sends a session cookie (never for static files).

Expired rows of the table are deleted by the sweeper (purge_expired); Redis entries expire
by themselves.
"""
from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime, timedelta
from functools import cache

from flask import current_app, g
from flask.sessions import SessionInterface, SessionMixin
from itsdangerous import BadSignature, URLSafeSerializer
from redis.exceptions import RedisError
from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import CallbackDict

from .clock import utcnow
from .extensions import db, redis_client, upsert_insert
from .models import WebSession

BROWSER_COOKIE_SALT = "fly2any-browser-values"


# The sweeper deletes expired sessions this many rows per transaction, and at most this many
# batches per run: short transactions, a bounded run, the rest next minute.
PURGE_BATCH = 1000
PURGE_MAX_BATCHES = 20


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionUnavailable(Exception):
    """The session store could not be read, and this request needs what it keeps (a draft,
    a booking made or proven in this browser, a staff sign-in). Answered with a 503 "try
    again in a moment" (errors.py), never as if the browser had nothing: that read as
    "not in this browser" (a 404) or sent a traveller back to search, their draft lost."""


# Flask's own bookkeeping of one-time messages: without the store there are none to show.
_FLASHES = "_flashes"


class ServerSession(CallbackDict, SessionMixin):
    def __init__(self, initial=None, token: str | None = None, new: bool = False):
        def on_update(session):
            session.modified = True

        super().__init__(initial, on_update)
        self.token = token
        self.new = new
        self.modified = False
        # What was read, to write only what changed.
        self.stored_text: str | None = None
        self.browser_values: dict = {}
        self.skip = False  # a static file: nothing read, nothing written
        self.unavailable = False  # the store could not be read: nothing kept is known
        self.browser_keys: frozenset = frozenset()  # kept in the browser's cookie: known even then

    def _needs_store(self, key) -> None:
        if self.unavailable and key not in self.browser_keys and key != _FLASHES:
            raise SessionUnavailable(key)

    def __getitem__(self, key):
        self._needs_store(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self._needs_store(key)
        return super().get(key, default)

    def __contains__(self, key):
        self._needs_store(key)
        return super().__contains__(key)

    def __setitem__(self, key, value):
        self._needs_store(key)  # it could not be kept: the request must not go on as if it were
        super().__setitem__(key, value)

    def setdefault(self, key, default=None):
        self._needs_store(key)
        return super().setdefault(key, default)

    def pop(self, key, *default):
        self._needs_store(key)
        return super().pop(key, *default)

    def regenerate(self) -> None:
        """Give this session a new id (at sign-in), keeping its contents; the old row goes."""
        self.previous_token = self.token
        self.token = None
        self.modified = True


class DatabaseStore:
    """Sessions as rows of `web_sessions` (one SELECT to read, one upsert to write).

    Each read and write is its own short transaction on a connection of its own, never the
    request's SQLAlchemy session: saving the session must not commit (or flush) whatever the
    request's unit of work holds, and a request that rolls back must not take the session
    write with it (ADR 0128). Each ends with COMMIT, which keeps psycopg's prepared
    statements on that connection (transactions.py).
    """

    def load(self, digest: str, now: datetime) -> str | None:
        with db.engine.begin() as conn:
            return conn.execute(
                select(WebSession.data).where(WebSession.id == digest, WebSession.expires_at > now)
            ).scalar_one_or_none()

    def save(self, digest: str, text: str, lifetime: timedelta, now: datetime, previous: str | None) -> None:
        expires_at = now + lifetime
        with db.engine.begin() as conn:
            if previous:
                conn.execute(delete(WebSession).where(WebSession.id == previous))
            conn.execute(
                upsert_insert(WebSession).values(id=digest, data=text, expires_at=expires_at)
                .on_conflict_do_update(index_elements=["id"], set_={"data": text, "expires_at": expires_at})
            )

    def delete(self, digest: str) -> None:
        with db.engine.begin() as conn:
            conn.execute(delete(WebSession).where(WebSession.id == digest))


class RedisStore:
    """Sessions as Redis strings that expire by themselves (no SQL at all)."""

    def __init__(self, url: str, prefix: str, timeout: float | None = None):
        self.url, self.prefix, self.timeout = url, f"{prefix}:session:", timeout

    def load(self, digest: str, now: datetime) -> str | None:
        value = redis_client(self.url, self.timeout).get(self.prefix + digest)
        return value.decode() if value is not None else None

    def save(self, digest: str, text: str, lifetime: timedelta, now: datetime, previous: str | None) -> None:
        pipe = redis_client(self.url, self.timeout).pipeline()
        if previous:
            pipe.delete(self.prefix + previous)
        pipe.set(self.prefix + digest, text, ex=lifetime)
        pipe.execute()

    def delete(self, digest: str) -> None:
        redis_client(self.url, self.timeout).delete(self.prefix + digest)


@cache
def _browser_serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=BROWSER_COOKIE_SALT)


class ServerSessionInterface(SessionInterface):
    def __init__(self, store, cookie_keys: tuple[str, ...] = ()):
        self.store = store
        self.cookie_keys = frozenset(cookie_keys)

    def browser_cookie_name(self, app) -> str:
        return self.get_cookie_name(app) + "_browser"

    def open_session(self, app, request):
        session = ServerSession(new=True)
        session.browser_keys = self.cookie_keys
        if request.path.startswith(app.static_url_path + "/"):
            session.skip = True
            return session
        signed = request.cookies.get(self.browser_cookie_name(app))
        if signed and len(signed) < 500:
            try:
                values = _browser_serializer(app.secret_key).loads(signed)
            except BadSignature:
                values = None
            if isinstance(values, dict):
                session.browser_values = {k: v for k, v in values.items() if k in self.cookie_keys}
        token = request.cookies.get(self.get_cookie_name(app))
        kept = {}
        if token and len(token) < 100:
            try:
                text = self.store.load(_digest(token), utcnow())
            except (SQLAlchemyError, RedisError) as err:
                # The store is unreachable (or slower than REDIS_TIMEOUT_SECONDS). The request goes
                # on with the browser's own values (its CSRF secret) and nothing is written back,
                # so a page that needs nothing kept (home, search) still answers, one that does
                # answers 503 (SessionUnavailable), and no cookie is overwritten: the draft waits.
                app.logger.warning("session store unavailable; answering without the session", exc_info=True)
                session.unavailable = session.skip = True
                if isinstance(err, RedisError):
                    g.redis_unavailable = True  # the funnel's counts go to the database at once
                text = None
            if text is not None:
                kept = json.loads(text)
                session.token, session.new, session.stored_text = token, False, text
        session.update(kept)
        session.update(session.browser_values)
        session.modified = False
        return session

    def save_session(self, app, session: ServerSession, response):
        if session.skip:
            return
        lifetime = timedelta(minutes=app.config["SESSION_LIFETIME_MINUTES"])
        kept = {k: v for k, v in session.items() if k not in self.cookie_keys}
        browser = {k: v for k, v in session.items() if k in self.cookie_keys}
        kept_text = json.dumps(kept, sort_keys=True) if kept else None
        cookie = dict(domain=self.get_cookie_domain(app), path=self.get_cookie_path(app))
        wrote = False
        if kept_text is None:
            stored = session.token or getattr(session, "previous_token", None)
            if stored and session.stored_text is not None:
                # Emptied (signed out, cleared): the row goes, and so does the cookie.
                self.store.delete(_digest(stored))
                response.delete_cookie(self.get_cookie_name(app), **cookie)
        elif kept_text != session.stored_text or session.token is None:
            previous = getattr(session, "previous_token", None)
            if session.token is None:
                session.token = secrets.token_urlsafe(32)
            self.store.save(_digest(session.token), kept_text, lifetime, utcnow(),
                            _digest(previous) if previous else None)
            response.set_cookie(self.get_cookie_name(app), session.token, max_age=lifetime, httponly=True,
                                secure=self.get_cookie_secure(app), samesite=self.get_cookie_samesite(app), **cookie)
            wrote = True
        if browser != session.browser_values or (wrote and browser):
            # The browser's values live as long as what we keep for it.
            if browser:
                response.set_cookie(self.browser_cookie_name(app), _browser_serializer(app.secret_key).dumps(browser),
                                    max_age=lifetime, httponly=True, secure=self.get_cookie_secure(app),
                                    samesite=self.get_cookie_samesite(app), **cookie)
            else:
                response.delete_cookie(self.browser_cookie_name(app), **cookie)
        # Every page may differ by cookie (the CSRF token, a draft): caches must key on it.
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
        with db.engine.begin() as conn:  # like the store: a short transaction of its own per batch
            deleted = conn.execute(delete(WebSession).where(WebSession.id.in_(expired))).rowcount
        purged += deleted
        if deleted < batch:
            break
    return purged


def open_for(data: dict, lifetime: timedelta) -> str:
    """A new session holding `data`, for a visitor that is not a browser (the payment page
    check), in the app's own store. Returns the cookie value."""
    token = secrets.token_urlsafe(32)
    current_app.session_interface.store.save(_digest(token), json.dumps(data, sort_keys=True), lifetime, utcnow(), None)
    return token


def end(token: str) -> None:
    current_app.session_interface.store.delete(_digest(token))


def session_interface(app) -> ServerSessionInterface:
    """Redis when the app has one (REDIS_URL), the web_sessions table otherwise."""
    url = app.config.get("REDIS_URL")
    store = RedisStore(url, app.config["RATELIMIT_KEY_PREFIX"], app.config.get("REDIS_TIMEOUT_SECONDS")) if url \
        else DatabaseStore()
    return ServerSessionInterface(store, cookie_keys=app.config["SESSION_BROWSER_KEYS"])
