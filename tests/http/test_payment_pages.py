"""The traveller's payment pages: the form, the return URL, processing, and bad moments."""
import re
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from checkout.bookings import seat_holds
from checkout.clock import utcnow
from checkout.extensions import db
from checkout.models import AttemptStatus, Booking, OutboxEmail, PaymentAttempt, WebhookEvent
from checkout.payments import gateway, sweeper
from tests.conftest import ACKS
from tests.payments_support import card_token, pay_at_stripe

INSUFFICIENT_FUNDS = "4000000000009995"


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


def _client_secret(checkout, reference) -> str:
    """What the payment page hands Stripe.js, and Stripe puts in the return URL."""
    html = checkout.get(f"/booking/{reference}").get_data(as_text=True)
    return re.search(r'data-client-secret="([^"]+)"', html).group(1)


def _pay_elsewhere(checkout, app, card: str) -> tuple[str, str, str]:
    """A booking made in `checkout`'s browser, paid at Stripe: (reference, PaymentIntent id, client secret)."""
    reference = checkout.to_pending()
    secret = _client_secret(checkout, reference)
    pi = _attempt(app, reference)
    with app.app_context():
        try:
            pay_at_stripe(pi, card)
        except gateway.CardDeclined:
            pass  # Stripe keeps the decline on the PaymentIntent
    return reference, pi, secret


def _nothing_about_the_booking(html: str, app, reference: str) -> None:
    with app.app_context():
        booking = db.session.execute(select(Booking).where(Booking.reference == reference)).scalar_one()
        private = [booking.contact_email, booking.contact_phone, booking.flight.flight_number,
                   booking.flight.origin_code, booking.flight.destination_code]
        private += [p.first_name for p in booking.passengers] + [p.last_name for p in booking.passengers]
    assert [word for word in private if word in html] == []


def test_a_paid_traveller_returning_in_another_browser_sees_the_outcome_but_not_the_booking(checkout, app):
    reference, pi, secret = _pay_elsewhere(checkout, app, "4242424242424242")
    bank_app = app.test_client()  # no cookies: not the browser that booked
    response = bank_app.get(f"/payment/return?payment_intent={pi}&payment_intent_client_secret={secret}"
                            "&redirect_status=succeeded")
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:300]
    assert "Payment received" in html and "Confirmed." in html and reference in html and "email" in html
    assert f'href="/manage?reference={reference}"' in html
    _nothing_about_the_booking(html, app, reference)
    assert response.headers["Cache-Control"] == "no-store" and response.headers["Referrer-Policy"] == "no-referrer"
    with app.app_context():  # reconciled on the spot, as in the browser that booked
        assert db.session.execute(select(Booking.status).where(Booking.reference == reference)).scalar() == "CONFIRMED"
    # The booking page itself stays with the browser that made it.
    assert bank_app.get(f"/booking/{reference}").status_code == 404
    assert checkout.get(f"/payment/return?payment_intent={pi}&payment_intent_client_secret={secret}"
                        "&redirect_status=succeeded").location == f"/booking/{reference}"


def test_a_declined_payment_in_another_browser_says_what_to_do(checkout, app):
    reference, pi, secret = _pay_elsewhere(checkout, app, "4000000000000002")
    response = app.test_client().get(f"/payment/return?payment_intent={pi}&payment_intent_client_secret={secret}"
                                     "&redirect_status=failed")
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:300]
    assert "did not go through" in html and "You have not been charged" in html and "Confirmed" not in html
    assert "go back to the browser you booked in" in html and reference in html
    assert f'href="/manage?reference={reference}"' in html
    _nothing_about_the_booking(html, app, reference)


