"""What every /api route module shares: the blueprint and reading a JSON body.

checkout/api.py (offers, creating bookings), bookings_api.py (listing, reading, amending,
cancelling) and openapi.py add their routes to `bp`; create_app imports all three before
registering it. Nothing here imports a route module, so the route modules never import
each other in a circle.

The API is exempt from the CSRF token because it is not cookie-authenticated and only
accepts application/json bodies, which a cross-site form cannot send.
"""
from __future__ import annotations

from flask import Blueprint, request

from .errors import ApiError
from .extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api")
csrf.exempt(bp)


TEXT_MESSAGE = "Give this as text (a JSON string)."


def text_field(value, path: str, fields: dict, default: str = "") -> str:
    """A field the API documents as a string: its text, or `default` when absent or null. Any
    other JSON value (false, 7, a list, an object) is a field error under `path` in `fields`,
    and "" is returned: str() of it stored `firstName: false` as "False"."""
    if value is None:
        return default
    if isinstance(value, str):
        return value
    fields[path] = TEXT_MESSAGE
    return ""


def json_body() -> dict:
    """The request's JSON object; 415 for another content type, 400 for anything but an object."""
    body = request.get_json(silent=True)
    if not request.is_json or not isinstance(body, dict):
        raise ApiError(415 if not request.is_json else 400, "invalid_body",
                       "Send a JSON object with Content-Type: application/json.")
    return body
