"""Payment attempts against localstripe and PostgreSQL: one PaymentIntent per attempt however
many tabs ask at once, earlier intents closed before a new attempt (an old tab cannot pay),
declines recorded before moving on, and Stripe never asked while the booking row is locked."""
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from checkout.clock import utcnow
from checkout.extensions import db
from checkout.models import AttemptStatus, Booking, BookingStatus, OutboxEmail, PaymentAttempt
from checkout.payments import gateway
from checkout.payments import service as payments
from checkout.payments import cancel_booking, reopen_as_draft
from checkout.payments.sweeper import sweep
from tests.payments_support import pay_at_stripe, pending_booking


def attempts_of(booking_id):
    return db.session.execute(select(PaymentAttempt).where(PaymentAttempt.booking_id == booking_id)
                              .order_by(PaymentAttempt.number)).scalars().all()


def intents_at_stripe(reference):
    """Every PaymentIntent localstripe holds for this booking reference (via its metadata)."""
    api, found, after = gateway.client().v1.payment_intents, [], None
    while True:
        page = api.list(params={"limit": 100, **({"starting_after": after} if after else {})})
        found += [pi for pi in page.data if pi.metadata.to_dict().get("booking_reference") == reference]
        if not page.has_more:
            return found
        after = page.data[-1].id


def emails(booking_id, kind):
    return db.session.execute(select(func.count()).select_from(OutboxEmail).where(
        OutboxEmail.booking_id == booking_id, OutboxEmail.kind == kind)).scalar()


def row_lock_is_free(booking_id) -> bool:
    """What a webhook or the return URL would find now: can another connection lock the booking?"""
    with db.engine.connect() as other:
        try:
            other.execute(text("SELECT id FROM bookings WHERE id = :id FOR UPDATE NOWAIT"), {"id": booking_id})
            return True
        except OperationalError:  # lock_not_available: somebody holds it
            return False
        finally:
            other.rollback()


@pytest.fixture
def watch_stripe(monkeypatch):
    """While Stripe is asked (`name` in the gateway), note whether the booking row is free."""
    def watch(name, booking_id):
        seen, real = [], getattr(gateway, name)

        def call(*args, **kwargs):
            seen.append(row_lock_is_free(booking_id))
            return real(*args, **kwargs)

        monkeypatch.setattr(gateway, name, call)
        return seen
    return watch


# -- the booking row is free while Stripe answers -------------------------------------------

def test_creating_the_payment_intent_leaves_the_booking_unlocked(app_ctx, watch_stripe):
    booking = pending_booking()
    seen = watch_stripe("create_payment_intent", booking.id)
    payments.start_payment(booking.id)
    assert seen == [True]


def test_looking_up_the_open_intent_again_leaves_the_booking_unlocked(app_ctx, watch_stripe):
    booking = pending_booking()
    first = payments.start_payment(booking.id)
    seen = watch_stripe("retrieve_payment_intent", booking.id)
    assert payments.start_payment(booking.id).attempt.payment_intent_id == first.attempt.payment_intent_id
    assert seen == [True]


def test_reconcile_leaves_the_booking_unlocked_while_it_asks(app_ctx, watch_stripe):
    booking = pending_booking()
    started = payments.start_payment(booking.id)
    pay_at_stripe(started.attempt.payment_intent_id, "4242424242424242")
    seen = watch_stripe("retrieve_payment_intent", booking.id)
    refunds_seen = watch_stripe("list_refunds", booking.id)
    assert payments.reconcile(started.attempt.payment_intent_id, refunds=True).booking_status == "CONFIRMED"
    assert seen == [True] and refunds_seen == [True]


@pytest.mark.parametrize("how", ["traveller cancels", "traveller changes the booking", "hold expires"])
def test_cancelling_open_intents_leaves_the_booking_unlocked(app_ctx, watch_stripe, how):
    booking = pending_booking()
    started = payments.start_payment(booking.id)
    seen = watch_stripe("cancel_payment_intent", booking.id)
    if how == "traveller cancels":
        cancel_booking(booking.id, "traveller (web)")
    elif how == "traveller changes the booking":
        reopen_as_draft(booking)
    else:
        sweep(now=booking.hold_expires_at + timedelta(seconds=1))
    assert seen == [True]
    assert gateway.retrieve_payment_intent(started.attempt.payment_intent_id).status == "canceled"
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status in (BookingStatus.CANCELLED, BookingStatus.EXPIRED)


# -- one PaymentIntent per attempt -----------------------------------------------------------