def test_a_payment_intent_id_without_its_client_secret_reveals_nothing(checkout, app):
    reference, pi, secret = _pay_elsewhere(checkout, app, "4242424242424242")
    stranger = app.test_client()
    unknown = stranger.get("/payment/return?payment_intent=pi_unknown&redirect_status=succeeded")
    assert unknown.status_code == 404
    for query in (f"payment_intent={pi}&redirect_status=succeeded",
                  f"payment_intent={pi}&payment_intent_client_secret={pi}_secret_{'x' * 24}&redirect_status=succeeded",
                  f"payment_intent={pi}&payment_intent_client_secret={secret[:-1]}&redirect_status=succeeded",
                  f"payment_intent={pi}&payment_intent_client_secret={secret}x&redirect_status=succeeded"):
        response = stranger.get(f"/payment/return?{query}")
        html = response.get_data(as_text=True)
        assert response.status_code == 404 and response.location is None, query
        assert reference not in html and "We couldn&#39;t find that payment" in html, query


def test_paid_but_unrecordable_tells_the_traveller_the_payment_was_received(checkout, app, monkeypatch):
    reference = checkout.to_pending()
    secret = _client_secret(checkout, reference)
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
    assert f'href="/booking/{reference}"' in html
    # In another browser: the same reassurance, and manage-my-booking instead of a page it cannot open.
    elsewhere = app.test_client().get(f"/payment/return?payment_intent={pi}&payment_intent_client_secret={secret}"
                                      "&redirect_status=succeeded").get_data(as_text=True)
    assert "Payment received" in elsewhere and reference in elsewhere
    assert f'href="/manage?reference={reference}"' in elsewhere and f'href="/booking/{reference}"' not in elsewhere
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
    assert 'data-hx-trigger="every 2s"' in html and "Processing your payment" in html and 'id="payment-form"' not in html
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
    # Neither half exists online: both answer the site's page for an unknown address. (Were the
    # attach route there, this bodiless POST would meet the CSRF check and a 400 instead.)
    for response in (client.get("/offline/stripe/v3.js"), client.post("/offline/stripe/attach", json={})):
        assert response.status_code == 404 and response.mimetype == "text/html"
        assert "We can&#39;t find that page" in response.get_data(as_text=True)
    with online.app_context():
        from checkout.extensions import db as online_db
        online_db.engine.dispose()


def test_the_stand_in_is_served_offline_with_its_config(client, app):
    source = client.get("/offline/stripe/v3.js").get_data(as_text=True)
    assert f'var CONFIG = {{"api": "{app.config["STRIPE_API_BASE"]}", "attach": "/offline/stripe/attach"}};' in source


def _free_seat(customize_html: str) -> str:
    """A seat the seat map offers as free right now (the demo seed sells seats by date)."""
    return re.search(r'<label id="seat-\w+" class="seat free [^"]*"[^>]*>\s*<input type="radio" name="seat" value="(\w+)"',
                     customize_html).group(1)


