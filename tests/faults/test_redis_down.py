"""Redis (the rate limits' storage, the sessions) stopped or frozen: limited endpoints fail
closed with a clear 503, and so do pages that need the session; home and search answer.

A limit that cannot be counted is not enforced, so paying and looking up a booking are
refused with "try again in a minute" (JSON for the API, a page for the browser), never a
500 and never let through unlimited. Everything else keeps working.
"""
from __future__ import annotations

from checkout.errors import LIMITS_UNAVAILABLE, SESSION_UNAVAILABLE
from checkout.payments import routes as payment_routes
from tests.conftest import Checkout
from tests.faults.site import DEADLINES, PAGE_MARGIN_SECONDS, Browser, assert_answer, home_and_search_answer

EMAIL = "ada@example.com"


def _create_intent(client, reference):
    return client.post("/api/payments/create-intent", json={"bookingReference": reference, "email": EMAIL})


def _assert_unavailable_json(response):
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.get_json()["error"] == {"code": "temporarily_unavailable", "message": LIMITS_UNAVAILABLE}
    assert response.headers["Retry-After"] == "30"


def test_redis_down_payment_creation_and_lookup_answer_503_then_work_again(client, redis_server):
    checkout = Checkout(client)
    reference = checkout.to_pending()
    lookup_page = checkout.get("/manage")

    redis_server.stop()
    _assert_unavailable_json(_create_intent(client, reference))
    confirm = client.post("/api/payments/confirm", json={"bookingReference": reference, "paymentIntentId": "pi_x",
                                                         "email": EMAIL})
    _assert_unavailable_json(confirm)
    lookup = checkout.post("/manage", {"reference": reference, "secret": "Lovelace"})
    assert lookup.status_code == 503
    assert LIMITS_UNAVAILABLE in lookup.get_data(as_text=True)
    assert lookup_page.status_code == 200 and client.get("/").status_code == 200  # unlimited pages still work

    redis_server.start()
    created = _create_intent(client, reference)
    assert created.status_code == 200, created.get_data(as_text=True)
    assert created.get_json()["clientSecret"]


def test_redis_lost_while_the_payment_is_being_created_answers_503_not_500(app, client, redis_server, monkeypatch):
    """The limit was counted, then Redis went before the limiter could add its headers."""
    # An error after the view (in after_request) reaches the error pages as in production,
    # instead of being raised into the test as TESTING does.
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    reference = Checkout(client).to_pending()
    real_start = payment_routes.start_payment

    def redis_goes_first(booking_id):
        redis_server.stop()
        return real_start(booking_id)

    monkeypatch.setattr(payment_routes, "start_payment", redis_goes_first)
    _assert_unavailable_json(_create_intent(client, reference))
    monkeypatch.setattr(payment_routes, "start_payment", real_start)
    redis_server.start()
    again = _create_intent(client, reference)  # the traveller's retry gets the same PaymentIntent
    assert again.status_code == 200


def test_redis_frozen_home_and_search_answer_pages_that_need_the_session_say_so_and_nothing_is_lost(
        app, site, redis_server):
    """SIGSTOP: the session store and the limits' storage accept connections and never answer.
    Home and search answer within a second; the draft's page and the booking's payment page,
    which need the session, answer a 503 "try again in a moment" (not a 404 "not in this
    browser", not back to search); once Redis answers, both travellers carry on."""
    drafting = Checkout(Browser(site))
    drafting.select_first()
    paying = Checkout(Browser(site))
    reference = paying.to_pending()
    redis_server.freeze(thaw_after=15)
    try:
        home_and_search_answer(site, drafting.client.cookies)
        within = float(DEADLINES["REDIS_TIMEOUT_SECONDS"]) + PAGE_MARGIN_SECONDS
        # The browser itself (Checkout.get would look for a CSRF token the error page cannot give).
        assert_answer(drafting.client.get("/customize"), 503, SESSION_UNAVAILABLE, within=within)
        assert_answer(paying.client.get(f"/booking/{reference}"), 503, SESSION_UNAVAILABLE, within=within)
    finally:
        redis_server.thaw()
    page = drafting.get("/customize")
    assert page.status_code == 200 and "Customise" in page.get_data(as_text=True)
    drafting.get("/passengers")
    assert drafting.post("/passengers", drafting.passengers_form([("Ada", "Lovelace", "1985-12-10")])).status_code == 303
    payment = paying.get(f"/booking/{reference}")
    assert payment.status_code == 200 and 'id="payment-form"' in payment.get_data(as_text=True)
