"""The dashboard's figures per UTC day (`DayFigures`): counted from the rows, or read from the
closed days the sweeper stored, and the storing itself (`roll_up`, called by `flask sweep`).

Every countable figure of `metrics.py` is a sum of per-day figures. Closed days are rolled up
by the sweeper into `dashboard_days` (`roll_up`); on PostgreSQL triggers delete a stored day
whenever a row it counts changes, so a stored day is exact, and the dashboard counts from the
rows only today and any day not stored: a period costs the same at 10k and at 1M bookings.
(The demo's SQLite has no triggers: there every day is counted from the rows.)

Storing a day takes that day's advisory lock, which the triggers of migration 0012 also
take. This module knows nothing of the figures built on it: `metrics.py` imports it, never
the reverse.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import Date, Integer, cast, func, literal_column, select, type_coerce

from ..clock import utc_day_start
from ..extensions import db, upsert_insert
from ..models import (
    AttemptStatus, Booking, DashboardDay, DashboardPaymentTime, FunnelEvent, FunnelStage, PaymentAttempt, Refund,
    RefundStatus, WebhookEvent,
)

REPORTING_CURRENCY = "USD"
STORED_DAYS = 30  # the longest period (and revenue always shows 30 days)
ROLL_UP_GRACE = timedelta(minutes=10)  # a day is rolled up this long after its midnight
DAY_LOCK_CLASS = 7301  # the advisory locks of the days (migration 0012's triggers take them too)
LOCK_EPOCH = date(2000, 1, 1)
FUNNEL_COLUMNS = {stage: f"funnel_{stage}" for stage in FunnelStage.ORDER}


@dataclass(frozen=True)
class Window:
    """The UTC days of a period ending at `now` (see metrics.py); the figures filter by it too."""
    start: datetime
    end: datetime  # `now`, included
    days: int

    @classmethod
    def ending(cls, now: datetime, days: int) -> Window:
        first_day = now.astimezone(timezone.utc).date() - timedelta(days=days - 1)
        return cls(utc_day_start(first_day), now, days)

    @property
    def day_list(self) -> list[date]:
        return [self.start.date() + timedelta(days=n) for n in range(self.days)]

    def holds(self, column):
        return column.between(self.start, self.end)


@dataclass
class DayFigures:
    """One UTC day's countable figures; each period sums them (the rules: Payments, Webhooks,
    daily_revenue, Funnel). `payment_ms` counts payments by whole milliseconds from the Pay
    click to success."""
    succeeded: int = 0
    failed: int = 0
    three_ds: int = 0
    payment_ms: Counter = field(default_factory=Counter)
    webhooks_received: int = 0
    webhooks_processed: int = 0
    webhooks_failed: int = 0
    sales: int = 0
    sales_bookings: int = 0
    refunds: int = 0
    funnel: Counter = field(default_factory=Counter)


def figures_by_day(now: datetime, days: int) -> dict[date, DayFigures]:
    """The figures of the `days` UTC days ending with `now`'s (today: up to `now`).

    Stored days are read from the roll-up, from the first day on as long as there is no gap;
    from the first day missing on (today at the latest), they are counted from the rows.
    """
    day_list = Window.ending(now, days).day_list
    stored = _stored_days(day_list[0], day_list[-1] - timedelta(days=1)) if rolled_up_here() else {}
    counted_from = next(day for day in day_list if day not in stored)
    counted = _count_days(utc_day_start(counted_from), now)
    return {day: stored[day] if day < counted_from else counted.get(day, DayFigures()) for day in day_list}


def rolled_up_here() -> bool:
    """Whether closed days are stored: only where triggers keep them exact (PostgreSQL)."""
    return db.engine.dialect.name == "postgresql"


def _utc_day(column):
    """The UTC calendar day of a timestamp, in SQL (no bound parameter: it is grouped by)."""
    if db.engine.dialect.name == "postgresql":
        return type_coerce(func.date(func.timezone(literal_column("'UTC'"), column)), Date)
    return type_coerce(func.date(column), Date)  # SQLite keeps UTC text


def _count_days(start: datetime, end: datetime) -> dict[date, DayFigures]:
    """Every DayFigures of the rows dated from `start` to `end` (both included), by day."""
    by_day: dict[date, DayFigures] = {}

    def of(day) -> DayFigures:
        return by_day.setdefault(day, DayFigures())

    def dated(column):
        return (column >= start, column <= end)

    attempt_day = _utc_day(PaymentAttempt.created_at).label("day")
    finished = (AttemptStatus.SUCCEEDED, AttemptStatus.FAILED)
    for day, status, used_3ds, count in db.session.execute(
        select(attempt_day, PaymentAttempt.status, PaymentAttempt.used_3ds, func.count())
        .where(*dated(PaymentAttempt.created_at), PaymentAttempt.status.in_(finished))
        .group_by(attempt_day, PaymentAttempt.status, PaymentAttempt.used_3ds)
    ):
        figures = of(day)
        if status == AttemptStatus.SUCCEEDED:
            figures.succeeded += count
        else:
            figures.failed += count
        if used_3ds:
            figures.three_ds += count
    for day, milliseconds, count in _payment_milliseconds(attempt_day, dated(PaymentAttempt.created_at)):
        of(day).payment_ms[milliseconds] += count

    event_day = _utc_day(WebhookEvent.received_at).label("day")
    for day, status, count in db.session.execute(
        select(event_day, WebhookEvent.status, func.count()).where(*dated(WebhookEvent.received_at))
        .group_by(event_day, WebhookEvent.status)
    ):
        figures = of(day)
        figures.webhooks_received += count
        figures.webhooks_processed += count if status in ("processed", "ignored") else 0
        figures.webhooks_failed += count if status == "failed" else 0

    sale_day = _utc_day(Booking.confirmed_at).label("day")
    for day, amount, count in db.session.execute(
        select(sale_day, func.sum(Booking.total_amount), func.count())
        .where(*dated(Booking.confirmed_at), Booking.total_amount.is_not(None), Booking.currency == REPORTING_CURRENCY)
        .group_by(sale_day)
    ):
        of(day).sales += int(amount)
        of(day).sales_bookings += count
    paid_attempt = (
        select(PaymentAttempt.id).where(PaymentAttempt.booking_id == Refund.booking_id,
                                        PaymentAttempt.status == AttemptStatus.SUCCEEDED)
        .order_by(PaymentAttempt.number).limit(1).scalar_subquery()
    )
    refund_day = _utc_day(Refund.created_at).label("day")
    for day, amount in db.session.execute(
        select(refund_day, func.sum(Refund.amount)).join(Booking, Booking.id == Refund.booking_id)
        .where(*dated(Refund.created_at), Refund.status == RefundStatus.SUCCEEDED,
               Refund.currency == REPORTING_CURRENCY, Booking.confirmed_at.is_not(None),
               Refund.payment_attempt_id == paid_attempt)
        .group_by(refund_day)
    ):
        of(day).refunds += int(amount)

    stage_day = _utc_day(FunnelEvent.at).label("day")
    for day, stage, count in db.session.execute(
        select(stage_day, FunnelEvent.stage, func.count()).where(*dated(FunnelEvent.at))
        .group_by(stage_day, FunnelEvent.stage)
    ):
        of(day).funnel[stage] += count
    return by_day


def _payment_milliseconds(day, created_in) -> list[tuple[date, int, int]]:
    """(day, whole milliseconds from the Pay click to success, how many), for the succeeded
    attempts created in the span whose click we heard of. Rounded half up; the demo's SQLite
    cannot subtract timestamps, so there the rows come back and Python rounds the same way."""
    timed = (*created_in, PaymentAttempt.status == AttemptStatus.SUCCEEDED,
             PaymentAttempt.confirm_requested_at.is_not(None), PaymentAttempt.succeeded_at.is_not(None))
    if db.engine.dialect.name == "postgresql":
        milliseconds = cast(func.round(func.extract("epoch", PaymentAttempt.succeeded_at
                                                    - PaymentAttempt.confirm_requested_at) * literal_column("1000")),
                            Integer).label("milliseconds")
        return [tuple(row) for row in db.session.execute(
            select(day, milliseconds, func.count()).where(*timed).group_by(day, milliseconds))]
    counts: Counter = Counter()
    for created_at, clicked_at, succeeded_at in db.session.execute(
            select(PaymentAttempt.created_at, PaymentAttempt.confirm_requested_at, PaymentAttempt.succeeded_at)
            .where(*timed)):
        counts[(created_at.astimezone(timezone.utc).date(),
                ((succeeded_at - clicked_at) // timedelta(microseconds=1) + 500) // 1000)] += 1
    return [(day, milliseconds, count) for (day, milliseconds), count in counts.items()]


def _stored_days(first: date, last: date) -> dict[date, DayFigures]:
    """The rolled-up days from `first` to `last`, with their payment times, in one statement."""
    table = DashboardDay.__table__
    rows = db.session.execute(
        select(table, DashboardPaymentTime.milliseconds, DashboardPaymentTime.payments)
        .outerjoin(DashboardPaymentTime, DashboardPaymentTime.day == DashboardDay.day)
        .where(DashboardDay.day.between(first, last))
    ).mappings()
    stored: dict[date, DayFigures] = {}
    for row in rows:
        figures = stored.get(row["day"])
        if figures is None:
            figures = stored[row["day"]] = DayFigures(
                row["attempts_succeeded"], row["attempts_failed"], row["attempts_three_ds"], Counter(),
                row["webhooks_received"], row["webhooks_processed"], row["webhooks_failed"],
                row["sales_amount"], row["sales_bookings"], row["refunds_amount"],
                Counter({stage: row[column] for stage, column in FUNNEL_COLUMNS.items()}))
        if row["milliseconds"] is not None:
            figures.payment_ms[row["milliseconds"]] = row["payments"]
    return stored


def roll_up(now: datetime) -> list[date]:
    """Store the figures of each closed day of the last STORED_DAYS that is not stored (yet,
    or any more since a change deleted it). The sweeper's job; returns the days stored.

    A day closes ROLL_UP_GRACE after its midnight (the sweep writes the funnel stages kept
    in Redis before this). Each day is its own transaction, under the day's advisory lock
    taken with try: a day whose rows a transaction in flight has changed (its trigger holds
    the lock shared until it ends) is left for the next sweep, and the sweeper never waits.
    """
    if not rolled_up_here():
        return []
    today = now.astimezone(timezone.utc).date()
    first = today - timedelta(days=STORED_DAYS - 1)
    last = (now - ROLL_UP_GRACE).astimezone(timezone.utc).date() - timedelta(days=1)
    stored = set(db.session.execute(select(DashboardDay.day).where(DashboardDay.day.between(first, last))).scalars())
    db.session.commit()
    rolled = []
    day = first
    while day <= last:
        if day not in stored and _roll_up_day(day, now):
            rolled.append(day)
        day += timedelta(days=1)
    return rolled


def _roll_up_day(day: date, now: datetime) -> bool:
    locked = db.session.execute(
        select(func.pg_try_advisory_xact_lock(DAY_LOCK_CLASS, (day - LOCK_EPOCH).days))).scalar()
    if not locked:
        db.session.rollback()
        return False
    figures = _count_days(utc_day_start(day), utc_day_start(day + timedelta(days=1))).get(day, DayFigures())
    stored = db.session.execute(
        upsert_insert(DashboardDay).values(
            day=day, attempts_succeeded=figures.succeeded, attempts_failed=figures.failed,
            attempts_three_ds=figures.three_ds, webhooks_received=figures.webhooks_received,
            webhooks_processed=figures.webhooks_processed, webhooks_failed=figures.webhooks_failed,
            sales_amount=figures.sales, sales_bookings=figures.sales_bookings, refunds_amount=figures.refunds,
            rolled_at=now, **{column: figures.funnel.get(stage, 0) for stage, column in FUNNEL_COLUMNS.items()},
        ).on_conflict_do_nothing(index_elements=["day"]).returning(DashboardDay.day)  # another sweeper was first
    ).first()
    if stored is not None and figures.payment_ms:
        db.session.execute(DashboardPaymentTime.__table__.insert(), [
            {"day": day, "milliseconds": milliseconds, "payments": count}
            for milliseconds, count in figures.payment_ms.items()])
    db.session.commit()
    return stored is not None
