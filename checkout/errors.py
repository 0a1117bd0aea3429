"""Error pages: JSON for /api (never a stack trace), calm HTML for people."""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from redis.exceptions import RedisError
from werkzeug.exceptions import HTTPException, NotFound

# Rate limits live in Redis (shared by every worker and machine). When it cannot be reached
# the limit cannot be counted, so limited endpoints (paying, looking up a booking, signing
# in) fail closed: a 503 saying to try again, never a 500 and never an unlimited pass.
LIMITS_UNAVAILABLE = "This is briefly unavailable on our side. Nothing was charged. Please try again in a minute."
LIMITS_RETRY_AFTER_SECONDS = 30


class ApiError(Exception):
    """An error with a code, a message safe to show, and optional field errors."""

    def __init__(self, status: int, code: str, message: str, fields: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or {}


def api_error_response(status: int, code: str, message: str, fields: dict | None = None):
    body = {"error": {"code": code, "message": message}}
    if fields:
        body["error"]["fields"] = fields
    return jsonify(body), status


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def init_app(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def handle_api_error(err: ApiError):
        return api_error_response(err.status, err.code, err.message, err.fields)

    @app.errorhandler(CSRFError)
    def handle_csrf(err: CSRFError):
        message = "Your session expired or the form was stale. Please go back and try again."
        if _wants_json():
            return api_error_response(400, "csrf_failed", message)
        return render_template("errors/error.html", title="Please try again", message=message), 400

    @app.errorhandler(RedisError)
    def handle_limits_unavailable(err: RedisError):
        app.logger.error("rate-limit storage unreachable, refusing %s %s: %s", request.method, request.path, err)
        if _wants_json():
            response = api_error_response(503, "temporarily_unavailable", LIMITS_UNAVAILABLE)
        else:
            response = render_template("errors/error.html", title="Please try again in a minute",
                                       message=LIMITS_UNAVAILABLE), 503
        return response + ({"Retry-After": str(LIMITS_RETRY_AFTER_SECONDS)},)

    @app.errorhandler(HTTPException)
    def handle_http(err: HTTPException):
        if isinstance(getattr(err, "original_exception", None), RedisError):
            # Redis went away after the limit was counted, while the limiter added its headers.
            return handle_limits_unavailable(err.original_exception)
        if _wants_json():
            response = api_error_response(err.code or 500, err.name.lower().replace(" ", "_"), err.description)
            return response
        if err.code == 404 and err.description == NotFound.description:
            # Werkzeug's own words ("The requested URL was not found on the server...") are
            # for developers; a page of ours that abort(404, "...") explains is kept as is.
            return render_template("errors/error.html", title="We can't find that page",
                                   message="The link may be old or mistyped. Nothing you booked is affected."), 404
        return render_template("errors/error.html", title=err.name, message=err.description), err.code

    @app.errorhandler(Exception)
    def handle_unexpected(err: Exception):
        app.logger.exception("Unhandled error")
        message = "Something went wrong on our side. Nothing was charged. Please try again in a moment."
        if _wants_json():
            return api_error_response(500, "internal_error", message)
        return render_template("errors/error.html", title="Something went wrong", message=message), 500
