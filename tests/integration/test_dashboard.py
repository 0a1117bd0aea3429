"""The monitoring dashboard: figures against a hand-computed data set, the page and its
fragment, targets, charts, and the funnel and error events the app records itself."""
from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from checkout import monitoring
from checkout.clock import utcnow
from checkout.extensions import db
from checkout.models import (
    Booking, ErrorEvent, Flight, FunnelEvent, FunnelStage, PaymentAttempt, Refund, WebhookEvent,
)
from checkout.payments import service as payments
from checkout.staff import charts, metrics
from checkout.staff.auth import create_staff
from checkout.staff.metrics import DayRevenue, Payments, Ratio
from tests.conftest import Checkout as _Checkout
from tests.payments_support import pay_at_stripe

UTC = timezone.utc
NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)  # a Sunday noon; "7 days" starts Monday 9 March
DAY = timedelta(days=1)
TYPING = timedelta(seconds=40)  # from the payment page loading to the Pay click


def at(day: int, hour: int = 12, minute: int = 0, second: float = 0) -> datetime:
    """A moment in March 2026 (day 15 is today); day 0 is 28 February, -7 is 21 February."""
    return datetime(2026, 3, 1, hour, minute, tzinfo=UTC) + timedelta(days=day - 1, seconds=second)



# -- the fixed data set ------------------------------------------------------------------

class DataSet:
    def __init__(self):
        self.flight_id = db.session.execute(select(Flight.id).order_by(Flight.id)).scalars().first()
        self.intents = 0
        self.attempts_made: dict[int, int] = {}

    def booking(self, status: str, total: int, confirmed_at: datetime | None, created_at: datetime) -> Booking:
        booking = Booking(status=status, flight_id=self.flight_id, fare_family_code="BASIC", currency="USD",
                          total_amount=total, hold_expires_at=created_at + timedelta(minutes=15),
                          created_at=created_at, updated_at=created_at, submitted_at=created_at,
                          confirmed_at=confirmed_at, channel="web")
        db.session.add(booking)
        db.session.flush()
        return booking

    def attempt(self, booking: Booking, status: str, created_at: datetime, seconds: float | None = None,
                used_3ds: bool = False, clicked: bool = True) -> PaymentAttempt:
        """An attempt whose page loaded at `created_at`; the traveller typed the card for TYPING
        and pressed Pay (unless not `clicked`: an API client); it succeeded `seconds` after the click."""
        self.intents += 1
        number = self.attempts_made[booking.id] = self.attempts_made.get(booking.id, 0) + 1
        click = created_at + TYPING
        attempt = PaymentAttempt(
            booking_id=booking.id, number=number, payment_intent_id=f"pi_dash_{self.intents}", status=status,
            amount=booking.total_amount, currency="USD", used_3ds=used_3ds, created_at=created_at,
            updated_at=created_at, confirm_requested_at=click if clicked else None,
            succeeded_at=click + timedelta(seconds=seconds) if seconds is not None else None,
        )
        db.session.add(attempt)
        db.session.flush()
        return attempt

    def refund(self, booking: Booking, attempt: PaymentAttempt, amount: int, created_at: datetime, status="succeeded"):
        db.session.add(Refund(booking_id=booking.id, payment_attempt_id=attempt.id, amount=amount, currency="USD",
                              status=status, reason="test", idempotency_key=f"dash-{attempt.id}-{amount}-{status}",
                              created_by="test", created_at=created_at, updated_at=created_at))

    def webhook(self, status: str, received_at: datetime):
        self.intents += 1
        db.session.add(WebhookEvent(stripe_event_id=f"evt_dash_{self.intents}", event_type="payment_intent.succeeded",
                                    status=status, received_at=received_at))

    def funnel(self, visitor: str, stages: int, moment: datetime):
        for stage in FunnelStage.ORDER[:stages]:
            db.session.add(FunnelEvent(stage=stage, visitor=visitor, at=moment))

    def error(self, kind: str, status: int, moment: datetime, path: str = "/somewhere"):
        db.session.add(ErrorEvent(kind=kind, status=status, at=moment, path=path))


