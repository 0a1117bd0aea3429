"""Counting the SQL statements a request sends, for budgets asserted in tests.

Counts are stable where timings are not: a page that issues one query per row, or a
session lookup for a static file, shows up as a number, whatever the machine's load.
"""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event


class Statements(list):
    """The SQL text of each statement sent, in order."""

    @property
    def writes(self) -> list[str]:
        return [s for s in self if s.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE")]

    def __str__(self) -> str:
        return "\n".join(f"{i + 1}. {' '.join(s.split())[:200]}" for i, s in enumerate(self))


@contextmanager
def counting_statements(app):
    """Every statement the app's engine sends while the block runs (all threads)."""
    from checkout.extensions import db
    with app.app_context():
        engine = db.engine
    seen = Statements()

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before_cursor_execute)
