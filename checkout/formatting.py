"""Money and dates as text: the one place integer minor units become "$1,234.56" and a
date becomes "Tue 1 Dec 2026".

Below the domain, so emails, staff messages and templates all format them the same way;
presentation.py registers these as the template filters (`money`, `day`, `local_date`,
`local_time`, `date_time`, `with_money`, `machine_time`). Machine formats stay ISO 8601:
an instant in a page's `<time datetime>` is made here (`machine_time`); the JSON API, .ics
files and HTML date inputs make their own.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_timezone_location
from babel.numbers import format_currency, is_currency

LOCALE = "en_US"
# The one date format a person reads (docs/adr/0090-one-date-format.md): day of the week,
# day, short month, year; no zero padding, nothing to mistake for month-first or day-first.
DATE_FORMAT = "EEE d MMM yyyy"
TIME_FORMAT = "HH:mm"


@lru_cache(maxsize=4096)
def money(amount: int | None, currency: str = "USD") -> str:
    """Integer minor units -> '$1,234.56'. The one place money becomes text.

    Remembered: a wide-body seat map shows a few distinct prices on 250 seats, and Babel's
    formatting was 40 % of the customise page's time (pyinstrument, docs/PERFORMANCE.md).
    """
    if amount is None:
        return "—"
    return format_currency(Decimal(amount) / 100, currency, locale=LOCALE)


# An amount stored in words the way notes and audit details keep it: minor units, a space, the
# ISO currency ("total 212409 USD"). Not after a digit, point or comma, so "1.50 USD" is left alone.
_STORED_AMOUNT = re.compile(r"(?<![\w.,])(\d+) ([A-Z]{3})\b")


def with_money(text: str | None) -> str | None:
    """Stored text with each "212409 USD" shown as money ("$2,124.09"); anything else unchanged.

    Notes and audit details keep amounts in minor units (what was true, in the unit the
    database uses); they become money only when a person reads them.
    """
    if not text:
        return text

    def as_money(found: re.Match) -> str:
        amount, currency = found.groups()
        return money(int(amount), currency) if is_currency(currency) else found.group(0)
    return _STORED_AMOUNT.sub(as_money, text)


def day(value: date | datetime | str | None) -> str:
    """A calendar date (a travel date, a date of birth) -> "Tue 1 Dec 2026".

    Also an ISO date kept as text (a notice's version is the date of its text): any other
    text comes back unchanged, so an odd stored value shows as it is, never as an error.
    """
    if value is None:
        return "—"
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = value.date()
    return format_date(value, DATE_FORMAT, locale=LOCALE)


def local_date(moment: datetime, tz: str) -> str:
    """The date of an instant where it happens -> "Tue 1 Dec 2026"."""
    return day(moment.astimezone(ZoneInfo(tz)))


def local_time(moment: datetime, tz: str) -> str:
    """The clock time of an instant where it happens -> "14:05" (24-hour)."""
    return format_time(moment.astimezone(ZoneInfo(tz)), TIME_FORMAT, locale=LOCALE)


@lru_cache(maxsize=64)
def zone_name(tz: str) -> str:
    """How a time zone is named after a time: "UTC", or the zone's city ("New York time")."""
    if tz == "UTC":
        return "UTC"
    return f"{get_timezone_location(ZoneInfo(tz), locale=LOCALE, return_city=True)} time"


def date_time(moment: datetime | None, tz: str = "UTC") -> str:
    """An instant as a person reads it: "Tue 1 Dec 2026, 14:05 UTC" or "Tue 1 Dec 2026, 09:05 New York time"."""
    if moment is None:
        return "—"
    return f"{local_date(moment, tz)}, {local_time(moment, tz)} {zone_name(tz)}"


def machine_time(moment: datetime) -> str:
    """An instant for machines in a page (`<time datetime>`): ISO 8601 to the millisecond,
    "2026-12-07T18:03:40.186+00:00". HTML allows at most three digits of a second's fraction;
    Python's isoformat() writes six (issue 22)."""
    return moment.isoformat(timespec="milliseconds")