def test_insufficient_funds_then_change_fare_or_extras_reopens_step_one_without_javascript(checkout, app):
    """The "Change fare or extras" button is a plain form: the unpaid booking is cancelled and a
    new draft with the same fare, bags, passengers and seat opens at step 1."""
    checkout.select_first(origin="JFK", destination="LHR")
    seat = _free_seat(checkout.get("/customize").get_data(as_text=True))
    response = checkout.post("/customize", {"action": "update", "fare_family": "STANDARD", "extras_shown": "1",
                                            "bags-0": "2", "seat_passenger": "0", "seat": seat})
    assert response.status_code == 303
    checkout.get("/passengers")
    assert checkout.post("/passengers", checkout.passengers_form([("Ada", "Lovelace", "1985-12-10")])).status_code == 303
    checkout.get("/review")
    response = checkout.post("/review", {f"ack_{k}": "y" for k in ACKS})
    reference = response.location.rsplit("/", 1)[-1]

    # The card is declined for insufficient funds (what the Stripe.js stand-in does, by hand).
    html = checkout.get(f"/booking/{reference}").get_data(as_text=True)
    pi = re.search(r'data-payment-intent="(pi_[^"]+)"', html).group(1)
    secret = re.search(r'data-client-secret="([^"]+)"', html).group(1)
    with app.app_context():
        token = card_token(INSUFFICIENT_FUNDS)
    declined = checkout.client.post("/offline/stripe/attach", json={"paymentIntentId": pi, "token": token,
                                                                     "clientSecret": secret},
                                    headers={"X-CSRFToken": checkout.csrf})
    assert declined.get_json()["error"]["decline_code"] == "insufficient_funds"

    html = checkout.get(f"/booking/{reference}").get_data(as_text=True)
    assert "insufficient funds" in html
    assert re.search(rf'<form method="post" action="/booking/{reference}/change"', html)
    assert ">Change fare or extras (back to step 1)</button>" in html
    response = checkout.post(f"/booking/{reference}/change")
    assert response.status_code == 303 and response.location == "/customize"

    html = checkout.get("/customize").get_data(as_text=True)
    assert "<h1>Customise your trip</h1>" in html
    assert 'name="fare_family" value="STANDARD" checked' in html
    bags = re.search(r'<select name="bags-0" id="bags-0">(.*?)</select>', html, re.S).group(1)
    assert '<option value="2" selected>' in bags
    assert re.search(rf'<input type="radio" name="seat" value="{seat}" [^>]* checked', html)
    passengers = checkout.get("/passengers").get_data(as_text=True)
    assert 'value="Ada"' in passengers and 'value="Lovelace"' in passengers and 'value="ada@example.com"' in passengers

    with app.app_context():
        old = db.session.execute(select(Booking).where(Booking.reference == reference)).scalar_one()
        draft = db.session.execute(select(Booking).where(Booking.status == "DRAFT")).scalar_one()
        assert old.status == "CANCELLED"
        # The failed attempt, and the fresh one the reloaded page opened, cancelled at Stripe.
        assert [(a.status, a.failure_code) for a in old.payment_attempts] == [
            ("failed", "insufficient_funds"), ("canceled", None)]
        assert (draft.flight_id, draft.fare_family_code, draft.contact_email) == (
            old.flight_id, "STANDARD", "ada@example.com")
        assert [(p.first_name, p.last_name, p.checked_bags, p.seat_code) for p in draft.passengers] == [
            ("Ada", "Lovelace", 2, seat)]
        # The seat is still held, now for the new draft.
        assert [(h.seat_code, h.booking_id) for h in draft.seat_holds] == [(seat, draft.id)]
        assert seat in seat_holds.unavailable_seats(draft.flight_id, None, utcnow())


def _payment_page(checkout, reference) -> tuple[str, str]:
    html = checkout.get(f"/booking/{reference}").get_data(as_text=True)
    return (re.search(r'data-payment-intent="(pi_[^"]+)"', html).group(1),
            re.search(r'data-client-secret="([^"]+)"', html).group(1))


def test_attach_with_a_json_array_is_a_400_json_error(checkout, app):
    reference = checkout.to_pending()
    pi, secret = _payment_page(checkout, reference)
    response = checkout.client.post("/offline/stripe/attach", json=[{"paymentIntentId": pi, "clientSecret": secret}],
                                    headers={"X-CSRFToken": checkout.csrf})
    assert response.status_code == 400  # was a 500: `.get` on a list
    assert response.get_json()["error"]["code"] == "invalid_body"


