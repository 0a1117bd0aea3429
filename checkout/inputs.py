"""Input cleaned once, at the edge, before any view: no control characters where no field
may hold them.

PostgreSQL refuses a NUL byte in text, so one in any value that reached a query was a 500
(a fuzzer found it on 12 of 19 endpoints); a lone UTF-16 surrogate (JSON "\\ud800") cannot
even be encoded for the database. Rather than guard every call site, every request is
checked here and refused with a 400 naming the field: JSON under /api, a page elsewhere.

What is refused:
- the path, query keys, form keys and JSON keys: any C0 control character;
- query values: C0 controls except tab (a query value is one line: a search, a date, `next`);
- form values and JSON strings: C0 controls except tab, CR and LF (free text may span lines);
- header values: C0 controls except tab (HTTP allows no others);
- lone surrogates anywhere.
The Stripe webhook is exempt: its body is Stripe's, authenticated by its signature, and
checked for shape by checkout/payments/webhooks.py.

JSON bodies must be one object that checkout/parsing.py reads (refuse_unreadable_json below).

Numbers and dates are read by checkout/parsing.py wherever a form or the API takes one;
ids in URLs are bounded here, by the `int` converter.
"""
from __future__ import annotations

import re

from flask import Flask, request
from werkzeug.routing import IntegerConverter

from .errors import api_error_response, error_page
from .parsing import JSON_MESSAGE, MAX_INT, Unreadable, parse_json_document

SURROGATES = "\ud800-\udfff"
ANY_CONTROL = re.compile(f"[\x00-\x1f{SURROGATES}]")
ONE_LINE = re.compile(f"[\x00-\x08\x0a-\x1f{SURROGATES}]")  # tab allowed
FREE_TEXT = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f{SURROGATES}]")  # tab, LF and CR allowed

EXEMPT_ENDPOINTS = {"payments.webhook"}

MESSAGE = ("Some of what was sent contains a control character (such as a NUL byte) that no field can hold. "
           "Please remove it and try again.")
FIELD_MESSAGE = "Remove the control character from this value."


def unreadable_fields() -> list[str]:
    """The names of the parts of this request that hold a character no field may hold."""
    bad = []
    if ANY_CONTROL.search(request.path):
        bad.append("path")
    for name, value in request.headers.items():
        if ONE_LINE.search(value):
            bad.append(f"header {name}")
    for name, value in request.args.items(multi=True):
        if ANY_CONTROL.search(name) or ONE_LINE.search(value):
            bad.append(name)
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        for name, value in request.form.items(multi=True):
            if ANY_CONTROL.search(name) or FREE_TEXT.search(value):
                bad.append(name)
        if request.is_json:
            bad.extend(_json_paths_with_controls())
    return list(dict.fromkeys(bad))


def _json_paths_with_controls() -> list[str]:
    body = request.get_json(silent=True)  # None when unreadable: refuse_unreadable_json answers that
    bad, stack = [], [("", body)]
    while stack:  # iterative: a deep document must not exhaust the stack here
        path, value = stack.pop()
        if isinstance(value, str):
            if FREE_TEXT.search(value):
                bad.append(path or "body")
        elif isinstance(value, dict):
            for key, item in value.items():
                child = f"{path}.{key}" if path else str(key)
                if ANY_CONTROL.search(key):
                    bad.append(path or "body")
                    continue
                stack.append((child, item))
        elif isinstance(value, list):
            stack.extend((f"{path}.{i}" if path else str(i), item) for i, item in enumerate(value))
    return sorted(bad)


def refuse_control_characters():
    if request.endpoint in EXEMPT_ENDPOINTS:
        return None
    bad = unreadable_fields()
    if not bad:
        return None
    if request.path.startswith("/api/"):
        # Field names are echoed only when they are printable themselves.
        fields = {name: FIELD_MESSAGE for name in bad if not ANY_CONTROL.search(name)}
        return api_error_response(400, "invalid_characters", MESSAGE, fields)
    return error_page("Please check what you sent", MESSAGE, 400)


def refuse_unreadable_json():
    """Every JSON body, on every route (the API, the webhook, the offline Stripe stand-in's
    attach, CSP reports), is one JSON object read by parsing.parse_json_document: deep,
    NaN/Infinity, broken or not an object is a 400 JSON answer here, before any view, so no
    route can trip over one (a RecursionError or `.get` on a list was a 500)."""
    if request.method in ("GET", "HEAD", "OPTIONS") or not request.is_json or not request.get_data(cache=True):
        return None
    if isinstance(request.get_json(silent=True), dict):
        return None
    try:
        parse_json_document(request.get_data(cache=True))
        message = JSON_MESSAGE  # readable, but not an object
    except Unreadable as err:
        message = err.message
    return api_error_response(400, "invalid_body", message)


class RowIdConverter(IntegerConverter):
    """`<int:id>` in our URLs is a row id: past PostgreSQL's `integer` it matches no route
    (a 404), instead of reaching a query the database refuses (a 500)."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_INT, signed=False):  # noqa: A002 - Werkzeug's names
        super().__init__(map, fixed_digits, min, max, signed)


def init_app(app: Flask) -> None:
    """Before the blueprints register: their `<int:...>` rules take the bounded converter."""
    app.url_map.converters["int"] = RowIdConverter
    app.before_request(refuse_control_characters)
    app.before_request(refuse_unreadable_json)
