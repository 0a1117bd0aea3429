"""How a request's database transaction ends when the request only read.

psycopg 3 prepares a statement on a connection once it has run five times there, and
PostgreSQL then stops planning it; but psycopg forgets every prepared statement on
ROLLBACK (a rolled-back DROP or ALTER may have changed what they refer to). SQLAlchemy
ends a request's session, and resets each pooled connection, with a ROLLBACK. So every
request planned every statement again: the step pages' one read of a booking with its
flight, airports, fares and passengers spends ~1 ms of its ~1.5 ms in PostgreSQL's
planner, on every request (docs/PERFORMANCE.md).

A transaction that ran only SELECTs ends the same with COMMIT as with ROLLBACK, and
COMMIT keeps the prepared statements. So when a request ends without an error and its
open transaction wrote nothing, it is committed; anything else is left to the usual
ROLLBACK. "Wrote nothing" is judged from the statements sent since the transaction
began (anything but a SELECT built with select() counts as a write, SQL text included),
not from the ORM's pending objects alone, so a change already flushed but deliberately not
committed is never kept.
"""
from __future__ import annotations

from flask import Flask
from sqlalchemy import Select, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from .extensions import db

WROTE = "fly2any_wrote"  # a key in the pooled connection's info: cleared when its transaction ends
CONNECTION = "fly2any_connection"  # a key in the session's info: the connection its transaction holds


def _note_statement(conn, cursor, statement, parameters, context, executemany) -> None:
    # A read is a statement built with select(): SQL text, even one starting with SELECT, may
    # call a function that changes something (set_config, a function that writes), which a
    # COMMIT would keep. (A select() of such a function must not run on the request's session.)
    compiled = getattr(context, "compiled", None)
    if not isinstance(getattr(compiled, "statement", None), Select) or statement.lstrip()[:6].upper() != "SELECT":
        conn.info[WROTE] = True


def _transaction_ended(conn) -> None:
    if not conn.invalidated:  # an invalidated connection is thrown away, its info with it
        conn.info.pop(WROTE, None)


def _connection_taken(session, transaction, connection) -> None:
    session.info[CONNECTION] = connection


def _session_transaction_ended(session, transaction) -> None:
    if transaction.parent is None:  # the outer transaction, not a savepoint
        session.info.pop(CONNECTION, None)


def end_read_only(exception: BaseException | None = None) -> None:
    """Commit the request's open transaction when it only read (see the module's docstring)."""
    if exception is not None or not db.session.registry.has():
        return
    session = db.session()
    if session.new or session.dirty or session.deleted:
        return
    # The connection the open transaction holds, if it sent anything since its last commit:
    # none means there is nothing to end (asking the session for one would check one out).
    connection = session.info.get(CONNECTION)
    if connection is None or connection.closed or connection.invalidated or connection.info.get(WROTE):
        return
    # The session never expires on commit (extensions.db): objects a caller still holds after
    # the context ends (a CLI command's, a test's) keep their loaded values, as after a ROLLBACK.
    try:
        session.commit()
    except Exception:  # noqa: BLE001 - a dead connection: the usual rollback and pool reset follow
        session.rollback()


def init_app(app: Flask) -> None:
    for name, listener in (("before_cursor_execute", _note_statement), ("commit", _transaction_ended),
                           ("rollback", _transaction_ended)):
        if not event.contains(Engine, name, listener):
            event.listen(Engine, name, listener)
    for name, listener in (("after_begin", _connection_taken), ("after_transaction_end", _session_transaction_ended)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
    # Registered after db.init_app, so it runs before Flask-SQLAlchemy's own teardown
    # (teardowns run last registered first), which closes the session with a ROLLBACK.
    app.teardown_appcontext(end_read_only)
