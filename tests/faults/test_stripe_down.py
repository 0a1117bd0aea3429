"""localstripe stopped, or frozen (SIGSTOP: connections accepted, never answered), while a
traveller opens the payment page, asks for a PaymentIntent or confirms a payment.

They get "We couldn't reach our payment provider…" (the page) or a JSON 503 with it, and
nothing is recorded as paid; once Stripe answers again the same booking can be paid.
"""
from __future__ import annotations

from checkout.payments.gateway import UNREACHABLE_MESSAGE
from tests.conftest import Checkout
from tests.faults.conftest import STRIPE_TIMEOUT_SECONDS

EMAIL = "ada@example.com"
# What the page says, as the browser shows it (Jinja escapes the apostrophe).
UNREACHABLE_IN_PAGE = UNREACHABLE_MESSAGE.replace("'", "&#39;")

# A frozen Stripe is only survivable because every Stripe call has a timeout
# (STRIPE_TIMEOUT_SECONDS); the watchdog thaws localstripe long after it.
THAW_AFTER = STRIPE_TIMEOUT_SECONDS * 4


def _create_intent(client, reference):
    return client.post("/api/payments/create-intent", json={"bookingReference": reference, "email": EMAIL})


def _confirm(client, reference, payment_intent_id):
    return client.post("/api/payments/confirm", json={"bookingReference": reference,
                                                      "paymentIntentId": payment_intent_id, "email": EMAIL})


def _assert_unreachable_json(response):
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.get_json()["error"]["message"] == UNREACHABLE_MESSAGE


def _assert_unreachable_page(response):
    assert response.status_code == 503  # the booking and why it cannot be paid yet; worth a retry
    assert response.headers["Retry-After"] == "30"
    html = response.get_data(as_text=True)
    assert UNREACHABLE_IN_PAGE in html
    assert 'id="payment-form"' not in html  # no card form without a PaymentIntent


def _pending(client) -> str:
    return Checkout(client).to_pending()


def test_stripe_stopped_the_traveller_is_told_and_can_pay_once_it_is_back(app, client, stripe_server):
    reference = _pending(client)
    stripe_server.stop()

    _assert_unreachable_page(client.get(f"/booking/{reference}"))
    _assert_unreachable_json(_create_intent(client, reference))

    app.config["STRIPE_API_BASE"] = stripe_server.restart()
    page = client.get(f"/booking/{reference}")
    assert 'id="payment-form"' in page.get_data(as_text=True)
    created = _create_intent(client, reference)
    assert created.status_code == 200
    payment_intent_id = created.get_json()["paymentIntentId"]

    stripe_server.stop()
    _assert_unreachable_json(_confirm(client, reference, payment_intent_id))

    app.config["STRIPE_API_BASE"] = stripe_server.restart()
    # A fresh localstripe knows no earlier PaymentIntent (it keeps nothing on disk), so the
    # page starts a new attempt: the booking is still payable.
    page = client.get(f"/booking/{reference}")
    assert page.status_code == 200


def _while_frozen(stripe_server, call):
    """`call()` with localstripe suspended (thawed by a watchdog if the call outlives it)."""
    stripe_server.freeze(thaw_after=THAW_AFTER)
    try:
        return call()
    finally:
        stripe_server.thaw()


def test_stripe_frozen_the_payment_page_says_so_within_the_timeout(app, client, stripe_server):
    reference = _pending(client)
    _assert_unreachable_page(_while_frozen(stripe_server, lambda: client.get(f"/booking/{reference}")))
    _assert_unreachable_json(_while_frozen(stripe_server, lambda: _create_intent(client, reference)))
    page = client.get(f"/booking/{reference}")
    assert 'id="payment-form"' in page.get_data(as_text=True)


def test_stripe_frozen_confirm_answers_503_within_the_timeout(app, client, stripe_server):
    reference = _pending(client)
    created = _create_intent(client, reference)
    assert created.status_code == 200
    payment_intent_id = created.get_json()["paymentIntentId"]
    _assert_unreachable_json(_while_frozen(stripe_server, lambda: _confirm(client, reference, payment_intent_id)))
    confirmed = _confirm(client, reference, payment_intent_id)
    assert (confirmed.status_code, confirmed.get_json()["status"]) == (200, "PENDING_PAYMENT")
