"""Disputes: Stripe's signed charge.dispute.* events become one dispute row per dispute, on the
booking whose charge it is, one email to operations, and figures support can see, whatever the
order and number of deliveries."""
from __future__ import annotations

import re
import threading
import time
from datetime import datetime, timezone

from sqlalchemy import func, select

from checkout.clock import utcnow
from checkout.extensions import db
from checkout.models import Booking, OutboxEmail, WebhookEvent
from checkout.payments import gateway
from checkout.staff import metrics
from tests.dispute_support import charge_of, dispute_event, dispute_object
from tests.payments_support import pay_at_stripe, post_event
from tests.staff_support import StaffClient, make_staff, paid_booking


def _disputes():
    from checkout.models import Dispute
    return db.session.execute(select(Dispute).order_by(Dispute.id)).scalars().all()


def _ops_alerts() -> list[OutboxEmail]:
    return db.session.execute(select(OutboxEmail).where(OutboxEmail.kind == "ops_alert")
                              .order_by(OutboxEmail.id)).scalars().all()


def _disputed_booking(dispute_id: str = "dp_test_1"):
    """A paid booking and the dispute object of its charge (not yet sent)."""
    booking = paid_booking()
    payment_intent_id = booking.paid_attempt.payment_intent_id
    return booking, payment_intent_id, dispute_object(charge_of(payment_intent_id), booking.total_amount,
                                                      dispute_id=dispute_id)


def _moment(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc)


def test_a_dispute_is_recorded_on_its_booking_and_operations_hear_once(app_ctx, client):
    booking, payment_intent_id, dispute = _disputed_booking()
    opened = dispute_event("charge.dispute.created", dispute, event_id="evt_dispute_opened")
    for _ in range(3):  # Stripe delivering the same event again
        assert post_event(client, opened).status_code == 200
    # The same news under another event id (a dashboard resend) changes nothing either.
    assert post_event(client, dispute_event("charge.dispute.created", dispute)).status_code == 200
    db.session.expire_all()

    [row] = _disputes()
    assert (row.booking_id, row.stripe_dispute_id, row.payment_intent_id, row.charge_id) == \
           (booking.id, "dp_test_1", payment_intent_id, dispute["charge"])
    assert (row.amount, row.currency, row.reason, row.status, row.closed_at, row.outcome) == \
           (booking.total_amount, "USD", "fraudulent", "needs_response", None, None)
    assert row.created_at == _moment(dispute["created"])
    assert row.evidence_due_by == _moment(dispute["evidence_details"]["due_by"])
    [alert] = _ops_alerts()
    assert alert.booking_id == booking.id and alert.dedupe_key == "dispute:dp_test_1"
    assert booking.reference in alert.subject and "disputed" in alert.subject
    assert "fraudulent" in alert.body and "Respond in Stripe by" in alert.body
    # The events are listed with the booking's payments (their object named no PaymentIntent).
    linked = db.session.execute(select(WebhookEvent.payment_intent_id, WebhookEvent.status)
                                .where(WebhookEvent.event_type == "charge.dispute.created")).all()
    assert set(linked) == {(payment_intent_id, "processed")}
    assert db.session.get(Booking, booking.id).status == "CONFIRMED"  # the money is disputed, the trip stands


def test_closed_before_created_ends_closed_with_its_outcome(app_ctx, client):
    booking, _, dispute = _disputed_booking()
    closed_at = int(time.time())
    assert post_event(client, dispute_event("charge.dispute.closed", dict(dispute, status="lost"),
                                            created=closed_at)).status_code == 200
    assert post_event(client, dispute_event("charge.dispute.created", dispute,
                                            created=dispute["created"])).status_code == 200
    assert post_event(client, dispute_event("charge.dispute.updated", dict(dispute, status="under_review"),
                                            created=closed_at - 5)).status_code == 200
    db.session.expire_all()
    [row] = _disputes()
    assert (row.booking_id, row.status, row.outcome, row.closed_at) == (booking.id, "lost", "lost", _moment(closed_at))
    assert len(_ops_alerts()) == 1


def test_an_older_update_arriving_late_does_not_undo_a_newer_one(app_ctx, client):
    _, _, dispute = _disputed_booking()
    now = int(time.time())
    assert post_event(client, dispute_event("charge.dispute.updated", dict(dispute, status="under_review"),
                                            created=now)).status_code == 200
    assert post_event(client, dispute_event("charge.dispute.created", dispute, created=now - 30)).status_code == 200
    db.session.expire_all()
    assert [(d.status, d.closed_at) for d in _disputes()] == [("under_review", None)]


def test_opened_updated_and_closed_racing_in_parallel_end_closed_once(app):
    with app.app_context():
        booking, _, dispute = _disputed_booking()
        booking_id = booking.id
    now = int(time.time())
    news = [dispute_event("charge.dispute.created", dispute, created=now - 20, event_id="evt_race_opened"),
            dispute_event("charge.dispute.updated", dict(dispute, status="under_review"), created=now - 10,
                          event_id="evt_race_updated"),
            dispute_event("charge.dispute.closed", dict(dispute, status="won"), created=now, event_id="evt_race_closed")]
    deliveries = news * 3
    barrier, answers = threading.Barrier(len(deliveries), timeout=30), []

    def deliver(evt):
        client = app.test_client()
        barrier.wait()
        answers.append(post_event(client, evt).status_code)

    threads = [threading.Thread(target=deliver, args=(evt,)) for evt in deliveries]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert answers == [200] * len(deliveries)
    with app.app_context():
        [row] = _disputes()
        assert (row.booking_id, row.status, row.outcome, row.closed_at) == (booking_id, "won", "won", _moment(now))
        assert len(_ops_alerts()) == 1


