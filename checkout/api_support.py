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


def json_body() -> dict:
    """The request's JSON object; 415 for another content type, 400 for anything but an object."""
    body = request.get_json(silent=True)
    if not request.is_json or not isinstance(body, dict):
        raise ApiError(415 if not request.is_json else 400, "invalid_body",
                       "Send a JSON object with Content-Type: application/json.")
    return body
