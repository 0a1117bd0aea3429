"""The traveller's payment pages: the form, the return URL, processing, and bad moments."""
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from checkout.clock import utcnow
from checkout.extensions import db
from checkout.models import AttemptStatus, Booking, OutboxEmail, PaymentAttempt, WebhookEvent
from checkout.payments import sweeper
from tests.payments_support import pay_at_stripe


def _attempt(app, reference):
    with app.app_context():
        booking = db.session.execute(select(Booking).where(Booking.reference == reference)).scalar_one()
        return booking.payment_attempts[-1].payment_intent_id


def test_pending_booking_page_has_the_payment_form_with_the_total(checkout, app):
    reference = checkout.to_pending()
    html = checkout.get(f"/booking/{reference}").get_data(as_text=True)
    assert 'id="payment-form"' in html and 'data-client-secret="pi_' in html
    assert '<script src="/offline/stripe/v3.js"></script>' in html
    with app.app_context():
        total = db.session.execute(select(Booking.total_amount)).scalar()
    assert f">Pay ${total // 100:,}.{total % 100:02d}</button>" in html
    # Reloading the page reuses the same attempt and PaymentIntent.
    checkout.get(f"/booking/{reference}")
    with app.app_context():
        assert db.session.query(PaymentAttempt).count() == 1


def test_return_url_confirms_and_shows_the_confirmation(checkout, app):
    reference = checkout.to_pending()
    checkout.get(f"/booking/{reference}")
    pi = _attempt(app, reference)
    with app.app_context():
        pay_at_stripe(pi, "4242424242424242")
    response = checkout.get(f"/payment/return?payment_intent={pi}&redirect_status=succeeded")
    assert response.status_code == 303 and response.location == f"/booking/{reference}"
    html = checkout.get(f"/booking/{reference}").get_data(as_text=True)
    assert "Confirmed" in html and "Visa ending in 4242" in html and "Download e-ticket" in html
    pdf = checkout.get(f"/booking/{reference}/e-ticket.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and pdf.mimetype == "application/pdf"


def test_paid_but_unrecordable_tells_the_traveller_the_payment_was_received(checkout, app, monkeypatch):
    reference = checkout.to_pending()
    checkout.get(f"/booking/{reference}")
    pi = _attempt(app, reference)
    with app.app_context():
        pay_at_stripe(pi, "4242424242424242")
    from checkout.payments import routes

    def database_down(*args, **kwargs):
        raise OperationalError("SELECT", {}, Exception("the database is restarting"))

    monkeypatch.setattr(routes, "reconcile", database_down)
    response = checkout.get(f"/payment/return?payment_intent={pi}&redirect_status=succeeded")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Payment received" in html and "please don&#39;t pay again" in html.lower().replace("'", "&#39;")
    monkeypatch.undo()
    # The sweeper (or the webhook's retry) completes it later.
    with app.app_context():
        sweeper.sweep(now=utcnow() + timedelta(minutes=11))
        assert db.session.execute(select(Booking.status)).scalar() == "CONFIRMED"


def test_processing_payment_polls_every_two_seconds_then_stops(checkout, app):
    reference = checkout.to_pending()
    checkout.get(f"/booking/{reference}")
    with app.app_context():
        attempt = db.session.execute(select(PaymentAttempt)).scalar_one()
        attempt.status = AttemptStatus.PROCESSING
        db.session.commit()
    html = checkout.get(f"/booking/{reference}").get_data(as_text=True)
    assert 'hx-trigger="every 2s"' in html and "Processing your payment" in html and 'id="payment-form"' not in html
    fragment = checkout.get(f"/booking/{reference}/status?n=5", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and "n=6" in fragment
    last = checkout.get(f"/booking/{reference}/status?n=29", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "every 2s" not in last and "We will email" in last


def test_status_poll_moves_on_when_the_payment_settles(checkout, app):
    reference = checkout.to_pending()
    checkout.get(f"/booking/{reference}")
    pi = _attempt(app, reference)
    with app.app_context():
        pay_at_stripe(pi, "4242424242424242")
    response = checkout.get(f"/booking/{reference}/status", headers={"HX-Request": "true"})
    assert response.headers["HX-Redirect"] == f"/booking/{reference}"


def test_the_sweeper_alerts_operators_when_webhooks_keep_failing(app_ctx):
    now = utcnow()
    for n in range(5):
        db.session.add(WebhookEvent(stripe_event_id=f"evt_bad_{n}", event_type="payment_intent.succeeded",
                                    status="failed", received_at=now, deliveries=1))
    db.session.commit()
    sweeper.sweep(now=now)
    sweeper.sweep(now=now)  # one alert per hour, not one per sweep
    alerts = db.session.execute(select(OutboxEmail).where(OutboxEmail.kind == "ops_alert")).scalars().all()
    assert len(alerts) == 1 and "webhooks are failing (5" in alerts[0].subject.lower()
    assert alerts[0].to_address == app_ctx_ops()


def app_ctx_ops():
    from flask import current_app
    return current_app.config["OPS_EMAIL"]


def test_an_expired_booking_page_says_nothing_was_charged(checkout, app):
    reference = checkout.to_pending()
    with app.app_context():
        booking = db.session.execute(select(Booking)).scalar_one()
        sweeper.sweep(now=booking.hold_expires_at + timedelta(seconds=1))
    html = checkout.get(f"/booking/{reference}").get_data(as_text=True)
    assert "Expired" in html and "nothing was charged" in html and 'id="payment-form"' not in html


def test_the_stripe_js_stand_in_is_never_served_against_real_stripe(app, database_url):  # app: a migrated database
    from checkout import create_app
    from tests.conftest import RATE_LIMITS
    online = create_app("test", {"SQLALCHEMY_DATABASE_URI": database_url, "STRIPE_API_BASE": "", **RATE_LIMITS})
    client = online.test_client()
    assert client.get("/offline/stripe/v3.js").status_code == 404
    assert client.post("/offline/stripe/attach", json={}).status_code in (400, 404)
    with online.app_context():
        from checkout.extensions import db as online_db
        online_db.engine.dispose()


def test_the_stand_in_is_served_offline_with_its_config(client, app):
    source = client.get("/offline/stripe/v3.js").get_data(as_text=True)
    assert f'var CONFIG = {{"api": "{app.config["STRIPE_API_BASE"]}", "attach": "/offline/stripe/attach"}};' in source
