"""Deadlines for PostgreSQL: a stuck database answers 503 quickly instead of holding a worker.

PostgreSQL's own timeouts (statement_timeout, lock_timeout, set for every session at
connect) cancel a slow statement on a live server. They cannot help when the server itself
is frozen or unreachable with the connection still open (a SIGSTOP, a hung host, a network
partition): nothing answers, and psycopg would wait for ever. So every round trip made
while serving a request also has a client-side deadline, by request kind
(DB_READ_TIMEOUT_SECONDS for GET and HEAD, DB_WRITE_TIMEOUT_SECONDS for the rest): past it
the connection is closed (its state is unknown), SQLAlchemy throws the pool's connections
away, and the request ends in the 503 page (errors.py).

A missed deadline also opens a short circuit breaker for that server: for
DB_RETRY_AFTER_SECONDS new connections are refused at once, so the requests behind it
answer 503 in milliseconds instead of each waiting its connect timeout; then one
connection attempt is let through, and its success closes the breaker.

So the breaker is the database's bulkhead: once PostgreSQL has missed a deadline, no
thread waits on it (but the one probe) until it answers again, and pages that do not need
it keep their threads. The pool is bounded too (DB_POOL_SIZE per process, half as many
again for side writes) and a request waits at most DB_POOL_TIMEOUT_SECONDS for a
connection, then answers 503.

Background work (the sweeper, the mailer, CLI commands) has no client-side deadline: it
waits for the database like before and is bounded by the server's statement_timeout.
"""
from __future__ import annotations

import threading
import time
from contextvars import ContextVar

import psycopg
import psycopg.adapt
import psycopg.conninfo
import psycopg.waiting
from flask import Flask
from psycopg import errors as pg_errors
from sqlalchemy import event
from sqlalchemy.pool import QueuePool

from .extensions import db

# Seconds each round trip of this request may take; None outside a request (no deadline).
_deadline: ContextVar[float | None] = ContextVar("fly2any_database_deadline", default=None)

DEADLINE_MISSED = "PostgreSQL did not answer within {:g} s"
NOT_RETRYING = "PostgreSQL missed a deadline moments ago; not trying again yet"


class _Breaker:
    """Per server (host, port): open after a missed deadline, refusing connections at once."""

    def __init__(self):
        self._lock = threading.Lock()
        self._open_until: dict[tuple, float] = {}

    def trip(self, server: tuple, seconds: float) -> None:
        if seconds > 0:
            with self._lock:
                self._open_until[server] = time.monotonic() + seconds

    def close(self, server: tuple) -> None:
        with self._lock:
            self._open_until.pop(server, None)

    def admit(self, server: tuple, probe_seconds: float) -> bool:
        """Whether a connection may be attempted now. When the breaker is open, no; when its
        time is up, one caller may (it holds the breaker open while it tries)."""
        with self._lock:
            until = self._open_until.get(server)
            if until is None:
                return True
            now = time.monotonic()
            if now < until:
                return False
            self._open_until[server] = now + probe_seconds  # the others wait for this probe
            return True


breaker = _Breaker()


class DeadlineConnection(psycopg.Connection):
    """A psycopg connection whose every wait on the server ends by the request's deadline."""

    retry_after: float = 0.0

    @classmethod
    def connect(cls, conninfo: str = "", **kwargs):  # type: ignore[override]
        """As psycopg's, but within the request's deadline when it is shorter than libpq's
        connect_timeout, which is never under 2 s: a page must not wait longer to connect than
        to read. (psycopg's own steps for one host, without its 2-second floor.)"""
        deadline = _deadline.get()
        if not deadline or deadline >= 2:
            return super().connect(conninfo, **kwargs)
        autocommit = bool(kwargs.pop("autocommit", False))
        prepare_threshold = kwargs.pop("prepare_threshold", 5)
        context = kwargs.pop("context", None)  # SQLAlchemy's adapters for this engine
        row_factory, cursor_factory = kwargs.pop("row_factory", None), kwargs.pop("cursor_factory", None)
        params = cls._get_connection_params(conninfo, **kwargs)
        try:
            connection = psycopg.waiting.wait_conn(cls._connect_gen(psycopg.conninfo.make_conninfo("", **params)),
                                                   interval=psycopg.connection._WAIT_INTERVAL, timeout=deadline)
        except pg_errors._WaitTimeout:
            raise pg_errors.ConnectionTimeout(f"connection timeout expired ({deadline:g} s)") from None
        connection._autocommit = autocommit
        connection.prepare_threshold = prepare_threshold
        if context is not None:
            connection._adapters = psycopg.adapt.AdaptersMap(context.adapters)
        if row_factory:
            connection.row_factory = row_factory
        if cursor_factory:
            connection.cursor_factory = cursor_factory
        return connection

    def wait(self, gen, interval=psycopg.connection._WAIT_INTERVAL, timeout=None):  # type: ignore[override]
        deadline = _deadline.get()
        if timeout is None and deadline:
            timeout = deadline
        try:
            return super().wait(gen, interval=interval, timeout=timeout)
        except pg_errors._WaitTimeout:
            # The server did not answer: what it did with our statement is unknown, so the
            # connection cannot be used again. Closing it makes SQLAlchemy see a disconnect
            # and throw away the pool's other connections to this server as well.
            server = _server(self)
            self.pgconn.finish()
            breaker.trip(server, self.retry_after)
            raise psycopg.OperationalError(DEADLINE_MISSED.format(timeout)) from None