@pytest.fixture
def data_set(app_ctx):
    """A handful of rows with known times around NOW; the expected figures are worked out by hand below."""
    d = DataSet()
    # B1: confirmed today, $500.00, paid in 2.0 s.
    b1 = d.booking("CONFIRMED", 50000, at(15, 10), at(15, 9, 50))
    d.attempt(b1, "succeeded", at(15, 9, 59, 58), seconds=2)
    # B2: a 3-D Secure decline, then a 3-D Secure success in 3.0 s; confirmed Friday, $300.00.
    b2 = d.booking("CONFIRMED", 30000, at(13, 9), at(13, 8, 50))
    d.attempt(b2, "failed", at(13, 8, 58), used_3ds=True)
    d.attempt(b2, "succeeded", at(13, 8, 59, 57), seconds=3, used_3ds=True)
    # B3: confirmed 1 March ($200.00, 4.0 s), cancelled and refunded in full Saturday.
    b3 = d.booking("CANCELLED", 20000, at(1, 11), at(1, 10, 50))
    a4 = d.attempt(b3, "succeeded", at(1, 10, 59, 56), seconds=4)
    d.refund(b3, a4, 20000, at(14, 9))
    # B4: confirmed Saturday ($400.00, 1.5 s); a $50.00 seat refund today, and a pending one not yet counted.
    b4 = d.booking("CONFIRMED", 40000, at(14, 15), at(14, 14, 50))
    a5 = d.attempt(b4, "succeeded", at(14, 14, 59, 58.5), seconds=1.5)
    d.refund(b4, a5, 5000, at(15, 8))
    d.refund(b4, a5, 1000, at(15, 9), status="pending")
    # B5: waiting for payment: declined today, then an attempt still open (neither counts as finished twice).
    b5 = d.booking("PENDING_PAYMENT", 10000, None, at(15, 10, 50))
    d.attempt(b5, "failed", at(15, 11))
    d.attempt(b5, "created", at(15, 11, 5))
    # B6: confirmed Thursday ($250.00, 2.0 s); a duplicate payment (5.0 s) refunded automatically:
    # that refund never touches revenue, because the duplicate was never counted as sold.
    b6 = d.booking("CONFIRMED", 25000, at(12, 10, 0, 2), at(12, 9, 50))
    d.attempt(b6, "succeeded", at(12, 10), seconds=2)
    a9 = d.attempt(b6, "succeeded", at(12, 10, 0, 1), seconds=5)
    d.refund(b6, a9, 25000, at(12, 10, 5))
    # B7: confirmed long ago (outside every window), $100.00 of it refunded today.
    b7 = d.booking("CONFIRMED", 99999, at(-20), at(-20, 11))
    a10 = d.attempt(b7, "succeeded", at(-20, 11, 30), seconds=2)
    d.refund(b7, a10, 10000, at(15, 7))
    # B8: a late payment (3.0 s, through the API: no Pay click on record) that could not buy its
    # expired booking, refunded Saturday: not revenue.
    b8 = d.booking("CANCELLED", 15000, None, at(14, 9, 50))
    a11 = d.attempt(b8, "succeeded", at(14, 10), seconds=3, clicked=False)
    d.refund(b8, a11, 15000, at(14, 10, 10))
    d.attempt(d.booking("EXPIRED", 12000, None, at(14, 8)), "canceled", at(14, 8, 1))

    for status in ("processed", "ignored", "failed", "received"):
        d.webhook(status, at(15, 9))
    d.webhook("processed", at(10))
    d.webhook("processed", at(10))
    d.webhook("processed", at(-7))  # 21 February
    d.webhook("failed", at(-27))  # 1 February: outside 30 days

    d.funnel("v1", 5, at(15, 9))
    d.funnel("v2", 4, at(15, 9))
    d.funnel("v3", 2, at(15, 9))
    d.funnel("v4", 1, at(15, 9))
    d.funnel("v5", 5, at(10))
    d.funnel("v6", 2, at(10))
    d.funnel("v7", 4, at(-7))
    for n in range(5):
        d.funnel(f"old{n}", 1, at(-27))

    d.error("http_5xx", 500, at(15, 9), "/review")
    d.error("database", 500, at(15, 9), "/select")
    d.error("http_4xx", 422, at(15, 9), "/flights")
    d.error("http_4xx", 422, at(15, 10), "/passengers")
    d.error("http_4xx", 404, at(15, 10), "/booking/FLY2A-ZZZZZZ")
    d.error("http_5xx", 502, at(10))
    d.error("http_4xx", 429, at(10))
    d.error("http_4xx", 400, at(-7))
    d.error("http_5xx", 500, at(-27))
    db.session.commit()
    return d


