"""The one source of "now", always timezone-aware UTC, and of where a UTC day begins."""
from datetime import date, datetime, time, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def utc_day_start(day: date) -> datetime:
    """Midnight UTC at the start of `day`: staff filters and the dashboard count in UTC days."""
    return datetime.combine(day, time.min, tzinfo=timezone.utc)
