"""Recording what the monitoring dashboard measures: funnel stages and error answers.

Recording must never break the checkout: every write here is best effort, logged when it
fails. Funnel stages and error events are written on their own short connection, so a
request's own transaction is never committed early by us. `payment_completed` is the
exception: it belongs to the payment's transaction, which commits it.

Funnel visitors are opaque random ids kept in the browser's signed cookie beside the CSRF
secret (web_session.py), not derived from the session id, so they say nothing about it.
Web checkout only: bookings made through the JSON API are not in the funnel.

Searches and results viewed are what every visitor does, on read pages that must write
nothing: with Redis they are kept there (one HSETNX per visitor and stage, the first time
wins) and `flush_funnel` moves them into the same funnel rows in batches (the sweeper each
minute, the dashboard before it counts). Stages tied to a booking are written at once,
in requests that write the booking anyway, because the payment's own record needs them.

Error events: one row per answer with status >= 400 (kind http_4xx or http_5xx), or
kind "database" for a 5xx during which the database raised an error. Not recorded:
anything under /static, and 404s for what browsers ask for on their own (favicon.ico,
robots.txt, apple-touch-icon, /.well-known/), which no person or bug of ours caused.
"""
from __future__ import annotations

import secrets
from datetime import datetime

from flask import Flask, current_app, g, has_request_context, request, session
from sqlalchemy import event, insert, literal, select
from sqlalchemy.engine import Engine

from .clock import utcnow
from .extensions import db, redis_client, upsert_insert
from .models import Booking, ErrorEvent, FunnelEvent, FunnelStage

# Browsers ask for these on their own; a 404 for them is not an error anybody made.
BROWSER_PROBES = ("/favicon.ico", "/robots.txt", "/apple-touch-icon", "/.well-known/")
# The load balancer's polls (checkout/operations.py): /readyz reports its own 503s.
LOAD_BALANCER_PROBES = ("/healthz", "/readyz")



def visitor() -> str:
    """This browser session's funnel visitor id, made on first use."""
    if "visitor" not in session:
        session["visitor"] = secrets.token_hex(16)
    return session["visitor"]


def _pending_key(stage: str) -> str:
    return f"{current_app.config['RATELIMIT_KEY_PREFIX']}:funnel:{stage}"


def record_stage(stage: str, booking_id: int | None = None, now: datetime | None = None) -> None:
    """This visitor reached `stage`: counted once per visitor and stage (the first time).

    When a booking is named, the row is re-pointed at it, so a visitor who starts over
    with a new booking is credited when that booking is paid. Without a booking and with
    Redis, the stage waits there for `flush_funnel`. A failure is logged, never passed on
    to the traveller.
    """
    if stage not in FunnelStage.ORDER:
        raise ValueError(f"unknown funnel stage {stage!r}")
    at = now or utcnow()
    redis_url = current_app.config.get("REDIS_URL")
    if booking_id is None and redis_url and not (has_request_context() and g.get("redis_unavailable")):
        try:
            counts = redis_client(redis_url, current_app.config.get("REDIS_TIMEOUT_SECONDS"))
            counts.hsetnx(_pending_key(stage), visitor(), at.isoformat())
            return
        except Exception:  # noqa: BLE001 - Redis away: write the row as without it
            current_app.logger.exception("could not keep funnel stage %s in Redis", stage)
            if has_request_context():
                g.redis_unavailable = True  # the request's next stage does not wait for it again
    statement = upsert_insert(FunnelEvent).values(stage=stage, visitor=visitor(), booking_id=booking_id, at=at)
    if booking_id is None:
        statement = statement.on_conflict_do_nothing(index_elements=["stage", "visitor"])
    else:
        statement = statement.on_conflict_do_update(index_elements=["stage", "visitor"],
                                                    set_={"booking_id": booking_id})
    try:
        with db.engine.begin() as connection:
            connection.execute(statement)
    except Exception:  # noqa: BLE001 - monitoring never breaks the checkout
        current_app.logger.exception("could not record funnel stage %s", stage)


FLUSH_BATCH = 1000


