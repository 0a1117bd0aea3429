"""Money as text: the one place integer minor units become "$1,234.56".

Below the domain, so emails, staff messages and templates all format money the same way;
presentation.py registers it as the `money` template filter.
"""
from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from babel.numbers import format_currency

LOCALE = "en_US"


@lru_cache(maxsize=4096)
def money(amount: int | None, currency: str = "USD") -> str:
    """Integer minor units -> '$1,234.56'. The one place money becomes text.

    Remembered: a wide-body seat map shows a few distinct prices on 250 seats, and Babel's
    formatting was 40 % of the customise page's time (pyinstrument, docs/PERFORMANCE.md).
    """
    if amount is None:
        return "—"
    return format_currency(Decimal(amount) / 100, currency, locale=LOCALE)
