"""The sweeper (`flask sweep`, every minute): what no browser or webhook will do.

- PENDING_PAYMENT bookings past their hold expire (intents cancelled, seats released);
- attempts open for over 10 minutes are reconciled with Stripe (a lost webhook, a closed tab);
- refunds recorded but never answered by Stripe (a timeout, a crash) are asked for again,
  with the same idempotency key;
- abandoned drafts give their seats back;
- operators hear when webhooks keep failing;
- expired browser sessions are deleted (one row per cookie-less visitor would pile up).
Each booking is handled in its own transaction; one failure never stops the rest.
(`flask sweep` then stores the dashboard's closed days: staff/dashboard_days.roll_up.)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from .. import monitoring, notifications
from ..bookings import seat_holds, states
from ..bookings.service import lock_booking
from ..clock import utcnow
from ..extensions import db
from ..models import AttemptStatus, Booking, BookingStatus, PaymentAttempt, WebhookEvent
from ..web_session import purge_expired
from .fulfilment import hold_lapsed_unpaid, resend_stale_refunds
from .service import cancel_open_intents, claim_patience, reconcile

STALE_ATTEMPT = timedelta(minutes=10)
ABANDONED_DRAFT = timedelta(hours=2)
WEBHOOK_FAILURE_ALERT = 5  # failed deliveries in the last hour


@dataclass
class SweepReport:
    expired: list[str] = field(default_factory=list)
    reconciled: list[str] = field(default_factory=list)
    refunds_resent: list[int] = field(default_factory=list)
    drafts_closed: int = 0
    sessions_purged: int = 0
    funnel_flushed: int = 0
    errors: list[str] = field(default_factory=list)


def sweep(now: datetime | None = None) -> SweepReport:
    now = now or utcnow()
    report = SweepReport()
    _reconcile_stale_attempts(now, report)
    _resend_stale_refunds(now, report)
    _expire_pending(now, report)
    _close_abandoned_drafts(now, report)
    _alert_on_webhook_failures(now)
    _purge_expired_sessions(now, report)
    try:
        report.funnel_flushed = monitoring.flush_funnel()
    except Exception as err:  # noqa: BLE001 - kept in Redis until the next sweep
        db.session.rollback()
        current_app.logger.exception("sweeper could not flush funnel stages")
        report.errors.append(f"funnel: {err}")
    return report


def _reconcile_stale_attempts(now: datetime, report: SweepReport) -> None:
    stale = db.session.execute(
        select(PaymentAttempt.payment_intent_id).where(
            PaymentAttempt.status.in_(AttemptStatus.OPEN), PaymentAttempt.payment_intent_id.is_not(None),
            PaymentAttempt.created_at < now - STALE_ATTEMPT)
    ).scalars().all()
    for payment_intent_id in stale:
        try:
            reconcile(payment_intent_id, actor="sweeper", now=now)
            report.reconciled.append(payment_intent_id)
        except Exception as err:  # noqa: BLE001 - one bad row must not stop the sweep
            db.session.rollback()
            current_app.logger.exception("sweeper could not reconcile %s", payment_intent_id)
            report.errors.append(f"{payment_intent_id}: {err}")


def _resend_stale_refunds(now: datetime, report: SweepReport) -> None:
    try:
        report.refunds_resent = resend_stale_refunds(now, claim_patience())
    except Exception as err:  # noqa: BLE001 - still unsent: the next sweep asks again
        db.session.rollback()
        current_app.logger.exception("sweeper could not resend refunds")
        report.errors.append(f"refunds: {err}")


def _for_each_due(status: str, held_until: datetime, act, report: SweepReport, lock=None) -> None:
    """Run `act(booking)` on every booking in `status` whose hold ended by `held_until`.

    Each booking is locked (by `lock(booking_id)`, else lock_booking) and looked at again first (a traveller may
    have moved it on since the query), and handled in its own transaction: one failure never
    stops the rest.
    """
    due = db.session.execute(
        select(Booking.id).where(Booking.status == status, Booking.hold_expires_at <= held_until)
    ).scalars().all()
    for booking_id in due:
        try:
            booking = (lock or lock_booking)(booking_id)
            if booking.status == status and booking.hold_expires_at <= held_until:
                act(booking)
            db.session.commit()
        except Exception as err:  # noqa: BLE001 - one bad row must not stop the sweep
            db.session.rollback()
            current_app.logger.exception("sweeper could not handle booking %s", booking_id)
            report.errors.append(f"booking {booking_id}: {err}")


def _expire_pending(now: datetime, report: SweepReport) -> None:
    """PENDING_PAYMENT past its hold -> EXPIRED, seats freed, once no PaymentIntent of it can
    take money. If Stripe says one already succeeded, that payment wins instead (CONFIRMED)."""
    def expire(booking):
        states.transition(booking, BookingStatus.EXPIRED, "sweeper", note="payment hold expired")
        seat_holds.release(booking.id)
        hold_lapsed_unpaid(booking)
        report.expired.append(booking.reference)
    _for_each_due(BookingStatus.PENDING_PAYMENT, now, expire, report,
                  lock=lambda booking_id: cancel_open_intents(booking_id, actor="sweeper", now=now))


def _close_abandoned_drafts(now: datetime, report: SweepReport) -> None:
    def close(booking):
        states.transition(booking, BookingStatus.EXPIRED, "sweeper", note="draft abandoned")
        seat_holds.release(booking.id)
        report.drafts_closed += 1
    _for_each_due(BookingStatus.DRAFT, now - ABANDONED_DRAFT, close, report)


def _alert_on_webhook_failures(now: datetime) -> None:
    failures = db.session.execute(
        select(func.count()).select_from(WebhookEvent).where(
            WebhookEvent.status == "failed", WebhookEvent.received_at >= now - timedelta(hours=1))
    ).scalar()
    if failures >= WEBHOOK_FAILURE_ALERT:
        notifications.queue_ops_alert(
            subject=f"Stripe webhooks are failing ({failures} in the last hour)",
            body_key=f"webhook-failures:{now:%Y-%m-%dT%H}",
            text=f"{failures} webhook deliveries failed in the hour before {now:%H:%M} UTC. "
                 "Stripe will retry them; the sweeper reconciles payments meanwhile.",
        )
        db.session.commit()


def _purge_expired_sessions(now: datetime, report: SweepReport) -> None:
    try:
        report.sessions_purged = purge_expired(now)
    except Exception as err:  # noqa: BLE001 - the payment work above is done; try again next run
        db.session.rollback()
        current_app.logger.exception("sweeper could not purge expired sessions")
        report.errors.append(f"sessions: {err}")
