"""The monitoring dashboard's figures, from our own tables, for a period ending at `now`.

Days are UTC calendar days. A period of N days runs from midnight UTC N-1 days before
`now` up to `now` itself: "today" is since midnight, "7 days" is today and the six days
before it, so the daily revenue chart has exactly N bars. Every function takes `now`, so
the figures for a fixed data set are exact.

Money is integer minor units in REPORTING_CURRENCY (the catalogue sells in USD only).
Rates are Ratio(part, whole): shown to one decimal, or "—" when there is nothing to divide by.

What is computed and shown lives here: each figure, its rule, its target or usual band.
Every countable figure is a sum of per-day figures (`DayFigures`), which come from
`dashboard_days.py`: closed days stored by the sweeper, today and any day not stored counted
from the rows. This module reads that one; that one never imports this.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select

from ..extensions import db
from ..models import Dispute, ErrorEvent, FunnelStage
# REPORTING_CURRENCY is defined where the days are counted in it; the screen reads it here with the figures.
from .dashboard_days import REPORTING_CURRENCY, STORED_DAYS, DayFigures, Window, figures_by_day

PERIODS = {"today": 1, "7d": 7, "30d": 30}
PERIOD_NAMES = {"today": "Today", "7d": "7 days", "30d": "30 days"}
DEFAULT_PERIOD = "7d"
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
    """A design target and whether the figure meets it (None: no data to judge). `text` starts
    with "<" for a ceiling (a decline rate) or ">" for a floor (a success rate)."""
    text: str
    met: bool | None

    @property
    def verdict(self) -> str:
        """Which way a missed figure is off: a decline rate over its ceiling is "above target"."""
        missed = "above target" if self.text.startswith("<") else "below target"
        return {True: "meets target", False: missed, None: "no data"}[self.met]


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