# -- figures -------------------------------------------------------------------------------

def test_payment_figures_per_period(data_set):
    today = metrics.dashboard(NOW, "today").payments
    assert (today.succeeded, today.failed, today.three_ds) == (1, 1, 0)
    assert (today.success_rate.text, today.decline_rate.text, today.three_ds_rate.text, today.time_text) == \
           ("50.0%", "50.0%", "0.0%", "p50 2.0 s · p95 2.0 s")
    week = metrics.dashboard(NOW, "7d").payments
    # A1, A3, A5, A8, A9, A11 succeeded; A2, A6 declined; the open and the cancelled attempt are not finished.
    assert (week.succeeded, week.failed, week.three_ds) == (6, 2, 2)
    assert (week.success_rate.text, week.decline_rate.text, week.three_ds_rate.text) == ("75.0%", "25.0%", "25.0%")
    # From the Pay click, not the page load (40 s of typing earlier): A1 2, A3 3, A5 1.5, A8 2, A9 5;
    # A11 has no click on record. Sorted 1.5 2 2 3 5: p50 the middle one, p95 at 3.8 = 3 + 0.8 * (5 - 3).
    assert (week.p50_seconds, week.p95_seconds, week.timed) == (Decimal("2.0"), Decimal("4.6"), 5)
    month = metrics.dashboard(NOW, "30d").payments
    assert (month.succeeded, month.failed) == (7, 2)
    # + A4's 4 s: 1.5 2 2 3 4 5, p50 at 2.5 = 2.5, p95 at 4.75 = 4.75, half up.
    assert (month.success_rate.text, month.decline_rate.text, month.three_ds_rate.text, month.time_text) == \
           ("77.8%", "22.2%", "22.2%", "p50 2.5 s · p95 4.8 s")  # 7/9, 2/9, 2/9


def test_percentiles_of_counted_milliseconds_interpolate_like_postgresql(app_ctx):
    """Days keep payment times as {milliseconds: how many}; p50/p95 over them are percentile_cont's."""
    samples = [[2000], [1500, 2000], [3000, 1500, 2000, 2000, 5000],
               [900, 7250, 1100, 2500, 3300, 1800, 2200, 12000, 2700, 1400, 6100, 2200, 2200, 1801]]
    for values in samples:
        rows = ", ".join(f"({v})" for v in values)
        expected = db.session.execute(text(
            f"SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v / 1000.0), "
            f"percentile_cont(0.95) WITHIN GROUP (ORDER BY v / 1000.0) FROM (VALUES {rows}) AS t(v)")).one()
        counts = Counter(values)
        ours = (metrics.percentile_of_counts(counts, Decimal("0.5")), metrics.percentile_of_counts(counts, Decimal("0.95")))
        assert tuple(map(float, ours)) == pytest.approx(tuple(map(float, expected)))
    assert metrics.percentile_of_counts(Counter(), Decimal("0.5")) is None