def _server(connection: psycopg.Connection) -> tuple:
    try:
        return connection.info.host, connection.info.port
    except Exception:  # noqa: BLE001 - a finished connection has no info
        return ("?", 0)


class _WaitingPool(QueuePool):
    """SQLAlchemy's QueuePool, waiting `wait_seconds` (a fraction is fine) for a free connection."""

    wait_seconds: float = 30.0

    def __init__(self, *args, **kwargs):
        kwargs["timeout"] = self.wait_seconds
        super().__init__(*args, **kwargs)


def engine_options(config) -> dict:
    """SQLALCHEMY_ENGINE_OPTIONS with the deadlines and pool limits of `config`; keys a test
    or deployment set in SQLALCHEMY_ENGINE_OPTIONS itself win."""
    options: dict = {}
    url = str(config.get("SQLALCHEMY_DATABASE_URI") or "")
    if url.startswith("postgresql"):
        server_side = []
        if config.get("DB_STATEMENT_TIMEOUT_SECONDS"):
            server_side.append(f"-c statement_timeout={int(config['DB_STATEMENT_TIMEOUT_SECONDS'] * 1000)}")
        if config.get("DB_LOCK_TIMEOUT_SECONDS"):
            server_side.append(f"-c lock_timeout={int(config['DB_LOCK_TIMEOUT_SECONDS'] * 1000)}")
        connect_args: dict = {"connect_timeout": max(2, int(config.get("DB_CONNECT_TIMEOUT_SECONDS") or 2))}
        if server_side:
            connect_args["options"] = " ".join(server_side)
        options["connect_args"] = connect_args
        if config.get("DB_POOL_SIZE"):
            options.update(pool_size=int(config["DB_POOL_SIZE"]), max_overflow=int(config["DB_POOL_SIZE"]) // 2)
        if config.get("DB_POOL_TIMEOUT_SECONDS"):
            # Not pool_timeout: Flask-SQLAlchemy builds the engine with engine_from_config, which
            # makes pool_timeout an int, and 0.3 s would become "never wait".
            options["poolclass"] = type("QueuePool", (_WaitingPool,),
                                        {"wait_seconds": float(config["DB_POOL_TIMEOUT_SECONDS"])})
    given = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if "connect_args" in given and "connect_args" in options:
        given["connect_args"] = {**options["connect_args"], **given["connect_args"]}
    return {**options, **given}


def _deadline_for(method: str, config) -> float | None:
    seconds = config.get("DB_READ_TIMEOUT_SECONDS" if method in ("GET", "HEAD") else "DB_WRITE_TIMEOUT_SECONDS")
    return float(seconds) if seconds else None


def init_app(app: Flask) -> None:
    """Before db.init_app: the engine options. After it: connections with deadlines, and
    each request's deadline set around the whole request (its session and teardown too)."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg":
        retry_after = float(app.config.get("DB_RETRY_AFTER_SECONDS") or 0)
        connect_timeout = max(2, int(app.config.get("DB_CONNECT_TIMEOUT_SECONDS") or 2))
        connection_class = type("DeadlineConnection", (DeadlineConnection,), {"retry_after": retry_after})

        @event.listens_for(engine, "do_connect")
        def connect(dialect, connection_record, cargs, cparams):
            server = (cparams.get("host") or engine.url.host, int(cparams.get("port") or engine.url.port or 5432))
            if not breaker.admit(server, connect_timeout + 1):
                raise psycopg.OperationalError(NOT_RETRYING)
            try:
                connection = connection_class.connect(*cargs, **cparams)
            except pg_errors.ConnectionTimeout:
                breaker.trip(server, retry_after)
                raise
            except psycopg.Error:
                breaker.close(server)  # refused at once: nothing to wait for, nothing to hold back
                raise
            breaker.close(server)
            return connection

    wsgi_app = app.wsgi_app

    def with_deadline(environ, start_response):
        token = _deadline.set(_deadline_for(environ.get("REQUEST_METHOD", "GET"), app.config))
        try:
            return wsgi_app(environ, start_response)
        finally:
            _deadline.reset(token)

    app.wsgi_app = with_deadline
