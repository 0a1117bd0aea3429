"""localstripe stopped, or frozen (SIGSTOP: connections accepted, never answered), while a
traveller opens the payment page, asks for a PaymentIntent or confirms a payment.

They get "We couldn't reach our payment provider…" (the page, a 503) or a JSON 503 with
it, and nothing is recorded as paid; once Stripe answers again the same booking can be paid.
With many payment pages waiting on a frozen Stripe, the rest of the site still answers.
"""
from __future__ import annotations

import time
from datetime import timedelta

from checkout import web_session
from checkout.payments.gateway import BUSY_MESSAGE, UNREACHABLE_MESSAGE
from tests.conftest import Checkout
from tests.faults.conftest import STRIPE_TIMEOUT_SECONDS
from tests.faults.site import (
    DEADLINES, PAGE_MARGIN_SECONDS, Browser, answered, assert_answer, home_and_search_answer, loading,
)
from tests.payments_support import pending_booking

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


# Before the tests that restart localstripe (on another port, which restarts gunicorn too).

def _paying_travellers(app, site, count: int) -> list[tuple[Browser, str]]:
    """`count` travellers, each in their own browser, on their pending booking's payment page."""
    travellers = []
    with app.app_context():
        for _ in range(count):
            booking = pending_booking()
            browser = Browser(site)
            browser.cookies.set(app.config["SESSION_COOKIE_NAME"],
                                web_session.open_for({"booking_ids": [booking.id]}, timedelta(minutes=30)))
            travellers.append((browser, booking.reference))
    return travellers


def test_stripe_frozen_while_ten_payment_pages_load_home_and_search_answer_and_every_booking_stays_payable(
        app, site, stripe_server):
    """Ten payment pages load at once while localstripe is frozen. At most
    STRIPE_CONCURRENT_CALLS threads per worker wait on Stripe (until STRIPE_TIMEOUT_SECONDS);
    the other pages are told at once that payments are slow. Home and search answer within a
    second meanwhile, and once Stripe answers every booking can be paid."""
    travellers = _paying_travellers(app, site, 10)
    slots = 2 * int(DEADLINES["STRIPE_CONCURRENT_CALLS"])  # the Procfile's 2 workers
    stripe_server.freeze(thaw_after=15)
    try:
        references = {id(browser): reference for browser, reference in travellers}
        pages = loading([browser for browser, _ in travellers], lambda browser: f"/booking/{references[id(browser)]}")
        # The pages beyond the slots are refused at once; the rest wait on Stripe, holding
        # their threads, while home and search are asked for.
        still_waiting = answered(pages, len(pages) - slots, within=3)
        home_and_search_answer(site)
        assert all(not page.done() for page in still_waiting)  # measured while Stripe calls were stuck
        answers = [future.result(timeout=30) for future in pages]
    finally:
        stripe_server.thaw()
    within = float(DEADLINES["STRIPE_TIMEOUT_SECONDS"]) + PAGE_MARGIN_SECONDS
    busy = [a for a in answers if BUSY_MESSAGE in a.get_data(as_text=True)]
    waited = [a for a in answers if a not in busy]
    for answer in busy:  # refused at once: no slot, Stripe not asked, nothing claimed
        assert_answer(answer, 503, BUSY_MESSAGE, within=3)
    for answer in waited:
        assert_answer(answer, 503, UNREACHABLE_MESSAGE, within=within)
    assert len(waited) <= slots and len(busy) >= len(answers) - slots
    for answer in answers:
        assert 'id="payment-form"' not in answer.get_data(as_text=True)

    for browser, reference in travellers:  # nothing was lost: each booking is still there to pay
        page = browser.get(f"/booking/{reference}")
        assert page.status_code == 200 and 'id="payment-form"' in page.get_data(as_text=True), reference


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