def test_revenue_is_sales_less_refunds_of_what_was_sold(data_set):
    figures = metrics.dashboard(NOW, "7d").revenue
    # Today: B1 50000 - B4's seat 5000 - B7's 10000 (B4's pending refund not yet).
    # Week: + B4 40000 - B3's refund 20000 (Sat) + B2 30000 (Fri) + B6 25000 (Thu; its duplicate's refund left out).
    # Month: + B3 20000 (1 March). B7 was sold before the month; B8 was never sold.
    assert (figures.today, figures.week, figures.month) == (35000, 110000, 130000)
    assert [(d.day.day, d.amount) for d in figures.by_day] == [
        (9, 0), (10, 0), (11, 0), (12, 25000), (13, 30000), (14, 20000), (15, 35000)]
    assert (figures.period, figures.period_bookings, figures.average_booking_value) == (110000, 4, 27500)
    assert figures.bookings_today == 1
    month = metrics.dashboard(NOW, "30d").revenue
    assert len(month.by_day) == 30 and month.by_day[0].day == (NOW - 29 * DAY).date()
    assert (month.period, month.period_bookings, month.average_booking_value) == (130000, 5, 26000)
    today = metrics.dashboard(NOW, "today").revenue
    assert (len(today.by_day), today.period, today.average_booking_value) == (1, 35000, 35000)


def test_webhook_delivery(data_set):
    expected = {"today": (4, 2, 1, "50.0%"), "7d": (6, 4, 1, "66.7%"), "30d": (7, 5, 1, "71.4%")}
    for period, (received, processed, failed, rate) in expected.items():
        hooks = metrics.dashboard(NOW, period).webhooks
        assert (hooks.received, hooks.processed, hooks.failed, hooks.delivery_rate.text) == \
               (received, processed, failed, rate), period


def test_funnel_conversion_and_abandonment(data_set):
    expected = {
        "today": ([4, 3, 2, 2, 1], ["75.0%", "66.7%", "100.0%", "50.0%"], "25.0%", "50.0%"),
        "7d": ([6, 5, 3, 3, 2], ["83.3%", "60.0%", "100.0%", "66.7%"], "33.3%", "33.3%"),
        "30d": ([7, 6, 4, 4, 2], ["85.7%", "66.7%", "100.0%", "50.0%"], "28.6%", "50.0%"),
    }
    for period, (counts, conversions, overall, abandonment) in expected.items():
        funnel = metrics.dashboard(NOW, period).funnel
        assert [s.count for s in funnel.steps] == counts, period
        assert funnel.steps[0].from_previous is None
        assert [s.from_previous.text for s in funnel.steps[1:]] == conversions, period
        assert (funnel.overall.text, funnel.abandonment_at_payment.text) == (overall, abandonment), period


def test_errors_and_the_5xx_target_scaled_by_days(data_set):
    today, week, month = (metrics.dashboard(NOW, p).errors for p in ("today", "7d", "30d"))
    fields = ("server", "client", "database", "payment_failures", "webhook_failures")
    assert tuple(getattr(today, f) for f in fields) == (2, 3, 1, 1, 1)
    assert tuple(getattr(week, f) for f in fields) == (3, 4, 1, 2, 1)
    assert tuple(getattr(month, f) for f in fields) == (3, 5, 1, 2, 1)
    assert today.server_target.met and today.server_target.text.startswith("< 10 ")
    for _ in range(8):
        data_set.error("http_5xx", 503, at(15, 11))
    db.session.commit()
    today, week = (metrics.dashboard(NOW, p).errors for p in ("today", "7d"))
    assert today.server == 10 and today.server_target.met is False  # 10 is not below 10 a day
    assert week.server == 11 and week.server_target.met and week.server_target.text.startswith("< 70 ")


def test_targets(data_set):
    week = metrics.dashboard(NOW, "7d")
    assert (week.payments.success_target.met, week.payments.decline_target.met) == (False, False)
    assert week.payments.time_target.met is True  # a median of 2.0 s
    assert week.webhooks.delivery_target.met is False
    # At the edges: the design says above 95 % and below 5 %, so exactly 95 % / 5 % miss.
    edge = Payments(succeeded=95, failed=5, three_ds=0, p50_seconds=Decimal("3.0"), p95_seconds=Decimal("9.0"))
    assert (edge.success_target.met, edge.decline_target.met, edge.time_target.met) == (False, False, False)
    good = Payments(succeeded=999, failed=1, three_ds=0, p50_seconds=Decimal("2.9"), p95_seconds=Decimal("9.0"))
    assert (good.success_target.met, good.decline_target.met, good.time_target.met) == (True, True, True)
    assert (good.success_target.verdict, edge.success_target.verdict) == ("meets target", "below target")
    # A ceiling missed is over it: 5 % declines against "< 5%" is above target, not below.
    assert (good.decline_target.verdict, edge.decline_target.verdict) == ("meets target", "above target")
    assert edge.time_target.verdict == "above target"