def test_tabs_starting_payment_at_once_share_one_attempt_and_one_intent(app, monkeypatch):
    with app.app_context():
        booking = pending_booking()
        booking_id, reference = booking.id, booking.reference
    real_create = gateway.create_payment_intent

    def slow_create(**kwargs):  # Stripe taking its time: the other tabs arrive meanwhile
        time.sleep(0.3)
        return real_create(**kwargs)

    monkeypatch.setattr(gateway, "create_payment_intent", slow_create)
    tabs, barrier, answers, errors = 6, threading.Barrier(6, timeout=30), [], []

    def tab():
        with app.app_context():
            try:
                barrier.wait()
                started = payments.start_payment(booking_id)
                answers.append((started.attempt.number, started.attempt.payment_intent_id, started.client_secret))
            except Exception as err:  # noqa: BLE001 - reported below
                errors.append(repr(err))

    threads = [threading.Thread(target=tab) for _ in range(tabs)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == []
    assert len(answers) == tabs and len(set(answers)) == 1
    with app.app_context():
        [attempt] = attempts_of(booking_id)
        [intent] = intents_at_stripe(reference)
        assert (attempt.number, attempt.payment_intent_id) == (1, intent.id)


def test_an_attempt_left_half_made_by_a_crashed_worker_is_completed(app_ctx):
    booking = pending_booking()
    abandoned = utcnow() - timedelta(hours=1)
    db.session.add(PaymentAttempt(booking_id=booking.id, number=1, payment_intent_id=None, status=AttemptStatus.CREATED,
                                  amount=booking.total_amount, currency=booking.currency,
                                  created_at=abandoned, updated_at=abandoned))
    db.session.commit()
    started = payments.start_payment(booking.id)
    assert started.attempt.number == 1 and started.attempt.payment_intent_id.startswith("pi_")
    assert [a.payment_intent_id for a in attempts_of(booking.id)] == [started.attempt.payment_intent_id]


def test_a_booking_cancelled_while_its_intent_is_being_made_keeps_nothing_payable(app, app_ctx, monkeypatch):
    booking = pending_booking()
    booking_id, reference = booking.id, booking.reference
    real_create, cancelled = gateway.create_payment_intent, []

    def create_while_the_traveller_cancels(**kwargs):
        def cancel_in_another_tab():
            with app.app_context():
                cancelled.append(cancel_booking(booking_id, "traveller (web)")[0].status)

        other_tab = threading.Thread(target=cancel_in_another_tab)
        other_tab.start()
        other_tab.join(timeout=20)  # only a guard against a deadlock: it needs our lock to be free
        assert not other_tab.is_alive(), "cancelling waited for the lock held across the Stripe call"
        return real_create(**kwargs)

    monkeypatch.setattr(gateway, "create_payment_intent", create_while_the_traveller_cancels)
    with pytest.raises(payments.PaymentRefused) as refused:
        payments.start_payment(booking_id)
    assert refused.value.code == "not_payable" and cancelled == [BookingStatus.CANCELLED]
    assert [pi.status for pi in intents_at_stripe(reference)] == ["canceled"]
    assert [(a.status, a.payment_intent_id) for a in attempts_of(booking_id)] == [(AttemptStatus.CANCELED, None)]


# -- earlier intents closed before a new attempt ---------------------------------------------

def test_a_stale_intent_paid_from_an_old_tab_is_refused_by_stripe_and_charges_nothing(app_ctx):
    booking = pending_booking()
    first = payments.start_payment(booking.id)
    stale = first.attempt.payment_intent_id
    with pytest.raises(gateway.CardDeclined):
        pay_at_stripe(stale, "4000000000000002")
    assert payments.reconcile(stale).attempt_status == AttemptStatus.FAILED
    second = payments.start_payment(booking.id)  # the traveller tries again in a new tab
    assert second.attempt.number == 2 and second.attempt.payment_intent_id != stale

    with pytest.raises(gateway.PaymentError) as refused:  # the old tab, with another card
        pay_at_stripe(stale, "4242424242424242")
    assert "not charged" in refused.value.message
    at_stripe = gateway.client().v1.payment_intents.retrieve(stale)
    assert at_stripe.status == "canceled"
    assert at_stripe.latest_charge.status == "failed"  # still the declined card's: nothing was taken
    assert gateway.list_refunds(stale) == []
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == BookingStatus.PENDING_PAYMENT
    assert emails(booking.id, "confirmation") == 0

    pay_at_stripe(second.attempt.payment_intent_id, "4242424242424242")
    assert payments.reconcile(second.attempt.payment_intent_id).booking_status == BookingStatus.CONFIRMED


def test_a_decline_not_yet_recorded_counts_as_a_failure_before_the_next_attempt(app_ctx):
    booking = pending_booking()
    first = payments.start_payment(booking.id)
    with pytest.raises(gateway.CardDeclined):
        pay_at_stripe(first.attempt.payment_intent_id, "4000000000009995")
    # No webhook and no return URL yet: the page is simply loaded again.
    second = payments.start_payment(booking.id)
    assert second.attempt.number == 2 and second.attempt.payment_intent_id != first.attempt.payment_intent_id
    failed = attempts_of(booking.id)[0]
    assert (failed.status, failed.failure_code) == (AttemptStatus.FAILED, "insufficient_funds")
    assert "insufficient funds" in failed.failure_message
    assert emails(booking.id, "payment_failed") == 0 and payments.failed_attempts(db.session.get(Booking, booking.id)) == 1
    assert gateway.retrieve_payment_intent(first.attempt.payment_intent_id).status == "canceled"
