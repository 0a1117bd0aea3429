"""PostgreSQL stops while Stripe tells us a booking was paid, or freezes or stops while
travellers browse.

The webhook answers 503 so Stripe delivers again; the redelivery, once the database is
back, confirms the booking exactly once and queues exactly one confirmation email.
Travellers: the home page answers within a second, search and the draft's pages answer a
503 "try again in a moment" within their deadline, and the draft is there afterwards.
"""
from __future__ import annotations

import time

from sqlalchemy import func, select

from checkout.errors import DATABASE_UNAVAILABLE
from checkout.extensions import db
from checkout.models import Booking, BookingStatus, BookingTransition, OutboxEmail, WebhookEvent
from checkout.payments import gateway
from checkout.payments import service as payments
from tests.conftest import ACKS, Checkout
from tests.faults.site import (
    DEADLINES, HOME_AND_SEARCH_SECONDS, PAGE_MARGIN_SECONDS, Browser, assert_answer, home_and_search_answer, loading,
    search_url,
)
from tests.payments_support import event, pay_at_stripe, payment_intent_object, pending_booking, post_event


def _paid_at_stripe(app):
    """A pending booking whose PaymentIntent has succeeded at Stripe; our side not told yet."""
    with app.app_context():
        booking = pending_booking()
        started = payments.start_payment(booking.id)
        intent = pay_at_stripe(started.attempt.payment_intent_id, "4242424242424242")
        assert intent.status == "succeeded"
        succeeded = event("payment_intent.succeeded",
                          payment_intent_object(intent.id, "succeeded", booking.total_amount, booking.reference))
        return booking.id, succeeded


def _counts(app, booking_id):
    with app.app_context():
        confirmations = db.session.execute(select(func.count()).select_from(BookingTransition).where(
            BookingTransition.booking_id == booking_id, BookingTransition.to_status == BookingStatus.CONFIRMED)).scalar()
        emails = db.session.execute(select(func.count()).select_from(OutboxEmail).where(
            OutboxEmail.booking_id == booking_id, OutboxEmail.kind == "confirmation")).scalar()
        return confirmations, emails


def _redeliveries_confirm_once(app, client, booking_id, succeeded, deliveries_seen: int):
    again = post_event(client, succeeded)
    assert again.status_code == 200, again.get_data(as_text=True)
    assert again.get_json()["status"] == "processed"
    assert _counts(app, booking_id) == (1, 1)
    third = post_event(client, succeeded)
    assert (third.status_code, third.get_json()["status"]) == (200, "duplicate")
    assert _counts(app, booking_id) == (1, 1)
    with app.app_context():
        row = db.session.execute(select(WebhookEvent).where(WebhookEvent.stripe_event_id == succeeded["id"])).scalar_one()
        assert (row.status, row.deliveries) == ("processed", deliveries_seen + 2)


def test_database_down_when_the_webhook_arrives_answers_503_and_the_redelivery_confirms_once(app, client, postgres):
    booking_id, succeeded = _paid_at_stripe(app)

    postgres.stop()
    try:
        answer = post_event(client, succeeded)
    finally:
        postgres.start()
    assert answer.status_code == 503  # Stripe keeps the event and delivers it again
    assert answer.get_json()["error"]["code"] == "retry_later"
    assert _counts(app, booking_id) == (0, 0)

    _redeliveries_confirm_once(app, client, booking_id, succeeded, deliveries_seen=0)  # nothing was written


def test_database_lost_halfway_through_the_webhook_answers_503_and_the_redelivery_confirms_once(
        app, client, postgres, monkeypatch):
    """The event is recorded, then the database goes while we ask Stripe about the payment."""
    booking_id, succeeded = _paid_at_stripe(app)
    real_retrieve = gateway.retrieve_payment_intent

    def database_goes_first(payment_intent_id):
        postgres.stop()
        return real_retrieve(payment_intent_id)

    monkeypatch.setattr(gateway, "retrieve_payment_intent", database_goes_first)
    try:
        answer = post_event(client, succeeded)
    finally:
        monkeypatch.setattr(gateway, "retrieve_payment_intent", real_retrieve)
        postgres.start()
    assert answer.status_code == 503
    assert _counts(app, booking_id) == (0, 0)

    # The first delivery was recorded before the database went; its outcome could not be.
    _redeliveries_confirm_once(app, client, booking_id, succeeded, deliveries_seen=1)


