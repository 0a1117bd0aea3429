"""Error pages: JSON for /api (never a stack trace), calm HTML for people.

An error page must render when nothing else can: without a session (the database that
holds it may be what failed) and without creating one (a 404 starts no session row). It
says only what we know: when our side fails we cannot tell whether a payment went
through, so it never claims that nothing was charged.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app, g, jsonify, render_template, request, session
from flask_wtf.csrf import CSRFError, generate_csrf
from redis.exceptions import RedisError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, NotFound

from .extensions import db
from .web_session import SessionUnavailable

# Rate limits live in Redis (shared by every worker and machine). When it cannot be reached
# the limit cannot be counted, so limited endpoints (paying, looking up a booking, signing
# in) fail closed: a 503 saying to try again, never a 500 and never an unlimited pass.
LIMITS_UNAVAILABLE = "This is briefly unavailable on our side. Nothing was charged. Please try again in a minute."
LIMITS_RETRY_AFTER_SECONDS = 30
# PostgreSQL missed its deadline, refused the connection, or every pooled connection was busy
# past DB_POOL_TIMEOUT_SECONDS (checkout/database.py); the request's own work was not kept.
DATABASE_UNAVAILABLE = ("Our booking system is not answering right now. What you saved before is kept. "
                        "Please try again in a moment.")
# The session store (Redis) did not answer, and this page needs what it keeps for the browser.
SESSION_UNAVAILABLE = ("Your booking session is not answering right now. Nothing is lost: your choices are kept. "
                       "Please try again in a moment.")
UNAVAILABLE_RETRY_AFTER_SECONDS = 5


class ApiError(Exception):
    """An error with a code, a message safe to show, and optional field errors."""

    def __init__(self, status: int, code: str, message: str, fields: dict | None = None,
                 retry_after: int | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or {}
        self.retry_after = retry_after  # seconds, sent as Retry-After (429s)


def api_error_response(status: int, code: str, message: str, fields: dict | None = None):
    body = {"error": {"code": code, "message": message}}
    if fields:
        body["error"]["fields"] = fields
    return jsonify(body), status


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _session_unavailable() -> bool:
    """The session's store could not be read (its database or Redis is down)."""
    current = session._get_current_object()
    return getattr(current, "unavailable", False) or current_app.session_interface.is_null_session(current)


def _csrf_token_if_any() -> str:
    """The page's CSRF token only if this session already has one: an error page neither
    writes a session (it may be unavailable) nor starts one."""
    if _session_unavailable() or current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token") not in session:
        return ""
    try:
        return generate_csrf()
    except Exception:  # noqa: BLE001 - a page about a failure must not fail for want of a token
        return ""


def _flashes_if_any(with_categories: bool = False, category_filter=()):
    if _session_unavailable():
        return []
    from flask import get_flashed_messages
    return get_flashed_messages(with_categories, category_filter)


TRY_AGAIN = "Please try again in a few minutes."
IF_PAYING = ("If you were paying, check your email for a confirmation before you pay again: a second payment "
             "for the same booking is refunded automatically.")


def unexpected_message() -> str:
    """What we can honestly say when our side failed: we do not know what happened to a payment."""
    return (f"Something went wrong on our side. {TRY_AGAIN} {IF_PAYING} "
            f"Questions? Write to {current_app.config['SUPPORT_EMAIL']}.")


def _url_adapter_even_for_a_bad_host() -> None:
    """A Host header werkzeug cannot bind URLs to (a label over 63 characters fails IDNA
    encoding) leaves the request without a URL adapter, and the page's url_for() would fail
    with it. Our pages link by path only, so the configured public host serves instead."""
    from flask.globals import request_ctx
    if request_ctx and request_ctx.url_adapter is None:
        base = urlsplit(current_app.config.get("PUBLIC_BASE_URL") or "http://localhost")
        request_ctx.url_adapter = current_app.url_map.bind(base.netloc or "localhost", script_name=request.script_root or "/",
                                                           url_scheme=base.scheme or "http")


def error_page(title: str, message: str, status: int, unexpected: bool = False):
    """The error page; a bare but honest one if even the template cannot render."""
    _url_adapter_even_for_a_bad_host()
    try:
        html = render_template("errors/error.html", title=title, message=message, unexpected=unexpected,
                               if_paying=IF_PAYING, csrf_token=_csrf_token_if_any,
                               get_flashed_messages=_flashes_if_any)
    except Exception:  # noqa: BLE001 - the last resort must not raise
        current_app.logger.exception("the error page itself failed to render")
        from markupsafe import escape
        html = (f"<!doctype html><html lang=\"en\"><title>{escape(title)} · Fly2Any</title>"
                f"<h1>{escape(title)}</h1><p>{escape(message)}</p><p><a href=\"/\">Back to flight search</a></p></html>")
    return html, status


