"""What the /api route modules share: reading a JSON body (its fields are then schemas.py's
to check), and the check on calls made with the staff console's cookie. payments/routes.py
reads its JSON with it too.

The blueprint is in __init__.py. Nothing here imports a route module, so the route modules
never import each other in a circle.

The API is exempt from Flask-WTF's blanket CSRF check (__init__.py): scripts call it with a bearer token
and travellers with their reference and email in headers, which no other site can make a
browser send. The one credential a browser adds by itself, the staff console's session
cookie, is checked here instead (`require_cookie_call_from_us`), for every call that changes
something.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, request
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from ..errors import ApiError


def json_body() -> dict:
    """The request's JSON object; 415 for another content type, 400 for anything but an object."""
    body = request.get_json(silent=True)
    if not request.is_json or not isinstance(body, dict):
        raise ApiError(415 if not request.is_json else 400, "invalid_body",
                       "Send a JSON object with Content-Type: application/json.")
    return body


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CROSS_SITE = ("A call signed in with the staff console's cookie must come from this site's pages with their "
              "CSRF token (X-CSRFToken). Scripts send 'Authorization: Bearer <token>' instead.")


def _our_origins() -> set[str]:
    public = urlsplit(current_app.config.get("PUBLIC_BASE_URL") or "")
    origins = {f"{request.scheme}://{request.host}"}
    if public.scheme and public.netloc:
        origins.add(f"{public.scheme}://{public.netloc}")
    return origins


def require_cookie_call_from_us() -> None:
    """A change authorised by the session cookie needs a same-origin `Origin` (browsers send
    it with every PUT and DELETE) and the page's CSRF token in `X-CSRFToken`, as the
    console's own forms do; otherwise 403. Reads (GET) need neither: no other site can read
    our answers."""
    if request.method in SAFE_METHODS:
        return
    if request.headers.get("Origin") not in _our_origins():
        raise ApiError(403, "csrf_failed", CROSS_SITE)
    try:
        validate_csrf(request.headers.get("X-CSRFToken"))
    except ValidationError:
        raise ApiError(403, "csrf_failed", CROSS_SITE) from None
