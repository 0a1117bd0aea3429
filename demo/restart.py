"""What a restarted demo does about the last run's payments.

The demo's Stripe is localstripe started with --from-scratch: each run it knows no
PaymentIntent. Attempts the last run left open (a payment page opened, never paid) name
PaymentIntents it has forgotten, and the sweeper, reconciling them every minute, would log
an error with a traceback for each. They can never be paid now, so they are closed once at
start-up, with the reason in the booking's timeline, and the demo says so in one line. Their
bookings stay held until their holds end, then lapse as unpaid ones do (a new payment
attempt on the booking page still works meanwhile).
"""
from __future__ import annotations

from sqlalchemy import select

from checkout.bookings import states
from checkout.bookings.service import lock_booking
from checkout.clock import utcnow
from checkout.extensions import db
from checkout.models import AttemptStatus, PaymentAttempt

NOTE = "attempt {number} closed: the demo's offline Stripe was restarted and has forgotten its PaymentIntent"


def forget_last_runs_payments() -> int:
    """Close every open attempt that has a PaymentIntent (all from an earlier run); how many."""
    now = utcnow()
    open_attempts = db.session.execute(
        select(PaymentAttempt.booking_id, PaymentAttempt.id)
        .where(PaymentAttempt.status.in_(AttemptStatus.OPEN), PaymentAttempt.payment_intent_id.is_not(None))
        .order_by(PaymentAttempt.booking_id, PaymentAttempt.id)).all()
    closed = 0
    for booking_id, attempt_id in open_attempts:
        booking = lock_booking(booking_id)  # the booking's lock first, as every write to it
        attempt = db.session.get(PaymentAttempt, attempt_id, populate_existing=True)
        if attempt.status in AttemptStatus.OPEN:  # looked at again under the lock
            attempt.status, attempt.updated_at = AttemptStatus.CANCELED, now
            states.record(booking, booking.status, booking.status, actor="demo", note=NOTE.format(number=attempt.number))
            closed += 1
        db.session.commit()
    return closed


def restart_line(closed: int) -> str | None:
    """The one line the demo prints about it, or None when nothing was left open."""
    if not closed:
        return None
    payments, were, their = ("payment", "was", "its booking lapses when its hold ends") if closed == 1 else \
        ("payments", "were", "their bookings lapse when their holds end")
    return (f"The offline Stripe starts empty each run: {closed} unpaid {payments} from the last run "
            f"can no longer be completed and {were} closed; {their}.")
