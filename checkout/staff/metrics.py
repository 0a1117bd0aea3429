"""The monitoring dashboard's figures, from our own tables, for a period ending at `now`.

Days are UTC calendar days. A period of N days runs from midnight UTC N-1 days before
`now` up to `now` itself: "today" is since midnight, "7 days" is today and the six days
before it, so the daily revenue chart has exactly N bars. Every function takes `now`, so
the figures for a fixed data set are exact.

Money is integer minor units in REPORTING_CURRENCY (the catalogue sells in USD only).
Rates are Ratio(part, whole): shown to one decimal, or "—" when there is nothing to divide by.

Every countable figure is a sum of per-day figures (`DayFigures`). Closed days are rolled up
by the sweeper into `dashboard_days` (`roll_up`); on PostgreSQL triggers delete a stored day
whenever a row it counts changes, so a stored day is exact, and the dashboard counts from the
rows only today and any day not stored: a period costs the same at 10k and at 1M bookings.
(The demo's SQLite has no triggers: there every day is counted from the rows.)
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Date, Integer, cast, func, literal_column, select, type_coerce

from ..clock import utc_day_start
from ..extensions import db, upsert_insert
from ..models import (
    AttemptStatus, Booking, DashboardDay, DashboardPaymentTime, Dispute, ErrorEvent, FunnelEvent, FunnelStage,
    PaymentAttempt, Refund, RefundStatus, WebhookEvent,
)

PERIODS = {"today": 1, "7d": 7, "30d": 30}
PERIOD_NAMES = {"today": "Today", "7d": "7 days", "30d": "30 days"}
DEFAULT_PERIOD = "7d"
REPORTING_CURRENCY = "USD"
ONE_DECIMAL = Decimal("0.1")

# The design's targets.
SUCCESS_TARGET = 95  # percent, at least (strictly above)
DECLINE_TARGET = 5  # percent, below
PAYMENT_SECONDS_TARGET = 3  # seconds from the Pay click to success, for the median payment, below
WEBHOOK_DELIVERY_TARGET = 99  # percent, above
SERVER_ERRORS_PER_DAY_TARGET = 10  # 5xx answers a day, below
# What healthy traffic looks like, and what the demo's history seed is built to show:
# a figure outside its band is not a failure, but worth a look.
THREE_DS_BAND = (10, 20)  # percent of finished attempts
CONVERSION_BAND = (3, 5)  # percent, searches to payment completed

FUNNEL_NAMES = {
    FunnelStage.SEARCH: "Searches",
    FunnelStage.RESULTS_VIEWED: "Results viewed",
    FunnelStage.BOOKING_STARTED: "Booking started",
    FunnelStage.PAYMENT_REACHED: "Payment reached",
    FunnelStage.PAYMENT_COMPLETED: "Payment completed",
}


@dataclass(frozen=True)
class Window:
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


@dataclass(frozen=True)
class Ratio:
    part: int
    whole: int

    @property
    def percent(self) -> Decimal | None:
        """Percent to one decimal, half up; None when the whole is 0 (no data, not 0 %)."""
        if not self.whole:
            return None
        return (Decimal(self.part) * 100 / Decimal(self.whole)).quantize(ONE_DECIMAL, ROUND_HALF_UP)

    @property
    def text(self) -> str:
        return "—" if self.percent is None else f"{self.percent}%"


@dataclass(frozen=True)
class Target:
    """A design target and whether the figure meets it (None: no data to judge)."""
    text: str
    met: bool | None

    @property
    def verdict(self) -> str:
        return {True: "meets target", False: "below target", None: "no data"}[self.met]


def _target(text: str, value, test) -> Target:
    return Target(text, None if value is None else bool(test(value)))


@dataclass(frozen=True)
class Band:
    """The range a figure usually falls in (bounds included), and where this one falls."""
    low: int
    high: int
    value: Decimal | None

    @property
    def text(self) -> str:
        return f"{self.low}–{self.high}%"

    @property
    def position(self) -> str | None:
        """within | below | above, or None with no data."""
        if self.value is None:
            return None
        return "below" if self.value < self.low else "above" if self.value > self.high else "within"

    @property
    def verdict(self) -> str:
        return {"within": "within the usual range", "below": "below the usual range",
                "above": "above the usual range", None: "no data"}[self.position]


# -- payments ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Payments:
    """Attempts created in the period that finished: succeeded or failed (declined).

    Attempts still open or cancelled (an expired hold) are neither a success nor a decline.
    3-D Secure rate: finished attempts that went through 3-D Secure, over finished attempts.
    Payment time: from the traveller's Pay click (confirm_requested_at) to success
    (succeeded_at), over the succeeded attempts whose click we heard of, each counted in whole
    milliseconds; the median (p50) and the 95th percentile (p95), interpolated as PostgreSQL's
    percentile_cont, in seconds to one decimal. The target applies to the median.
    """
    succeeded: int
    failed: int
    three_ds: int
    p50_seconds: Decimal | None = None
    p95_seconds: Decimal | None = None
    timed: int = 0  # succeeded attempts with a Pay click on record

    @property
    def finished(self) -> int:
        return self.succeeded + self.failed

    @property
    def success_rate(self) -> Ratio:
        return Ratio(self.succeeded, self.finished)

    @property
    def three_ds_rate(self) -> Ratio:
        return Ratio(self.three_ds, self.finished)

    @property
    def decline_rate(self) -> Ratio:
        return Ratio(self.failed, self.finished)

    @property
    def success_target(self) -> Target:
        return _target(f"> {SUCCESS_TARGET}%", self.success_rate.percent, lambda p: p > SUCCESS_TARGET)

    @property
    def decline_target(self) -> Target:
        return _target(f"< {DECLINE_TARGET}%", self.decline_rate.percent, lambda p: p < DECLINE_TARGET)

    @property
    def three_ds_band(self) -> Band:
        return Band(*THREE_DS_BAND, self.three_ds_rate.percent)

    @property
    def time_target(self) -> Target:
        return _target(f"< {PAYMENT_SECONDS_TARGET} s (median)", self.p50_seconds, lambda s: s < PAYMENT_SECONDS_TARGET)

    @property
    def time_text(self) -> str:
        if self.p50_seconds is None:
            return "—"
        return f"p50 {self.p50_seconds} s · p95 {self.p95_seconds} s"


def payments(window: Window, by_day: dict[date, DayFigures]) -> Payments:
    days = [by_day[day] for day in window.day_list]
    times = sum((day.payment_ms for day in days), Counter())
    return Payments(sum(d.succeeded for d in days), sum(d.failed for d in days), sum(d.three_ds for d in days),
                    _tenths(percentile_of_counts(times, Decimal("0.5"))),
                    _tenths(percentile_of_counts(times, Decimal("0.95"))), sum(times.values()))


def percentile_of_counts(milliseconds: Counter, fraction: Decimal) -> Decimal | None:
    """percentile_cont over durations given as {milliseconds: how many}, in seconds.

    The durations are counted per whole millisecond (so that closed days keep a few rows
    each, whatever the traffic); the figure is shown to a tenth of a second.
    """
    total = sum(milliseconds.values())
    if not total:
        return None
    position = fraction * (total - 1)
    below = int(position)
    wanted, found, seen = {below, min(below + 1, total - 1)}, {}, 0
    for value in sorted(milliseconds):
        seen += milliseconds[value]
        for rank in [r for r in wanted if r < seen]:
            found[rank] = value
            wanted.discard(rank)
        if not wanted:
            break
    low, high = Decimal(found[below]), Decimal(found[min(below + 1, total - 1)])
    return (low + (high - low) * (position - below)) / 1000


def _tenths(seconds: Decimal | None) -> Decimal | None:
    # Decimal all the way from whole milliseconds, so 2.75 stays 2.75 and rounds half up to 2.8.
    return None if seconds is None else seconds.quantize(ONE_DECIMAL, ROUND_HALF_UP)


# -- disputes ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Disputes:
    """Open: every dispute not yet closed, whenever it was opened (they need an answer now).
    In the period: disputes the cardholders' banks opened in the period. Dispute rate: those
    over the payments that succeeded in the period (as in Payments). Disputes on charges that
    match no booking count too: they are on our Stripe account all the same."""
    open: int
    in_period: int
    payments: int

    @property
    def rate(self) -> Ratio:
        return Ratio(self.in_period, self.payments)


def disputes(window: Window, payment_figures: Payments) -> Disputes:
    still_open, in_period = db.session.execute(
        select(func.count().filter(Dispute.closed_at.is_(None)),
               func.count().filter(window.holds(Dispute.created_at)))
    ).one()
    return Disputes(still_open, in_period, payment_figures.succeeded)


# -- webhooks --------------------------------------------------------------------------

@dataclass(frozen=True)
class Webhooks:
    """Stripe events first received in the period. Processed = processed or ignored (both
    answered 2xx and done); failed = our handling failed (Stripe retries). Delivery rate =
    processed / received; events still being handled count as received, not processed."""
    received: int
    processed: int
    failed: int

    @property
    def delivery_rate(self) -> Ratio:
        return Ratio(self.processed, self.received)

    @property
    def delivery_target(self) -> Target:
        return _target(f"> {WEBHOOK_DELIVERY_TARGET}%", self.delivery_rate.percent,
                       lambda p: p > WEBHOOK_DELIVERY_TARGET)


def webhooks(window: Window, by_day: dict[date, DayFigures]) -> Webhooks:
    days = [by_day[day] for day in window.day_list]
    return Webhooks(sum(d.webhooks_received for d in days), sum(d.webhooks_processed for d in days),
                    sum(d.webhooks_failed for d in days))


# -- revenue -----------------------------------------------------------------------------

@dataclass(frozen=True)
class DayRevenue:
    day: date
    amount: int  # sales minus refunds, may be negative
    bookings: int  # bookings confirmed that day


def daily_revenue(window: Window, by_day: dict[date, DayFigures]) -> list[DayRevenue]:
    """Revenue per UTC day of the window, every day present (zero days too).

    Revenue of a day = the total_amount of every booking confirmed that day (by
    confirmed_at, whatever its status now: a booking cancelled later was still sold)
    minus every succeeded refund made that day (by the refund's created_at) of the
    payment that bought a confirmed booking (its first succeeded attempt). Refunds of
    money that never bought a booking (a late or duplicate payment, returned
    automatically) are left out, as that money was never counted as sold.
    Only REPORTING_CURRENCY. (Counted by `_count_days`.)
    """
    return [DayRevenue(day, by_day[day].sales - by_day[day].refunds, by_day[day].sales_bookings)
            for day in window.day_list]


@dataclass(frozen=True)
class Revenue:
    today: int
    week: int  # the last 7 days, today included
    month: int  # the last 30 days, today included
    period: int
    period_bookings: int  # bookings confirmed in the period
    bookings_today: int  # bookings confirmed today
    by_day: list[DayRevenue]  # the period's days

    @property
    def average_booking_value(self) -> int | None:
        """Period revenue / bookings confirmed in the period, rounded half up to the minor unit."""
        if not self.period_bookings:
            return None
        return int((Decimal(self.period) / self.period_bookings).quantize(Decimal(1), ROUND_HALF_UP))


def revenue(now: datetime, period_days: int, by_day: dict[date, DayFigures]) -> Revenue:
    month = daily_revenue(Window.ending(now, max(30, period_days)), by_day)

    def last(days: int) -> list[DayRevenue]:
        return month[-days:]

    period = last(period_days)
    return Revenue(
        today=sum(d.amount for d in last(1)), week=sum(d.amount for d in last(7)),
        month=sum(d.amount for d in last(30)), period=sum(d.amount for d in period),
        period_bookings=sum(d.bookings for d in period), bookings_today=last(1)[0].bookings, by_day=period,
    )


# -- funnel ----------------------------------------------------------------------------

@dataclass(frozen=True)
class FunnelStep:
    stage: str
    name: str
    count: int
    from_previous: Ratio | None  # conversion from the step before; None for the first


@dataclass(frozen=True)
class Funnel:
    """Visitors reaching each stage in the period (each visitor once per stage, when first reached).

    Conversion between steps = this step / the one before; overall = completed / searches;
    abandonment at payment = 1 - completed / reached, shown as (reached - completed) / reached,
    never below 0 (a payment completed in this period may have been reached in the one before).
    """
    steps: list[FunnelStep]

    def count(self, stage: str) -> int:
        return next(step.count for step in self.steps if step.stage == stage)

    @property
    def overall(self) -> Ratio:
        return Ratio(self.count(FunnelStage.PAYMENT_COMPLETED), self.count(FunnelStage.SEARCH))

    @property
    def abandonment_at_payment(self) -> Ratio:
        reached = self.count(FunnelStage.PAYMENT_REACHED)
        return Ratio(max(0, reached - self.count(FunnelStage.PAYMENT_COMPLETED)), reached)

    @property
    def conversion_band(self) -> Band:
        return Band(*CONVERSION_BAND, self.overall.percent)


def funnel(window: Window, by_day: dict[date, DayFigures]) -> Funnel:
    counts = sum((by_day[day].funnel for day in window.day_list), Counter())
    steps, previous = [], None
    for stage in FunnelStage.ORDER:
        count = counts.get(stage, 0)
        conversion = None if previous is None else Ratio(count, previous)
        steps.append(FunnelStep(stage, FUNNEL_NAMES[stage], count, conversion))
        previous = count
    return Funnel(steps)


# -- errors ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Errors:
    """Counts in the period. 5xx and 4xx: ErrorEvent rows by HTTP status (a database error is
    also a 5xx); database: 5xx answers during which the database raised an error; payment
    failures: declined attempts (as in Payments); webhook failures: as in Webhooks."""
    server: int
    client: int
    database: int
    payment_failures: int
    webhook_failures: int
    days: int

    @property
    def server_target(self) -> Target:
        limit = SERVER_ERRORS_PER_DAY_TARGET * self.days
        return Target(f"< {limit} ({SERVER_ERRORS_PER_DAY_TARGET} a day)", self.server < limit)


def errors(window: Window, payment_figures: Payments, webhook_figures: Webhooks) -> Errors:
    server, client, database = db.session.execute(
        select(func.count().filter(ErrorEvent.status.between(500, 599)),
               func.count().filter(ErrorEvent.status.between(400, 499)),
               func.count().filter(ErrorEvent.kind == "database"))
        .where(window.holds(ErrorEvent.at))
    ).one()
    return Errors(server, client, database, payment_figures.failed, webhook_figures.failed, window.days)


# -- everything ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Dashboard:
    period: str
    window: Window
    payments: Payments
    webhooks: Webhooks
    revenue: Revenue
    funnel: Funnel
    errors: Errors
    disputes: Disputes

    @property
    def period_name(self) -> str:
        return PERIOD_NAMES[self.period]


def dashboard(now: datetime, period: str = DEFAULT_PERIOD) -> Dashboard:
    """Every figure on the dashboard for `period` ("today", "7d", "30d") ending at `now`."""
    window = Window.ending(now, PERIODS[period])
    by_day = figures_by_day(now, max(STORED_DAYS, window.days))
    payment_figures, webhook_figures = payments(window, by_day), webhooks(window, by_day)
    return Dashboard(period, window, payment_figures, webhook_figures, revenue(now, window.days, by_day),
                     funnel(window, by_day), errors(window, payment_figures, webhook_figures),
                     disputes(window, payment_figures))


# -- per day: counted from the rows, or stored ------------------------------------------------

STORED_DAYS = 30  # the longest period (and revenue always shows 30 days)
ROLL_UP_GRACE = timedelta(minutes=10)  # a day is rolled up this long after its midnight
DAY_LOCK_CLASS = 7301  # the advisory locks of the days (migration 0012's triggers take them too)
LOCK_EPOCH = date(2000, 1, 1)
FUNNEL_COLUMNS = {stage: f"funnel_{stage}" for stage in FunnelStage.ORDER}


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
