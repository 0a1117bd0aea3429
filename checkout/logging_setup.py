"""Logs an engineer can follow, and errors reported without the traveller's personal data.

Request ids: every request gets one, taken from the proxy's `X-Request-ID` when it is
well formed (a UUID or hex, at most 64 characters) or made here; it is sent back in the
`X-Request-ID` header and stamped on every log line written while the request runs, so one
id finds the load balancer's line, ours and Sentry's event.

Log lines: LOG_FORMAT=json (production's default) writes one JSON object per line through
python-json-logger (time, level, logger, message, request_id, method, path, and status and
duration on the line that closes each request); LOG_FORMAT=text (dev and tests) the same as readable text. Set on the
root logger, so the libraries' lines come out the same way.

Sentry: only when SENTRY_DSN is set. No default personal data (no IP, cookies, user), no
request bodies or local variables, and `scrub` removes the headers that prove who someone
is and anything that looks like an email address or a passport number, wherever it sits
in the event (messages, exception values, breadcrumbs, URLs).
"""
from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from datetime import datetime, timezone

from flask import Flask, g, has_request_context, request
from pythonjsonlogger import json as jsonlogger

from .operations import PROBES

WELL_FORMED_ID = re.compile(r"[0-9A-Fa-f][0-9A-Fa-f-]{7,63}")
OUR_HANDLER = "fly2any"


def request_id() -> str | None:
    """This request's id (made on first use), or None outside a request."""
    if not has_request_context():
        return None
    if "request_id" not in g or g.get("request_id_for") is not request._get_current_object():
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if WELL_FORMED_ID.fullmatch(given) else uuid.uuid4().hex
        g.request_id_for = request._get_current_object()  # g outlives a request when a test holds the context
    return g.request_id


class RequestContextFilter(logging.Filter):
    """Adds request_id, method and path to every record (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        inside = has_request_context()
        record.request_id = request_id()
        record.method = request.method if inside else None
        record.path = request.path if inside else None
        return True


class JsonFormatter(jsonlogger.JsonFormatter):
    """python-json-logger's formatter under our names: time, level, logger, message, then the
    record's extras (request_id, method, path; status and duration_ms on the closing line)."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s", json_default=str,
                         rename_fields={"asctime": "time", "levelname": "level", "name": "logger",
                                        "exc_info": "exception"})

    def formatTime(self, record, datefmt=None):  # ISO 8601 in UTC, not logging's local "%Y-%m-%d %H:%M:%S,mmm"
        return datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds")

    def process_log_record(self, log_data):  # a field that doesn't apply is left out, not null
        return {name: value for name, value in log_data.items() if value is not None}


TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"


def configure_logging(app: Flask) -> logging.Handler:
    """One handler on the root logger (replacing ours from an earlier app in this process)."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "name", None) == OUR_HANDLER]:
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.name = OUR_HANDLER
    handler.addFilter(RequestContextFilter())
    fmt = (app.config.get("LOG_FORMAT") or "text").lower()
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root.addHandler(handler)
    root.setLevel(app.config.get("LOG_LEVEL") or "INFO")
    from flask.logging import default_handler
    app.logger.removeHandler(default_handler)  # its lines reach ours through the root
    return handler


def init_app(app: Flask) -> None:
    configure_logging(app)
    init_sentry(app)
    requests_log = logging.getLogger("checkout.requests")

    @app.before_request
    def start_clock():
        g.request_started = time.perf_counter()

    @app.after_request
    def send_request_id(response):
        response.headers["X-Request-ID"] = request_id()
        if request.path not in PROBES:  # the load balancer's polls would drown everything else
            started = g.get("request_started")
            duration = round((time.perf_counter() - started) * 1000, 1) if started else None
            requests_log.info("%s %s %s", request.method, request.path, response.status_code,
                              extra={"status": response.status_code, "duration_ms": duration})
        return response


# -- Sentry ------------------------------------------------------------------------------

EMAIL = re.compile(r"[^\s@\"'<>(),;:/]+(?:@|%40)[^\s@\"'<>(),;:/]+\.[A-Za-z]{2,}")  # also URL-encoded
# A word of 6-20 capitals and digits with at least 5 digits: passport numbers (X1234567,
# 123456789). It also takes long numbers and references; losing those is the safe side.
PASSPORT = re.compile(r"\b(?=(?:[A-Z]*\d){5})[A-Z0-9]{6,20}\b")
SECRET_HEADERS = {"authorization", "cookie", "set-cookie", "stripe-signature", "x-booking-email",
                  "x-booking-reference", "x-csrftoken", "x-csrf-token"}
FILTERED = "[Filtered]"


def _scrub_text(value: str) -> str:
    return PASSPORT.sub(FILTERED, EMAIL.sub(FILTERED, value))


# Sentry's own fields, left whole: a timestamp's microseconds look like a passport number.
SENTRY_FIELDS = {"event_id", "timestamp", "start_timestamp", "trace_id", "span_id", "parent_span_id", "thread.id",
                 "sdk", "release", "environment", "platform", "level"}


def _scrub(value):
    if isinstance(value, str):
        return _scrub_text(value)
    if isinstance(value, dict):
        return {key: item if key in SENTRY_FIELDS else _scrub(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub(item) for item in value]
    return value


def scrub(event: dict, hint: dict | None = None) -> dict:
    """Sentry's before_send: the event without bodies, cookies, proofs of identity or personal data."""
    req = event.get("request")
    if isinstance(req, dict):
        for name in ("data", "cookies", "env"):
            req.pop(name, None)
        headers = req.get("headers")
        if isinstance(headers, dict):
            req["headers"] = {k: v for k, v in headers.items() if k.lower() not in SECRET_HEADERS}
    event.pop("user", None)
    return _scrub(event)


def init_sentry(app: Flask) -> bool:
    """Error reports to Sentry, only when SENTRY_DSN is set. Returns whether it was set up."""
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration
    sentry_sdk.init(
        dsn=dsn,
        environment=app.config.get("SENTRY_ENVIRONMENT") or None,
        integrations=[FlaskIntegration()],
        # send_default_pii stays at its default, off (sentry-sdk 2.75 warns when it is passed
        # at all): no IP address, user, cookies; its own scrubber filters sensitive headers.
        include_local_variables=False,  # a frame's variables are where passport numbers live
        max_request_body_size="never",
        before_send=scrub,
        before_send_transaction=scrub,
        traces_sample_rate=float(app.config.get("SENTRY_TRACES_SAMPLE_RATE") or 0),
        transport=app.config.get("SENTRY_TRANSPORT"),  # tests only: events kept in memory
    )

    @app.before_request
    def tag_request_id():
        sentry_sdk.get_isolation_scope().set_tag("request_id", request_id())
    return True