def test_no_data_shows_a_dash_not_zero(app_ctx):
    empty = metrics.dashboard(NOW + 3000 * DAY, "today")
    assert empty.payments.success_rate.text == "—" and empty.payments.time_text == "—"
    assert empty.payments.three_ds_band.verdict == "no data" and empty.funnel.conversion_band.position is None
    assert empty.payments.success_target.met is None and empty.payments.success_target.verdict == "no data"
    assert empty.webhooks.delivery_rate.text == "—" and empty.funnel.overall.text == "—"
    assert empty.revenue.average_booking_value is None
    assert Ratio(1, 3).percent == Decimal("33.3") and Ratio(2, 3).text == "66.7%" and Ratio(0, 0).percent is None


# -- charts ----------------------------------------------------------------------------------

def test_charts_are_accessible_svg_with_one_bar_per_stage_and_day(data_set):
    week = metrics.dashboard(NOW, "7d")
    funnel = str(charts.funnel_chart(week.funnel.steps, week.period_name))
    assert funnel.startswith("<svg") and 'role="img"' in funnel
    assert 'aria-labelledby="funnel-chart-title funnel-chart-desc"' in funnel
    assert '<title id="funnel-chart-title">Checkout funnel, 7 days</title>' in funnel
    assert "Searches: 6; Results viewed: 5" in funnel
    bars = re.findall(r'<rect class="bar" data-stage="(\w+)"[^>]* width="(\d+)"', funnel)
    assert [stage for stage, _ in bars] == list(FunnelStage.ORDER)
    widths = [int(w) for _, w in bars]
    assert widths[0] == max(widths) and widths[-1] == widths[0] // 3  # 2 of 6
    revenue = str(charts.revenue_chart(week.revenue.by_day, "USD", week.period_name))
    days = re.findall(r'<rect class="bar" data-day="([\d-]+)"[^>]* height="(\d+)"', revenue)
    assert [d for d, _ in days] == [(NOW - n * DAY).date().isoformat() for n in range(6, -1, -1)]
    assert [int(h) for _, h in days][:3] == [0, 0, 0]  # zero days are there, with no height
    assert "<title" in revenue and "<desc" in revenue and "$1,100.00 in all" in revenue
    month = metrics.dashboard(NOW, "30d")
    assert str(charts.revenue_chart(month.revenue.by_day, "USD", "30 days")).count('<rect class="bar"') == 30


def test_a_day_of_refunds_hangs_below_the_line():
    days = [DayRevenue(NOW.date() - DAY, 20000, 1), DayRevenue(NOW.date(), -5000, 0)]
    svg = str(charts.revenue_chart(days, "USD", "2 days"))
    assert 'fill="#b3261e"' in svg and "-$50.00" in svg


# -- the page --------------------------------------------------------------------------------

def sign_in(app, client, role: str = "agent") -> None:
    """A staff session as sign-in leaves it (sign-in itself is tested with the console)."""
    with app.app_context():
        user = create_staff(f"dashboard-{role}@fly2any.test", "correct horse battery", role)
        user_id = user.id
    now = utcnow().isoformat()
    with client.session_transaction() as session:
        session.update(staff_user_id=user_id, staff_signed_in_at=now, staff_seen_at=now)


@pytest.fixture
def staff_client(app, client, monkeypatch):
    monkeypatch.setattr("checkout.staff.dashboard.utcnow", lambda: NOW)
    sign_in(app, client)
    return client


def metric(html: str, metric_id: str) -> str:
    return re.search(rf'id="{metric_id}">(.*?)</div>', html, re.S).group(1)


def test_the_dashboard_needs_a_signed_in_staff_member(client):
    response = client.get("/staff/dashboard?period=7d")
    assert response.status_code == 303 and response.location.startswith("/staff/login")


