"""A restarted demo: the offline Stripe has forgotten the last run's PaymentIntents, so the
open attempts that name them are closed once at start-up (one line printed, no tracebacks
from the sweeper), and their bookings can still be paid on a new attempt."""
from sqlalchemy import select

from checkout import payments
from checkout.extensions import db
from checkout.models import AttemptStatus, BookingStatus, BookingTransition, PaymentAttempt
from demo.restart import forget_last_runs_payments, restart_line
from tests.payments_support import pending_booking


def test_open_attempts_of_the_last_run_are_closed_once_and_the_booking_stays_payable(app_ctx):
    booking = pending_booking()
    started = payments.start_payment(booking.id)
    paid = pending_booking(number="FA200")
    done = payments.start_payment(paid.id)
    done.attempt.status = AttemptStatus.SUCCEEDED  # a final attempt is none of this
    db.session.commit()

    assert forget_last_runs_payments() == 1
    assert forget_last_runs_payments() == 0  # once
    attempt = db.session.get(PaymentAttempt, started.attempt.id, populate_existing=True)
    assert attempt.status == AttemptStatus.CANCELED
    assert db.session.get(PaymentAttempt, done.attempt.id).status == AttemptStatus.SUCCEEDED
    notes = db.session.execute(select(BookingTransition.note).where(BookingTransition.booking_id == booking.id)).scalars()
    assert any("offline Stripe was restarted" in (note or "") for note in notes)
    db.session.refresh(booking)
    assert booking.status == BookingStatus.PENDING_PAYMENT  # still held: a new attempt may pay it
    again = payments.start_payment(booking.id)
    assert again.attempt.id != started.attempt.id and again.attempt.payment_intent_id


def test_the_demo_says_it_in_one_line():
    assert restart_line(0) is None
    assert restart_line(1) == ("The offline Stripe starts empty each run: 1 unpaid payment from the last run can no "
                               "longer be completed and was closed; its booking lapses when its hold ends.")
    assert "2 unpaid payments" in restart_line(2)


def test_two_starts_at_once_close_each_attempt_once(app):
    """Every write to a booking takes its lock first: two demo processes starting at once (or
    a sweeper beside one) close each forgotten attempt once, with one note, over many rounds."""
    import threading

    from sqlalchemy import func
    for _ in range(40):
        with app.app_context():
            booking = pending_booking()
            attempt_id = payments.start_payment(booking.id).attempt.id
            booking_id = booking.id
            db.session.commit()
        start, closed = threading.Barrier(2), []

        def restart():
            with app.app_context():
                start.wait()
                closed.append(forget_last_runs_payments())
                db.session.remove()

        threads = [threading.Thread(target=restart) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        with app.app_context():
            assert sorted(closed) == [0, 1]
            assert db.session.get(PaymentAttempt, attempt_id).status == AttemptStatus.CANCELED
            notes = db.session.scalar(select(func.count()).select_from(BookingTransition).where(
                BookingTransition.booking_id == booking_id, BookingTransition.note.like("%offline Stripe was restarted%")))
            assert notes == 1
