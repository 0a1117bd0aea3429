"""`flask seed --history`: past bookings in every state, consistent, deterministic, once only."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select, text

from checkout import create_app
from demo.history import CHANNEL, seed_history
from checkout.clock import utcnow
from checkout.extensions import db
from checkout.models import (
    AttemptStatus, Booking, BookingPriceLine, BookingStatus, ErrorEvent, FunnelEvent, FunnelStage, PaymentAttempt,
    Refund, WebhookEvent,
)
from checkout.staff import metrics
from tests.conftest import RATE_LIMITS

NOW = utcnow().replace(microsecond=0)



def _count(model, *where) -> int:
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar()


def _fingerprint() -> list[tuple]:
    return db.session.execute(
        select(Booking.reference, Booking.status, Booking.total_amount, Booking.created_at, Booking.confirmed_at)
        .where(Booking.channel == CHANNEL).order_by(Booking.created_at, Booking.id)
    ).all()


def test_history_covers_every_state_consistently(app_ctx):
    report = seed_history(NOW)
    assert report.bookings == 300 and set(report.by_status) == set(BookingStatus.ALL)
    by_status = dict(db.session.execute(
        select(Booking.status, func.count()).where(Booking.channel == CHANNEL).group_by(Booking.status)).all())
    assert by_status == report.by_status
    assert by_status["CONFIRMED"] > by_status["CANCELLED"] > 0 and by_status["PENDING_PAYMENT"] > 0

    month_ago = NOW - timedelta(days=30)
    bookings = db.session.execute(select(Booking).where(Booking.channel == CHANNEL)).scalars().all()
    for booking in bookings:
        assert month_ago <= booking.created_at <= NOW and booking.flight.departs_at > NOW
        assert booking.passengers
        if booking.submitted_at is None:
            assert booking.reference is None and booking.total_amount is None
            continue
        assert booking.reference.startswith("FLY2A-") and booking.total_amount == sum(l.amount for l in booking.price_lines)
        assert all(p.first_name and p.date_of_birth for p in booking.passengers)
        if booking.status in ("CONFIRMED", "CANCELLED"):
            paid = booking.paid_attempt
            assert paid.payment_intent_id.startswith("pi_hist_") and paid.succeeded_at == booking.confirmed_at
            assert paid.created_at < paid.confirm_requested_at  # the card was typed before Pay was pressed
            assert 1 <= (paid.succeeded_at - paid.confirm_requested_at).total_seconds() <= 6
            assert booking.confirmed_at <= NOW
        if booking.status == "CANCELLED":
            assert [r.status for r in booking.refunds] == ["succeeded"] and booking.refunds[0].amount <= booking.total_amount
            assert booking.transitions[-1].to_status == "CANCELLED"
        if booking.status == "PENDING_PAYMENT":
            assert booking.hold_expires_at > NOW  # the sweeper has nothing to ask Stripe about
    # No attempt is left open, so no sweeper will ever reconcile a fake PaymentIntent.
    assert _count(PaymentAttempt, PaymentAttempt.status.in_(AttemptStatus.OPEN)) == 0
    assert _count(PaymentAttempt, PaymentAttempt.used_3ds) > 0 and _count(PaymentAttempt, PaymentAttempt.status == "failed") > 0
    assert _count(Refund) == by_status["CANCELLED"]
    assert _count(WebhookEvent, WebhookEvent.status == "failed") < _count(WebhookEvent, WebhookEvent.status == "processed")
    assert _count(ErrorEvent) == report.error_events > 0

    funnel = [_count(FunnelEvent, FunnelEvent.stage == stage) for stage in FunnelStage.ORDER]
    assert funnel == sorted(funnel, reverse=True) and funnel[0] > funnel[2] > funnel[-1]
    assert funnel[2] == 300 and funnel[-1] == by_status["CONFIRMED"] + by_status["CANCELLED"]
    # The dashboard has something to show.
    month = metrics.dashboard(NOW, "30d")
    assert month.payments.finished > 200 and month.revenue.month > 0 and month.webhooks.received > 200


def test_history_figures_fall_in_the_dashboards_expected_bands(app_ctx):
    """The demo shows what healthy traffic looks like: every band and target the seed aims at."""
    report = seed_history(NOW)
    month = metrics.dashboard(NOW, "30d")
    payments = month.payments
    assert payments.three_ds_band.position == "within", payments.three_ds_rate.text  # 10-20 %
    assert month.funnel.conversion_band.position == "within", month.funnel.overall.text  # 3-5 %
    assert payments.time_target.met and payments.p95_seconds > payments.p50_seconds, payments.time_text
    assert payments.timed == payments.succeeded  # every seeded payment was a Pay click in the browser
    assert report.disputes > 0 and month.disputes.in_period == report.disputes
    assert month.disputes.open == 1  # the newest; the others were decided


def test_history_is_added_once(app_ctx):
    first = seed_history(NOW, count=40)
    assert not first.skipped and first.bookings == 40
    counts = (_count(Booking), _count(PaymentAttempt), _count(FunnelEvent), _count(ErrorEvent), _count(WebhookEvent))
    again = seed_history(NOW, count=40)
    assert again.skipped and again.bookings == 0
    assert (_count(Booking), _count(PaymentAttempt), _count(FunnelEvent), _count(ErrorEvent), _count(WebhookEvent)) == counts


def test_history_is_deterministic_for_a_seed_and_now(app_ctx):
    seed_history(NOW, count=60, rng_seed=7)
    first = _fingerprint()
    lines = db.session.execute(select(func.sum(BookingPriceLine.amount))).scalar()
    db.session.execute(text("DELETE FROM bookings; DELETE FROM webhook_events; DELETE FROM funnel_events; "
                            "DELETE FROM error_events;"))
    db.session.commit()
    seed_history(NOW, count=60, rng_seed=7)
    assert _fingerprint() == first and db.session.execute(select(func.sum(BookingPriceLine.amount))).scalar() == lines
    db.session.execute(text("DELETE FROM bookings;"))
    db.session.commit()
    seed_history(NOW, count=60, rng_seed=8)
    assert _fingerprint() != first


def test_flask_seed_history_on_the_demos_sqlite(tmp_path):
    """`make demo` keeps its data in SQLite: the plain inserts must work there too."""
    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(tmp_path / "demo.sqlite3"), **RATE_LIMITS})
    with app.app_context():
        upgrade()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed", "--days", "3", "--history"])
    assert result.exit_code == 0, result.output
    assert "Added 300 past bookings" in result.output and "CONFIRMED" in result.output
    again = runner.invoke(args=["seed", "--days", "3", "--history"])
    assert again.exit_code == 0 and "already there; nothing added" in again.output
    with app.app_context():
        assert _count(Booking, Booking.channel == CHANNEL) == 300
        figures = metrics.dashboard(utcnow(), "30d")
        assert figures.payments.finished > 200 and figures.funnel.steps[0].count > 300
        db.engine.dispose()


def test_history_needs_the_catalogue_first(app_ctx):
    with pytest.raises(RuntimeError, match="flask seed"):
        seed_history(NOW + timedelta(days=400))
    assert _count(Booking, Booking.channel == CHANNEL) == 0