@pytest.mark.parametrize("role", ["agent", "supervisor"])
def test_any_staff_role_sees_the_page(app, client, role):
    sign_in(app, client, role)
    response = client.get("/staff/dashboard")
    assert response.status_code == 200 and "<html" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "private, no-store"


def test_the_page_shows_the_figures_with_targets_in_words_and_colour(data_set, staff_client):
    response = staff_client.get("/staff/dashboard?period=7d")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html and "Monitoring dashboard" in html
    assert "HX-Request" in response.headers["Vary"]
    success = metric(html, "metric-success")
    assert "75.0%" in success and "6 of 8 finished attempts" in success
    assert 'class="target target-missed"' in success and "below target" in success and "Target &gt; 95%" in success
    timing = metric(html, "metric-payment-time")
    assert "p50 2.0 s · p95 4.6 s" in timing and "from the Pay click to success" in timing and "over 5 payments" in timing
    assert 'class="target target-met"' in timing and "meets target" in timing
    three_ds = metric(html, "metric-3ds")
    assert "25.0%" in three_ds and "target" not in three_ds
    assert "Expected 10–20%: above the usual range" in three_ds and 'class="band band-above"' in three_ds
    assert "66.7%" in metric(html, "metric-webhooks") and "below target" in metric(html, "metric-webhooks")
    assert "$350.00" in metric(html, "metric-revenue-today")
    assert "$1,100.00" in metric(html, "metric-revenue-week") and "$1,300.00" in metric(html, "metric-revenue-month")
    assert "$275.00" in metric(html, "metric-average-booking")
    assert ">1<" in metric(html, "metric-bookings-today")
    assert "33.3%" in metric(html, "metric-conversion") and "33.3%" in metric(html, "metric-abandonment")
    assert "Expected 3–5%: above the usual range" in metric(html, "metric-conversion")
    five = metric(html, "metric-5xx")
    assert ">3<" in five and "&lt; 70 (10 a day)" in five and "meets target" in five
    assert html.count('<rect class="bar" data-stage=') == 5 and html.count('<rect class="bar" data-day=') == 7
    # The figures behind the revenue chart, for screen readers.
    assert re.search(r'<table class="sr-only">\s*<caption>Daily revenue, 7 days</caption>', html)
    assert "<th scope=\"row\">Thu 12 Mar 2026</th><td>$250.00</td><td>1</td>" in html
    # Period links work without JavaScript, and htmx swaps only the metrics block.
    assert 'href="/staff/dashboard?period=30d"' in html and 'data-hx-target="#dashboard-metrics"' in html
    assert re.search(r'href="/staff/dashboard\?period=7d"[^>]*aria-current="page"', html)