def flush_funnel() -> int:
    """Move the stages kept in Redis into funnel rows; returns how many were read.

    Each stage's hash is renamed aside before it is read, so visits during the flush go to
    a fresh one; the aside copy is deleted only after its rows are committed (a failed
    flush is picked up by the next). ON CONFLICT DO NOTHING keeps the first time a visitor
    reached a stage, as writing at once did, and makes a repeated flush harmless.
    """
    redis_url = current_app.config.get("REDIS_URL")
    if not redis_url:
        return 0
    client = redis_client(redis_url, current_app.config.get("REDIS_TIMEOUT_SECONDS"))
    read = 0
    for stage in FunnelStage.ORDER:
        pending, aside = _pending_key(stage), _pending_key(stage) + ":flushing"
        while True:
            if not client.exists(aside) and not (client.exists(pending) and client.renamenx(pending, aside)):
                break
            entries = [(visitor.decode(), datetime.fromisoformat(at.decode()))
                       for visitor, at in client.hgetall(aside).items()]
            for start in range(0, len(entries), FLUSH_BATCH):
                rows = [dict(stage=stage, visitor=visitor, booking_id=None, at=at)
                        for visitor, at in entries[start:start + FLUSH_BATCH]]
                db.session.execute(upsert_insert(FunnelEvent).values(rows)
                                   .on_conflict_do_nothing(index_elements=["stage", "visitor"]))
            db.session.commit()
            client.delete(aside)
            read += len(entries)
    return read


def record_payment_completed(booking: Booking, now: datetime) -> None:
    """The booking was paid: credit the visitor who took it to payment.

    Runs inside the payment's transaction (the caller holds the booking lock and commits),
    so it must not commit, and ON CONFLICT keeps a second confirmation from failing it.
    Bookings that never went through the web funnel (the JSON API) are not counted.
    """
    earlier = (
        select(literal(FunnelStage.PAYMENT_COMPLETED, FunnelEvent.stage.type), FunnelEvent.visitor, literal(booking.id),
               literal(now, FunnelEvent.at.type))
        .where(FunnelEvent.booking_id == booking.id,
               FunnelEvent.stage.in_((FunnelStage.PAYMENT_REACHED, FunnelStage.BOOKING_STARTED)))
        .order_by(FunnelEvent.stage.desc())  # payment_reached before booking_started
        .limit(1)
    )
    db.session.execute(
        upsert_insert(FunnelEvent).from_select(["stage", "visitor", "booking_id", "at"], earlier)
        .on_conflict_do_nothing(index_elements=["stage", "visitor"])
    )


def _error_kind(status: int) -> str:
    if status >= 500:
        return "database" if g.get("database_error") else "http_5xx"
    return "http_4xx"


def _worth_recording(status: int) -> bool:
    if status < 400:
        return False
    path = request.path
    if path.startswith(current_app.static_url_path or "/static") or path in LOAD_BALANCER_PROBES:
        return False
    return not (status == 404 and path.startswith(BROWSER_PROBES))


def record_error(status: int, path: str, kind: str, now: datetime | None = None) -> None:
    """One ErrorEvent on its own connection. Never raises."""
    path = "".join(c if c.isprintable() else "?" for c in path[:200])  # a refused NUL in a path is still counted
    try:
        with db.engine.begin() as connection:
            connection.execute(insert(ErrorEvent).values(at=now or utcnow(), kind=kind, status=status, path=path))
    except Exception:  # noqa: BLE001 - the database may be what failed; the log still has it
        current_app.logger.exception("could not record a %s answer for %s", status, path)


def _note_database_error(context) -> None:
    # SQLAlchemy's engine hook sees every error the database raised; we keep only the fact
    # that one happened during this request, and count it if the request ends in a 5xx
    # (errors the code catches and recovers from, like a retried reference, are not errors).
    if has_request_context():
        g.database_error = True


def init_app(app: Flask) -> None:
    if not event.contains(Engine, "handle_error", _note_database_error):
        event.listen(Engine, "handle_error", _note_database_error)

    @app.after_request
    def record_error_answers(response):
        status = response.status_code
        if g.get("database_unavailable"):
            # The database did not answer (errors.py): counting the 503 there would wait on it
            # again, past the deadline the traveller was promised. The log line has it.
            return response
        if _worth_recording(status):
            if status >= 500:
                # The request failed: drop its half-done work (and free SQLite's write lock)
                # before writing the event on another connection.
                try:
                    db.session.rollback()
                except Exception:  # noqa: BLE001 - a dead connection: nothing left to drop
                    pass
            record_error(status, request.path, _error_kind(status))
        return response
