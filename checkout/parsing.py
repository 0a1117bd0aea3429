"""Reading the numbers and dates people and programs type: one way, for forms and the API.

- Only ASCII digits count: str.isdigit() accepts "²" and "٣", which int() then refuses or
  reads differently.
- Numbers are bounded. Our ids and amounts are PostgreSQL `integer` columns, and a bigger
  value in a query is a database error (a 500), as is int() of over 4,300 digits.
- Dates are YYYY-MM-DD in years 1900-2199, so date arithmetic (a day later, a year
  earlier) can never overflow; every other shape is a field error, never a None that a
  validator trips over.

Each reader returns None when nothing was given and raises `Unreadable` (a ValueError, with
a message safe to show beside the field) for anything else that is not a good value.
"""
from __future__ import annotations

import json
import math
import re
from datetime import date

MAX_INT = 2**31 - 1  # PostgreSQL `integer`: every id and amount column
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)
NUMBER_MESSAGE = "Give a whole number."
DATE_MESSAGE = "Give the date as YYYY-MM-DD."
DATE_RANGE_MESSAGE = f"Give a date between {EARLIEST_DATE.year} and {LATEST_DATE.year}."
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class Unreadable(ValueError):
    """A value that is not a good number or date; `message` is safe to show beside the field."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def is_digits(text) -> bool:
    return isinstance(text, str) and text.isascii() and text.isdigit()


def parse_int(raw, minimum: int = 0, maximum: int = MAX_INT, message: str = NUMBER_MESSAGE) -> int | None:
    """A whole number from `minimum` to `maximum`, from ASCII digits (or a JSON int).

    None for nothing given (None, "" or blanks); Unreadable for anything else out of shape.
    """
    if raw is None:
        return None
    if isinstance(raw, bool):  # JSON true is not 1
        raise Unreadable(message)
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str):
        text = raw.strip()
        if not text:
            return None
        # No more digits than the maximum has: int() of a huge string is slow, then refused.
        if not is_digits(text) or len(text.lstrip("0")) > len(str(maximum)):
            raise Unreadable(message)
        value = int(text)
    else:
        raise Unreadable(message)
    if not minimum <= value <= maximum:
        raise Unreadable(message)
    return value


def as_id(raw) -> int | None:
    """A row id (1 to MAX_INT), or None for anything that cannot be one: look-ups then find nothing."""
    try:
        return parse_int(raw, minimum=1)
    except Unreadable:
        return None


def parse_date(raw, message: str = DATE_MESSAGE) -> date | None:
    """A date written YYYY-MM-DD, in years 1900-2199. None for nothing given; Unreadable otherwise."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise Unreadable(message)
    text = raw.strip()
    if not text:
        return None
    if not _ISO_DATE.fullmatch(text):
        raise Unreadable(message)
    try:
        day = date.fromisoformat(text)
    except ValueError:  # 2026-02-30, 2026-13-01
        raise Unreadable("That date does not exist. " + message) from None
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise Unreadable(DATE_RANGE_MESSAGE)
    return day


JSON_MAX_DEPTH = 32  # our deepest honest document, a Stripe event, nests about 8 levels
JSON_MESSAGE = (f"Send one JSON object, nested at most {JSON_MAX_DEPTH} levels, with finite numbers "
                "and Content-Type: application/json.")


def _refuse_constant(name: str):
    raise Unreadable(f"{name} is not a JSON number. " + JSON_MESSAGE)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 reads as inf without any NaN or Infinity written
        raise Unreadable(f"{text[:20]} is too large a number. " + JSON_MESSAGE)
    return value


def parse_json_document(raw: bytes | str, **options):
    """The JSON document in `raw`: the one reader of JSON from outside (request bodies, webhook
    events). Unreadable for anything that is not strict JSON nested at most JSON_MAX_DEPTH
    levels (`options` go to json.loads). Python's parser reads NaN and Infinity (which no field can hold) and raises
    RecursionError, not ValueError, a few thousand levels deep (a 500 wherever it was called)."""
    try:
        document = json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite_float, **options)
    except Unreadable:
        raise
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError; so is an int of 4,300+ digits
        raise Unreadable(JSON_MESSAGE) from None
    containers = [document] if isinstance(document, (dict, list)) else []
    for _ in range(JSON_MAX_DEPTH):  # one level of objects and arrays at a time, without recursion
        containers = [child for value in containers
                      for child in (value.values() if isinstance(value, dict) else value)
                      if isinstance(child, (dict, list))]
        if not containers:
            return document
    raise Unreadable(JSON_MESSAGE)
