"""Closed days rolled up for the dashboard: the same figures as counting every row, even
after a row of a stored day changes, and a day changing in a transaction in flight is left
for the next sweep.

The oracle is the dashboard counted from the rows alone (`rolled_up_here` off): whatever
happens, stored days plus counted days must give exactly its figures.
"""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update

from checkout.extensions import db
from checkout.models import Booking, DashboardDay, FunnelEvent, PaymentAttempt, Refund, WebhookEvent
from checkout.staff import dashboard_days, metrics
from tests.integration.test_dashboard import NOW, at, data_set  # noqa: F401 (a fixture)

PERIODS = ("today", "7d", "30d")


def counted_from_rows(monkeypatch, period: str) -> metrics.Dashboard:
    with monkeypatch.context() as patched:
        patched.setattr(dashboard_days, "rolled_up_here", lambda: False)
        return metrics.dashboard(NOW, period)


def assert_exact(monkeypatch) -> None:
    for period in PERIODS:
        assert metrics.dashboard(NOW, period) == counted_from_rows(monkeypatch, period), period


def stored_days() -> set:
    return set(db.session.execute(select(DashboardDay.day)).scalars())


def test_the_sweeper_stores_the_closed_days_of_the_last_30_and_the_figures_stay_the_same(data_set, monkeypatch):
    rolled = dashboard_days.roll_up(NOW)
    # 15 March is today; 14 February to 14 March are closed; 1 February's webhook is older.
    assert rolled == [(NOW - timedelta(days=n)).date() for n in range(29, 0, -1)]
    assert dashboard_days.roll_up(NOW) == []  # nothing changed: nothing to do
    assert_exact(monkeypatch)
    week = metrics.dashboard(NOW, "7d")
    assert (week.payments.succeeded, week.payments.failed, week.payments.time_text) == (6, 2, "p50 2.0 s · p95 4.6 s")
    assert (week.revenue.today, week.revenue.week, week.revenue.month) == (35000, 110000, 130000)


def test_the_dashboard_reads_the_stored_days(data_set):
    dashboard_days.roll_up(NOW)
    # Written behind the figures' back (no trigger watches the roll-up itself): the dashboard shows it,
    # so the stored day is what was read, not the rows.
    db.session.execute(update(DashboardDay).where(DashboardDay.day == at(12).date()).values(sales_amount=99900))
    db.session.commit()
    assert metrics.dashboard(NOW, "7d").revenue.week == 110000 - 25000 + 99900


def test_a_day_before_midnight_plus_the_grace_is_left_to_count(data_set):
    just_after_midnight = NOW.replace(hour=0, minute=5)
    assert at(14).date() not in dashboard_days.roll_up(just_after_midnight)
    assert at(14).date() in dashboard_days.roll_up(NOW)


@pytest.mark.parametrize("change", [
    "a webhook of a stored day fails",
    "a funnel stage arrives late",
    "a refund of a stored day is deleted",
    "a booking sold on a stored day loses its confirmation",
    "an attempt of a stored day is declined after all",
    "a booking's first payment is declined after all",
    "a stored day's bookings are deleted",
])
def test_a_change_to_a_stored_day_is_counted_at_once(data_set, monkeypatch, change):
    dashboard_days.roll_up(NOW)
    before = stored_days()
    if change == "a webhook of a stored day fails":
        db.session.execute(update(WebhookEvent).where(func.date(WebhookEvent.received_at) == at(10).date())
                           .values(status="failed"))
    elif change == "a funnel stage arrives late":
        db.session.add(FunnelEvent(stage="search", visitor="late", at=at(11, 23, 59)))
    elif change == "a refund of a stored day is deleted":
        db.session.execute(text("DELETE FROM refunds WHERE amount = 20000"))  # B3's, made Saturday
    elif change == "a booking sold on a stored day loses its confirmation":
        # B3: its sale (1 March) goes, and its refund (Saturday) with it: it no longer gives back a sale.
        db.session.execute(update(Booking).where(Booking.total_amount == 20000).values(confirmed_at=None))
    elif change == "an attempt of a stored day is declined after all":
        db.session.execute(update(PaymentAttempt).where(PaymentAttempt.payment_intent_id == "pi_dash_3")
                           .values(status="failed", succeeded_at=None))
    elif change == "a booking's first payment is declined after all":
        # B3's payment (1 March) fails: its refund (Saturday) no longer gives back the paid attempt.
        db.session.execute(update(PaymentAttempt).where(PaymentAttempt.payment_intent_id == "pi_dash_4")
                           .values(status="failed", succeeded_at=None))
    elif change == "a stored day's bookings are deleted":
        db.session.execute(text("DELETE FROM bookings WHERE total_amount = 25000"))  # B6, Thursday
    db.session.commit()
    assert stored_days() < before  # the touched days were forgotten in the same transaction
    assert_exact(monkeypatch)
    dashboard_days.roll_up(NOW)  # and stored again, as they are now
    assert stored_days() == before
    assert_exact(monkeypatch)


def test_a_day_changing_in_a_transaction_in_flight_is_left_for_the_next_sweep(app, data_set, monkeypatch):
    """The sweeper never stores a day that an uncommitted change touched, and never waits for it."""
    day = at(11).date()
    changed, finish = threading.Event(), threading.Event()

    def late_funnel_stage():
        with app.app_context():
            db.session.add(FunnelEvent(stage="search", visitor="in-flight", at=at(11, 8)))
            db.session.flush()  # the trigger has run: the day is locked (shared) until commit
            changed.set()
            finish.wait(30)
            db.session.commit()
            db.session.remove()

    writer = threading.Thread(target=late_funnel_stage)
    writer.start()
    try:
        assert changed.wait(30)
        rolled = dashboard_days.roll_up(NOW)
        assert day not in rolled and at(10).date() in rolled
    finally:
        finish.set()
        writer.join()
    assert day not in stored_days()
    assert_exact(monkeypatch)  # the late stage counts, from the rows
    assert dashboard_days.roll_up(NOW) == [day]
    assert metrics.dashboard(NOW, "7d").funnel.steps[0].count == 7
    assert_exact(monkeypatch)


def test_a_pending_refund_of_a_stored_day_counts_once_it_succeeds(data_set, monkeypatch):
    db.session.execute(update(Refund).where(Refund.status == "pending").values(created_at=at(13, 9)))
    db.session.commit()
    dashboard_days.roll_up(NOW)
    db.session.execute(update(Refund).where(Refund.status == "pending").values(status="succeeded"))
    db.session.commit()
    assert_exact(monkeypatch)
    assert metrics.dashboard(NOW, "7d").revenue.week == 110000 - 1000
