"""What every generated request must never get back, and the junk it is made of.

Shared by the schema-driven API run (test_api_schema.py) and the HTML forms run
(test_html_forms.py). Every run is derandomized with no example database, so the same
requests are sent on every machine, every time.
"""
from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, field

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

# A server error, or anything of our insides: a stack trace, SQL, a Stripe key or webhook secret.
LEAKS = re.compile(r"Traceback \(most recent call last\)|\[SQL: |psycopg|sqlalchemy|\bsk_(?:test|live)_|whsec_")


def fuzz_settings(max_examples: int):
    return settings(max_examples=max_examples, derandomize=True, database=None, deadline=None,
                    phases=[Phase.explicit, Phase.generate, Phase.shrink],
                    suppress_health_check=list(HealthCheck), print_blob=False)


# Requests sent by every test of this run, per test module (printed by tests/fuzz/conftest.py).
SENT: Counter = Counter()


@dataclass
class Tally:
    """How many generated requests were sent, and what came back, per area."""
    sent: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)

    def next_address(self) -> str:
        n = sum(self.sent.values())
        return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{(n & 255) or 1}"

    def check(self, area: str, label: str, status: int, body: bytes) -> None:
        self.sent[area] += 1
        SENT[os.environ.get("PYTEST_CURRENT_TEST", "?").split(" ")[0].rsplit("::", 1)[-1]] += 1
        self.statuses[status] += 1
        text = body.decode("utf-8", "replace")
        assert status < 500, f"{label} answered {status}: {text[:500]}"
        leak = LEAKS.search(text)
        assert leak is None, f"{label} answered {status} showing {leak.group(0)!r}: {text[:500]}"

    def summary(self) -> str:
        return (f"{sum(self.sent.values())} requests ({dict(self.sent)}); answers by status "
                f"{dict(sorted(self.statuses.items()))}")


HUGE_DIGITS = "9" * 5000

# Values a person, a bot or a broken client has been known to send.
NASTY = [
    "", " ", "\x00", "a\x00b", "\x00" * 3, "\x1b[31m", "\x7f", "\r\n", "x\r\nSet-Cookie: a=b", "\t",
    "0", "-1", "1", "y", "on", "true", "null", "NaN", "Infinity", "1e309", "0x10", "1_000", "+5", " 7 ",
    str(2**31 - 1), str(2**31), str(2**63 - 1), str(2**63), str(2**64), HUGE_DIGITS, "²", "٣", "１２",
    "2026-02-30", "9999-99-99", "9999-12-31", "0001-01-01", "0000-00-00", "2026-13-01", "2026-1-1", "31/12/2026",
    "FLY2A-AAAAAA", "fly2a-k7m3qx", "pi_", "pi_" + "x" * 300, "evt_x", "off_1", "off_" + str(2**63), "off_-1",
    "JFK", "LHR", "<script>alert(1)</script>", "' OR 1=1 --", "../../etc/passwd", "%00", "%0d%0a",
    "//evil.example", "/\t/evil.example", "\\\\evil.example", "https://evil.example/", "ä" * 300, "😀" * 50,
    "\u202e", "\ufeff", "\u2028", "ＪＦＫ",
]


CONTROLS = re.compile(r"[\x00-\x1f]")


def without_controls(value):
    """The value with C0 control characters removed, in strings, lists and dicts alike."""
    if isinstance(value, str):
        return CONTROLS.sub("", value)
    if isinstance(value, dict):
        return {without_controls(k): without_controls(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_controls(v) for v in value]
    return value


def long_text():
    return st.builds(lambda unit, times: unit * times, st.sampled_from(["a", "é", "9", "\x00", "😀", "<"]),
                     st.integers(min_value=200, max_value=20_000))


def junk_value():
    return st.one_of(
        st.sampled_from(NASTY),
        st.text(max_size=40),
        st.integers().map(str),
        st.dates().map(lambda d: d.isoformat()),
        long_text(),
    )