# -- PostgreSQL stuck while travellers browse (the Procfile's gunicorn, tests/faults/site.py) --

def _drafting(site) -> Checkout:
    """A traveller on step 1 with a draft booking (kept in PostgreSQL, named by the session)."""
    traveller = Checkout(Browser(site))
    traveller.select_first()
    assert traveller.get("/customize").status_code == 200
    return traveller


def _carries_on(app, site, traveller: Checkout) -> None:
    """Once the database answers again, the same draft is there and the traveller books it."""
    deadline = time.monotonic() + 10
    while (page := traveller.get("/customize")).status_code != 200:  # the breaker lets one try through
        assert page.status_code == 503 and time.monotonic() < deadline, page.get_data(as_text=True)[:300]
        time.sleep(0.2)
    assert "Customise" in page.get_data(as_text=True)
    traveller.get("/passengers")
    assert traveller.post("/passengers", traveller.passengers_form([("Ada", "Lovelace", "1985-12-10")])).status_code == 303
    traveller.get("/review")
    submitted = traveller.post("/review", {f"ack_{k}": "y" for k in ACKS})
    assert submitted.status_code == 303, submitted.get_data(as_text=True)[:300]
    reference = submitted.location.rsplit("/", 1)[-1]
    with app.app_context():
        booking = db.session.execute(select(Booking).where(Booking.reference == reference)).scalar_one()
        assert booking.status == BookingStatus.PENDING_PAYMENT


def _draft_pages_answer_503(futures, within: float) -> None:
    for future in futures:
        assert_answer(future.result(timeout=30), 503, DATABASE_UNAVAILABLE, within=within)


def test_database_frozen_pages_that_need_it_answer_503_within_their_deadline_home_and_search_at_once(
        app, site, postgres):
    """SIGSTOP: connections stay open and nothing answers. Eight draft pages load at once (every
    worker thread): each says "try again" within its deadline (DB_READ_TIMEOUT_SECONDS), not
    after the freeze. From then on no thread waits on the database (DB_RETRY_AFTER_SECONDS):
    home answers and search says "try again" within a second, and so does a form post. After
    the thaw the traveller books the same draft."""
    traveller = _drafting(site)
    postgres.freeze(thaw_after=20)
    try:
        loads = loading([Browser(site, traveller.client.cookies) for _ in range(8)], lambda _: "/customize")
        _draft_pages_answer_503(loads, within=float(DEADLINES["DB_READ_TIMEOUT_SECONDS"]) + PAGE_MARGIN_SECONDS)
        _home_and_search_answer_once_each_process_knows(site, traveller.client.cookies)
        assert_answer(traveller.post("/customize", {"action": "update", "fare_family": "BASIC"}), 503,
                      DATABASE_UNAVAILABLE, within=1)
    finally:
        postgres.thaw()
    _carries_on(app, site, traveller)


def _home_and_search_answer_once_each_process_knows(site, cookies) -> None:
    """Home never needs the database: within a second. The breaker is per worker process:
    when the eight loads above all went to one process (gthread keeps a connection with the
    process that accepted it), the other's first search still waits one read deadline and
    trips its own breaker; from then on, on the same connection, search is within a second."""
    first = float(DEADLINES["DB_READ_TIMEOUT_SECONDS"]) + PAGE_MARGIN_SECONDS
    for browser in (Browser(site), Browser(site, cookies)):
        assert_answer(browser.get("/"), 200, "Departure date", within=HOME_AND_SEARCH_SECONDS)
        assert_answer(browser.get(search_url()), 503, DATABASE_UNAVAILABLE, within=first)
        assert_answer(browser.get(search_url()), 503, DATABASE_UNAVAILABLE, within=HOME_AND_SEARCH_SECONDS)


def test_database_stopped_pages_answer_503_not_500_and_the_draft_waits(app, site, postgres):
    traveller = _drafting(site)
    postgres.stop()
    try:
        home_and_search_answer(site, traveller.client.cookies, 503, DATABASE_UNAVAILABLE)
        assert_answer(traveller.get("/customize"), 503, DATABASE_UNAVAILABLE,
                      within=float(DEADLINES["DB_READ_TIMEOUT_SECONDS"]) + PAGE_MARGIN_SECONDS)
    finally:
        postgres.start()
    _carries_on(app, site, traveller)
