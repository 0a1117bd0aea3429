"""The JSON API at /api: the `api` blueprint, and nothing else, so that importing any module
in here (payments/routes.py takes support.json_body) runs no route module.

    flights.py   GET /flights, GET /acknowledgements, POST /bookings (offers, and booking one)
    bookings.py  GET /bookings, GET/PUT/DELETE /bookings/<id> (a booking after creation)
    openapi.py   GET /openapi.json, the document describing all of them (generated from schemas.py)
    schemas.py   the pydantic models of what they take and answer, and the 422 they give for bad input
    support.py   what they share: the JSON body reader, the cookie-call check

The route modules add their routes to `bp`; create_app imports them before registering it.
"""
from __future__ import annotations

from flask import Blueprint

from ..extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api")
# Scripts and travellers authenticate with headers a browser never sends for another site;
# the staff cookie is checked per call instead (support.require_cookie_call_from_us).
csrf.exempt(bp)