def test_the_period_switch_with_htmx_returns_only_the_metrics(data_set, staff_client):
    response = staff_client.get("/staff/dashboard?period=30d", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and "<h1>" not in html
    assert html.lstrip().startswith('<div id="dashboard-metrics">')
    assert "77.8%" in metric(html, "metric-success") and html.count('<rect class="bar" data-day=') == 30
    assert re.search(r'href="/staff/dashboard\?period=30d"[^>]*aria-current="page"', html)
    # htmx restoring a page from history after a cache miss gets the whole page.
    restore = staff_client.get("/staff/dashboard?period=30d",
                               headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.get_data(as_text=True)


def test_today_and_an_unknown_period(data_set, staff_client):
    html = staff_client.get("/staff/dashboard?period=today").get_data(as_text=True)
    assert "50.0%" in metric(html, "metric-success") and html.count('<rect class="bar" data-day=') == 1
    assert staff_client.get("/staff/dashboard?period=year").status_code == 400


def test_an_empty_dashboard_says_no_data(staff_client, monkeypatch):
    monkeypatch.setattr("checkout.staff.dashboard.utcnow", lambda: NOW + 3000 * DAY)
    html = staff_client.get("/staff/dashboard?period=today").get_data(as_text=True)
    success = metric(html, "metric-success")
    assert "—" in success and "0.0%" not in success and "no data" in success


# -- what the app records ------------------------------------------------------------------

def _funnel_rows(app):
    """The funnel rows once the sweeper has written what waits in Redis."""
    with app.app_context():
        monitoring.flush_funnel()
        return db.session.execute(select(FunnelEvent).order_by(FunnelEvent.at, FunnelEvent.id)).scalars().all()


def test_the_checkout_records_each_funnel_stage_once_per_visitor(app, checkout):
    reference = checkout.to_pending()
    assert checkout.get(f"/booking/{reference}").status_code == 200  # the payment form
    checkout.search()  # a second search by the same visitor counts once
    checkout.get(f"/booking/{reference}")
    with app.app_context():
        booking = db.session.execute(select(Booking).where(Booking.reference == reference)).scalar_one()
        intent = booking.payment_attempts[-1].payment_intent_id
        assert pay_at_stripe(intent, "4242424242424242").status == "succeeded"
        payments.reconcile(intent)
        payments.reconcile(intent)  # a second confirmation adds nothing
        booking_id = booking.id
    rows = _funnel_rows(app)
    assert [r.stage for r in rows] == list(FunnelStage.ORDER)
    assert len({r.visitor for r in rows}) == 1 and len(rows[0].visitor) == 32
    assert [r.booking_id for r in rows] == [None, None, booking_id, booking_id, booking_id]


def test_a_search_without_flights_is_a_search_but_shows_no_results(app, checkout):
    assert checkout.search(origin="BOS", destination="SIN").status_code == 200  # no such route, nor a connection
    assert [r.stage for r in _funnel_rows(app)] == [FunnelStage.SEARCH]


def _errors(app):
    with app.app_context():
        return [(e.kind, e.status, e.path) for e in db.session.execute(select(ErrorEvent).order_by(ErrorEvent.id)).scalars()]


def test_an_error_event_for_a_422_and_none_for_browser_probes(app, client):
    assert client.get("/flights?origin=&destination=&date=").status_code == 422
    assert client.get("/favicon.ico").status_code == 200  # served since issue 11 #14: no error
    assert client.get("/apple-touch-icon.png").status_code == 404
    assert client.get("/static/css/nothing-here.css").status_code == 404
    assert client.get("/no-such-page").status_code == 404
    assert _errors(app) == [("http_4xx", 422, "/flights"), ("http_4xx", 404, "/no-such-page")]
    assert [r.stage for r in _funnel_rows(app)] == []  # an invalid search is not a search


def test_an_error_event_for_a_500_and_for_a_database_error(app, client, monkeypatch):
    def broken():
        raise RuntimeError("a bug")

    def database_broken():
        db.session.execute(text("SELECT * FROM no_such_table"))

    monkeypatch.setitem(app.view_functions, "catalog.home", broken)
    response = client.get("/")
    assert response.status_code == 500 and "Something went wrong" in response.get_data(as_text=True)
    monkeypatch.setitem(app.view_functions, "catalog.home", database_broken)
    assert client.get("/").status_code == 500
    assert _errors(app) == [("http_5xx", 500, "/"), ("database", 500, "/")]


def test_the_dashboard_counts_searches_still_waiting_for_the_sweeper(app, client):
    sign_in(app, client)
    for _ in range(2):
        _Checkout(app.test_client()).search()
    html = client.get("/staff/dashboard?period=today").get_data(as_text=True)
    assert re.search(r'<th scope="row">Searches</th><td class="number">2</td>', html)
    assert re.search(r'<th scope="row">Results viewed</th><td class="number">2</td>', html)


def test_searches_wait_in_redis_and_count_once_flushed(app, client):
    visitors = [_Checkout(app.test_client()) for _ in range(3)]
    for checkout in visitors:
        checkout.search()
    visitors[0].search()  # the same visitor again: still one search
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(FunnelEvent)) == 0
        assert monitoring.flush_funnel() == 6
        assert monitoring.flush_funnel() == 0
        counts = dict(db.session.execute(select(FunnelEvent.stage, func.count()).group_by(FunnelEvent.stage)).all())
    assert counts == {FunnelStage.SEARCH: 3, FunnelStage.RESULTS_VIEWED: 3}