def test_attach_while_stripe_is_frozen_is_a_clear_503_within_its_timeout(checkout, app, monkeypatch):
    import socket
    import time
    reference = checkout.to_pending()
    pi, secret = _payment_page(checkout, reference)
    with app.app_context():
        token = card_token("4242424242424242")
    with socket.socket() as frozen:  # accepts connections (the kernel's backlog), never answers: a SIGSTOPped Stripe
        frozen.bind(("127.0.0.1", 0))
        frozen.listen(8)
        monkeypatch.setitem(app.config, "STRIPE_API_BASE", f"http://127.0.0.1:{frozen.getsockname()[1]}")
        monkeypatch.setitem(app.config, "STRIPE_TIMEOUT_SECONDS", 0.5)
        started = time.monotonic()
        response = checkout.client.post("/offline/stripe/attach", headers={"X-CSRFToken": checkout.csrf},
                                        json={"paymentIntentId": pi, "token": token, "clientSecret": secret})
        waited = time.monotonic() - started
    body = response.get_json()
    assert response.status_code == 503, body  # was a 500 once the client secret's look-up timed out
    assert response.headers["Retry-After"] == "30"
    assert body["error"] == {"type": "api_error", "code": "gateway_unavailable", "message": gateway.UNREACHABLE_MESSAGE}
    assert waited < 0.5 * 4, waited  # one timed-out call, then the answer; not a wait per remaining call
    with app.app_context():
        booking = db.session.execute(select(Booking).where(Booking.reference == reference)).scalar_one()
        assert booking.status == "PENDING_PAYMENT"  # nothing lost: the traveller can pay once Stripe is back


def test_the_return_url_is_on_the_public_base_url_whatever_the_host_header(checkout, app, monkeypatch):
    """Stripe sends the traveller, with the PaymentIntent's client secret, to this URL: it was
    built from the Host header, so `Host: evil.example` sent them there."""
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://checkout.fly2any.test")
    reference = checkout.to_pending()
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = f"{name}={checkout.client.get_cookie(name).value}"  # this browser's, sent to whichever host
    for headers in ({}, {"Host": "evil.example"}, {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}):
        browser = app.test_client(use_cookies=False)  # the Cookie header as given, for any host
        html = browser.get(f"/booking/{reference}", headers={"Cookie": cookie, **headers}).get_data(as_text=True)
        assert 'id="payment-form"' in html, (headers, re.findall(r'<h1>.*?</h1>', html))
        assert 'data-return-url="https://checkout.fly2any.test/payment/return"' in html, headers
        assert "evil.example" not in html


def test_from_the_payment_page_a_misspelt_name_is_corrected_and_no_old_payment_stays_payable(checkout, app):
    """Issue 19: edit before paying. The payment page offers "Correct passenger details"; the
    booking's PaymentIntent is cancelled at Stripe, the old reference is cancelled, and the
    corrected booking gets its own reference with the same trip and price."""
    reference = checkout.to_pending(people=(("Adaa", "Lovelace", "1985-12-10"),))
    html = checkout.get(f"/booking/{reference}").get_data(as_text=True)
    old_intent = re.search(r'data-payment-intent="(pi_[^"]+)"', html).group(1)
    assert '<button type="submit" name="step" value="passengers">Correct passenger details</button>' in html

    response = checkout.post(f"/booking/{reference}/change", {"step": "passengers"})
    assert response.status_code == 303 and response.location == "/passengers"
    page = checkout.get("/passengers").get_data(as_text=True)
    assert 'value="Adaa"' in page  # what was typed, to correct
    assert checkout.post("/passengers", checkout.passengers_form([("Ada", "Lovelace", "1985-12-10")])).status_code == 303
    checkout.get("/review")
    new_reference = checkout.post("/review", {"accept_all": "y"}).location.rsplit("/", 1)[-1]
    assert new_reference != reference

    with app.app_context():
        old = db.session.execute(select(Booking).where(Booking.reference == reference)).scalar_one()
        new = db.session.execute(select(Booking).where(Booking.reference == new_reference)).scalar_one()
        assert old.status == "CANCELLED" and new.status == "PENDING_PAYMENT"
        assert [p.first_name for p in new.passengers] == ["Ada"] and new.total_amount == old.total_amount
        assert gateway.retrieve_payment_intent(old_intent).status == "canceled"  # cannot take money any more
    assert "Cancelled" in checkout.get(f"/booking/{reference}").get_data(as_text=True)