def init_app(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def handle_api_error(err: ApiError):
        body, status = api_error_response(err.status, err.code, err.message, err.fields)
        if err.retry_after:
            body.headers["Retry-After"] = str(err.retry_after)
        return body, status

    @app.errorhandler(CSRFError)
    def handle_csrf(err: CSRFError):
        if _session_unavailable():
            # The session (and its CSRF secret) could not be read: our outage, not a stale form.
            return try_again_soon("Please try again in a moment", SESSION_UNAVAILABLE)
        message = "Your session expired or the form was stale. Please go back and try again."
        if _wants_json():
            return api_error_response(400, "csrf_failed", message)
        return error_page("Please try again", message, 400)

    @app.errorhandler(RedisError)
    def handle_limits_unavailable(err: RedisError):
        app.logger.error("rate-limit storage unreachable, refusing %s %s: %s", request.method, request.path, err)
        if _wants_json():
            response = api_error_response(503, "temporarily_unavailable", LIMITS_UNAVAILABLE)
        else:
            response = render_template("errors/error.html", title="Please try again in a minute",
                                       message=LIMITS_UNAVAILABLE), 503
        return response + ({"Retry-After": str(LIMITS_RETRY_AFTER_SECONDS)},)

    def try_again_soon(title: str, message: str, unexpected: bool = False):
        """A 503 saying to try again in a moment: JSON for /api, the error page otherwise.
        `unexpected`: a request's work may have stopped halfway (a payment being recorded), so
        the page adds what to do if they were paying and whom to ask, as the 500 page does."""
        if _wants_json():
            if unexpected:
                message = f"{message} {IF_PAYING} Questions? Write to {current_app.config['SUPPORT_EMAIL']}."
            body, status = api_error_response(503, "temporarily_unavailable", message)
        else:
            body, status = error_page(title, message, 503, unexpected=unexpected)
        return body, status, {"Retry-After": str(UNAVAILABLE_RETRY_AFTER_SECONDS)}

    @app.errorhandler(OperationalError)
    @app.errorhandler(PoolTimeout)
    def handle_database_unavailable(err: Exception):
        app.logger.error("database unavailable, answering 503 to %s %s: %s", request.method, request.path,
                         str(err).splitlines()[0] if str(err) else type(err).__name__)
        # Unreachable, frozen (the connection was dropped) or no connection free: monitoring.py
        # must not wait on it again to count this answer. A statement the server itself
        # cancelled (statement_timeout, lock_timeout) is counted as usual.
        g.database_unavailable = isinstance(err, PoolTimeout) or getattr(err, "connection_invalidated", False) \
            or getattr(err, "statement", None) is None
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001 - a dead connection: nothing left to drop
            pass
        return try_again_soon("Please try again in a moment", DATABASE_UNAVAILABLE, unexpected=True)

    @app.errorhandler(SessionUnavailable)
    def handle_session_unavailable(err: SessionUnavailable):
        app.logger.error("session store unavailable, answering 503 to %s %s", request.method, request.path)
        return try_again_soon("Please try again in a moment", SESSION_UNAVAILABLE)

    @app.errorhandler(HTTPException)
    def handle_http(err: HTTPException):
        if isinstance(getattr(err, "original_exception", None), RedisError):
            # Redis went away after the limit was counted, while the limiter added its headers.
            return handle_limits_unavailable(err.original_exception)
        status = err.code or 500
        if status >= 500:
            return server_error(status)
        if _wants_json():
            return api_error_response(status, err.name.lower().replace(" ", "_"), err.description)
        if status == 404 and err.description == NotFound.description:
            # Werkzeug's own words ("The requested URL was not found on the server...") are
            # for developers; a page of ours that abort(404, "...") explains is kept as is.
            return error_page("We can't find that page",
                              "The link may be old or mistyped. Nothing you booked is affected.", 404)
        return error_page(err.name, err.description, status)

    @app.errorhandler(Exception)
    def handle_unexpected(err: Exception):
        app.logger.error("Unhandled error", exc_info=err)
        return server_error(500)

    def server_error(status: int):
        if _wants_json():
            return api_error_response(status, "internal_error", unexpected_message())
        return error_page("Something went wrong on our side", TRY_AGAIN, status, unexpected=True)
