"""The Stripe client: built once and shared, every call bounded by STRIPE_TIMEOUT_SECONDS,
no network retries while a traveller waits. Against a small local HTTP server that is
slow or failing on purpose (localstripe is neither)."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from checkout.payments import gateway

SLOW_SECONDS = 1.5


class FakeStripe(BaseHTTPRequestHandler):
    """GET a PaymentIntent: answers after SLOW_SECONDS. POST: a 500 Stripe says to retry."""
    requests: list[str] = []

    def do_GET(self):  # noqa: N802 - http.server's naming
        type(self).requests.append(self.path)
        time.sleep(SLOW_SECONDS)
        body = json.dumps({"id": "pi_slow", "object": "payment_intent", "status": "requires_payment_method",
                           "amount": 1000, "currency": "usd", "client_secret": "pi_slow_secret_x",
                           "metadata": {"booking_reference": "FLY2A-SLOWPI"}}).encode()
        self._answer(200, body)

    def do_POST(self):  # noqa: N802
        type(self).requests.append(self.path)
        self._answer(500, json.dumps({"error": {"type": "api_error", "message": "try again"}}).encode(),
                     {"Stripe-Should-Retry": "true"})

    def _answer(self, status, body, headers=None):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_stripe(app, monkeypatch):
    FakeStripe.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeStripe)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", f"http://127.0.0.1:{server.server_address[1]}")
    yield FakeStripe
    server.shutdown()
    server.server_close()


def test_one_client_is_shared_by_every_call_and_thread(app_ctx, app):
    first = gateway.client()
    assert gateway.client() is first
    seen = []

    def other_thread():
        with app.app_context():
            seen.append(gateway.client())

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    assert seen == [first]


def test_a_stripe_call_gives_up_after_the_configured_timeout(app_ctx, app, fake_stripe, monkeypatch):
    monkeypatch.setitem(app.config, "STRIPE_TIMEOUT_SECONDS", SLOW_SECONDS / 5)
    with pytest.raises(gateway.GatewayUnavailable) as unreachable:
        gateway.retrieve_payment_intent("pi_slow")
    assert "not charged" in unreachable.value.message
    monkeypatch.setitem(app.config, "STRIPE_TIMEOUT_SECONDS", SLOW_SECONDS * 4)
    assert gateway.retrieve_payment_intent("pi_slow").client_secret == "pi_slow_secret_x"


def test_no_network_retries_while_a_traveller_waits_some_in_the_background(app_ctx, app, fake_stripe, monkeypatch):
    monkeypatch.setitem(app.config, "STRIPE_MAX_NETWORK_RETRIES", "2")

    def create():
        with pytest.raises(gateway.GatewayUnavailable):
            gateway.create_payment_intent(amount=1000, currency="USD", reference="FLY2A-RETRYX", attempt_number=1,
                                          idempotency_key="FLY2A-RETRYX-attempt-1-create")

    with app.test_request_context("/booking/FLY2A-RETRYX"):
        create()
    assert len(fake_stripe.requests) == 1
    fake_stripe.requests.clear()
    create()  # the sweeper's way: no request, so Stripe's "try again" is followed twice
    assert len(fake_stripe.requests) == 3