def test_a_dispute_matching_no_booking_is_acknowledged_and_operations_are_told(app_ctx, client):
    # A charge Stripe does not know, and one for a PaymentIntent that never was a booking's attempt.
    unknown_charge = dispute_object("ch_1MoS30LgUG5tbmjcjfsQqpHI", 1000, dispute_id="dp_unknown_charge")
    stranger = gateway.create_payment_intent(amount=4200, currency="USD", reference="FLY2A-ZZZZZZ", attempt_number=1,
                                             idempotency_key=f"stranger-{time.monotonic_ns()}")
    pay_at_stripe(stranger.id, "4242424242424242")
    not_ours = dispute_object(charge_of(stranger.id), 4200, reason="duplicate", dispute_id="dp_not_ours")
    for dispute in (unknown_charge, not_ours):
        response = post_event(client, dispute_event("charge.dispute.created", dispute))
        assert response.status_code == 200 and response.get_json()["status"] == "processed"
    db.session.expire_all()
    assert [(d.stripe_dispute_id, d.booking_id, d.amount) for d in _disputes()] == \
           [("dp_unknown_charge", None, 1000), ("dp_not_ours", None, 4200)]
    alerts = _ops_alerts()
    assert [a.dedupe_key for a in alerts] == ["dispute:dp_unknown_charge", "dispute:dp_not_ours"]
    assert all("cannot match to a booking" in a.subject and a.booking_id is None for a in alerts)
    assert "$42.00" in alerts[1].body and "duplicate" in alerts[1].body


def test_stripe_unreachable_answers_503_and_the_redelivery_records_it(app_ctx, client, monkeypatch):
    booking, _, dispute = _disputed_booking()
    opened = dispute_event("charge.dispute.created", dispute, event_id="evt_dispute_retry")

    def unreachable(charge_id):
        raise gateway.GatewayUnavailable(gateway.UNREACHABLE_MESSAGE, "gateway_unavailable")

    monkeypatch.setattr(gateway, "retrieve_charge", unreachable)
    assert post_event(client, opened).status_code == 503
    db.session.expire_all()
    assert _disputes() == [] and _ops_alerts() == []
    monkeypatch.undo()
    assert post_event(client, opened).status_code == 200
    db.session.expire_all()
    assert [d.booking_id for d in _disputes()] == [booking.id] and len(_ops_alerts()) == 1


def test_an_event_without_a_dispute_object_is_acknowledged_and_ignored(app_ctx, client):
    response = post_event(client, dispute_event("charge.dispute.created", {"id": "dp_broken", "object": "dispute"}))
    assert response.status_code == 200 and response.get_json()["status"] == "ignored"
    assert _disputes() == [] and _ops_alerts() == []


def _metric(html: str, metric_id: str) -> str:
    return re.search(rf'id="{metric_id}">(.*?)</div>', html, re.S).group(1)


def test_support_sees_the_dispute_on_the_booking_in_its_filter_and_on_the_dashboard(app, client):
    staff = StaffClient(client)
    staff.sign_in(make_staff(app, "agent"))
    with app.app_context():
        booking, _, dispute = _disputed_booking()
        other = paid_booking()
        reference, other_reference, total = booking.reference, other.reference, booking.total_amount
    amount = f"${total / 100:,.2f}"
    assert post_event(client, dispute_event("charge.dispute.created", dispute)).status_code == 200

    page = staff.get(f"/staff/bookings/{reference}").get_data(as_text=True)
    badge = re.search(r'<p class="notice notice-error dispute"[^>]*>(.*?)</p>', page, re.S).group(1)
    assert ">Disputed</strong>" in badge and amount in badge
    assert "reason: fraudulent" in badge and "status: needs response" in badge and "respond in Stripe by" in badge
    assert "Dispute opened by the cardholder&#39;s bank" in page and 'data-kind="dispute"' in page
    assert 'id="disputes"' in page and "dp_test_1" in page

    listing = staff.get("/staff/bookings?anomaly=disputed").get_data(as_text=True)
    assert re.findall(r">(FLY2A-[A-Z2-9]{6})</a>", listing) == [reference]
    assert '<span class="disputed">Disputed</span>' in listing
    assert 'aria-current="page">Disputed</a>' in listing
    everything = staff.get("/staff/bookings").get_data(as_text=True)
    assert other_reference in everything and everything.count('<span class="disputed">Disputed</span>') == 1

    dashboard = staff.get("/staff/dashboard?period=today").get_data(as_text=True)
    assert ">1<" in _metric(dashboard, "metric-disputes-open")
    assert ">1<" in _metric(dashboard, "metric-disputes-period")
    assert "50.0%" in _metric(dashboard, "metric-dispute-rate")  # one dispute for two payments

    assert post_event(client, dispute_event("charge.dispute.closed", dict(dispute, status="lost"))).status_code == 200
    page = staff.get(f"/staff/bookings/{reference}").get_data(as_text=True)
    assert re.search(r'class="notice notice-warning dispute"[^>]*>\s*<strong[^>]*>Disputed</strong>[^<]*closed: lost', page)
    assert "Dispute closed: lost" in page
    with app.app_context():
        figures = metrics.dashboard(utcnow(), "today").disputes
        assert (figures.open, figures.in_period, figures.rate.text) == (0, 1, "50.0%")
        assert db.session.execute(select(func.count()).select_from(OutboxEmail)
                                  .where(OutboxEmail.kind == "ops_alert")).scalar() == 1
