"""The monitoring dashboard's figures, from our own tables, for a period ending at `now`.

Days are UTC calendar days. A period of N days runs from midnight UTC N-1 days before
`now` up to `now` itself: "today" is since midnight, "7 days" is today and the six days
before it, so the daily revenue chart has exactly N bars. Every function takes `now`, so
the figures for a fixed data set are exact.

Money is integer minor units in REPORTING_CURRENCY (the catalogue sells in USD only).
Rates are Ratio(part, whole): shown to one decimal, or "—" when there is nothing to divide by.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Float, cast, func, select

from ..extensions import db
from ..models import (
    AttemptStatus, Booking, Dispute, ErrorEvent, FunnelEvent, FunnelStage, PaymentAttempt, Refund, RefundStatus,
    WebhookEvent,
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
        return cls(datetime.combine(first_day, time(0), tzinfo=timezone.utc), now, days)

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
    (succeeded_at), over the succeeded attempts whose click we heard of; the median (p50) and
    the 95th percentile (p95), interpolated as PostgreSQL's percentile_cont, in seconds to one
    decimal. The target applies to the median.
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


def payments(window: Window) -> Payments:
    finished = (AttemptStatus.SUCCEEDED, AttemptStatus.FAILED)
    counts = Counter()
    for status, used_3ds, count in db.session.execute(
        select(PaymentAttempt.status, PaymentAttempt.used_3ds, func.count())
        .where(window.holds(PaymentAttempt.created_at), PaymentAttempt.status.in_(finished))
        .group_by(PaymentAttempt.status, PaymentAttempt.used_3ds)
    ):
        counts[status] += count
        if used_3ds:
            counts["3ds"] += count
    p50, p95, timed = payment_times(window)
    return Payments(counts[AttemptStatus.SUCCEEDED], counts[AttemptStatus.FAILED], counts["3ds"], p50, p95, timed)


def payment_times(window: Window) -> tuple[Decimal | None, Decimal | None, int]:
    """(p50, p95, how many) seconds from the Pay click to success, for attempts created in the window.

    PostgreSQL computes the percentiles itself (percentile_cont); the demo's SQLite has no
    percentile function, so there the durations come back and `percentile` interpolates
    them the same way.
    """
    timed = (window.holds(PaymentAttempt.created_at), PaymentAttempt.status == AttemptStatus.SUCCEEDED,
             PaymentAttempt.confirm_requested_at.is_not(None), PaymentAttempt.succeeded_at.is_not(None))
    if db.engine.dialect.name == "postgresql":
        seconds = cast(func.extract("epoch", PaymentAttempt.succeeded_at - PaymentAttempt.confirm_requested_at), Float)
        p50, p95, count = db.session.execute(
            select(func.percentile_cont(0.5).within_group(seconds), func.percentile_cont(0.95).within_group(seconds),
                   func.count()).where(*timed)
        ).one()
    else:
        durations = sorted(
            (succeeded_at - clicked_at) / timedelta(seconds=1) for clicked_at, succeeded_at in db.session.execute(
                select(PaymentAttempt.confirm_requested_at, PaymentAttempt.succeeded_at).where(*timed)))
        p50, p95, count = percentile(durations, 0.5), percentile(durations, 0.95), len(durations)
    return _tenths(p50), _tenths(p95), count


def percentile(ordered: list[float], fraction: float) -> float | None:
    """percentile_cont: linear interpolation between the two nearest of the ordered values."""
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    below = int(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def _tenths(seconds: float | None) -> Decimal | None:
    # Through repr, so 2.75 stays 2.75 (and rounds half up to 2.8) rather than 2.7499999...
    return None if seconds is None else Decimal(repr(float(seconds))).quantize(ONE_DECIMAL, ROUND_HALF_UP)


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


def webhooks(window: Window) -> Webhooks:
    by_status = dict(db.session.execute(
        select(WebhookEvent.status, func.count()).where(window.holds(WebhookEvent.received_at))
        .group_by(WebhookEvent.status)
    ).all())
    return Webhooks(sum(by_status.values()), by_status.get("processed", 0) + by_status.get("ignored", 0),
                    by_status.get("failed", 0))


# -- revenue -----------------------------------------------------------------------------

@dataclass(frozen=True)
class DayRevenue:
    day: date
    amount: int  # sales minus refunds, may be negative
    bookings: int  # bookings confirmed that day


def daily_revenue(window: Window) -> list[DayRevenue]:
    """Revenue per UTC day of the window, every day present (zero days too).

    Revenue of a day = the total_amount of every booking confirmed that day (by
    confirmed_at, whatever its status now: a booking cancelled later was still sold)
    minus every succeeded refund made that day (by the refund's created_at) of the
    payment that bought a confirmed booking (its first succeeded attempt). Refunds of
    money that never bought a booking (a late or duplicate payment, returned
    automatically) are left out, as that money was never counted as sold.
    Only REPORTING_CURRENCY.
    """
    sales = db.session.execute(
        select(Booking.confirmed_at, Booking.total_amount)
        .where(window.holds(Booking.confirmed_at), Booking.total_amount.is_not(None),
               Booking.currency == REPORTING_CURRENCY)
    ).all()
    paid_attempt = (
        select(PaymentAttempt.id).where(PaymentAttempt.booking_id == Refund.booking_id,
                                        PaymentAttempt.status == AttemptStatus.SUCCEEDED)
        .order_by(PaymentAttempt.number).limit(1).scalar_subquery()
    )
    refunds = db.session.execute(
        select(Refund.created_at, Refund.amount).join(Booking, Booking.id == Refund.booking_id)
        .where(window.holds(Refund.created_at), Refund.status == RefundStatus.SUCCEEDED,
               Refund.currency == REPORTING_CURRENCY, Booking.confirmed_at.is_not(None),
               Refund.payment_attempt_id == paid_attempt)
    ).all()
    amounts, counts = Counter(), Counter()
    for confirmed_at, amount in sales:
        day = confirmed_at.astimezone(timezone.utc).date()
        amounts[day] += amount
        counts[day] += 1
    for created_at, amount in refunds:
        amounts[created_at.astimezone(timezone.utc).date()] -= amount
    return [DayRevenue(day, amounts[day], counts[day]) for day in window.day_list]


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


def revenue(now: datetime, period_days: int) -> Revenue:
    month = daily_revenue(Window.ending(now, max(30, period_days)))

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


def funnel(window: Window) -> Funnel:
    counts = dict(db.session.execute(
        select(FunnelEvent.stage, func.count()).where(window.holds(FunnelEvent.at)).group_by(FunnelEvent.stage)
    ).all())
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
    payment_figures, webhook_figures = payments(window), webhooks(window)
    return Dashboard(period, window, payment_figures, webhook_figures, revenue(now, window.days), funnel(window),
                     errors(window, payment_figures, webhook_figures), disputes(window, payment_figures))
