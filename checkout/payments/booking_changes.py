"""Changes to a booking that must stop or return money first: cancelling and reopening.

They live here, not in bookings, because they call Stripe (cancel open PaymentIntents,
refund) before the booking moves: payments depends on bookings, never the reverse. The
rules and the quote stay in bookings/cancellation.py.
"""
from __future__ import annotations

from datetime import datetime

from .. import audit, notifications
from ..bookings import cancellation, seat_holds, states
from ..bookings.service import BookingClosed, BookingError, copy_as_draft, lock_booking
from ..clock import utcnow
from ..extensions import db
from ..models import Booking, BookingStatus, Refund, RefundStatus
from .fulfilment import reserve_refund, send_refunds
from .gateway import PaymentError
from .service import cancel_open_intents


def cancel_booking(booking_id: int, actor: str, now: datetime | None = None, expected_refund: int | None = None) -> tuple[Booking, int]:
    """Cancel per the rules above and refund what they allow. Returns (booking, refunded).

    `expected_refund`, when given, must equal what the rules give now (the quote the person
    saw), or nothing happens. Idempotent: cancelling a cancelled booking changes nothing.
    """
    now = now or utcnow()
    booking = lock_booking(booking_id)
    if booking.status == BookingStatus.PENDING_PAYMENT:
        try:  # first, so that no PaymentIntent can still take money once it is cancelled
            booking = cancel_open_intents(booking_id, actor, now)
        except PaymentError as err:
            db.session.rollback()
            raise BookingError(f"{err.message} Nothing was cancelled.") from err
        if booking.status == BookingStatus.CONFIRMED:  # it had just been paid
            db.session.commit()
            raise BookingError("A payment has just completed for this booking. Please look again before cancelling.")
    if booking.status == BookingStatus.CANCELLED:
        db.session.commit()
        return booking, 0
    terms = cancellation.cancellation_terms(booking, now)
    if not terms.allowed:
        raise BookingError(terms.explanation)
    if expected_refund is not None and expected_refund != terms.refund_amount:
        raise BookingError("The refund amount has changed since it was quoted. Please review it again.")
    if booking.status == BookingStatus.PENDING_PAYMENT:
        states.transition(booking, BookingStatus.CANCELLED, actor, note=terms.explanation)
        seat_holds.release(booking.id)
        db.session.commit()
        return booking, 0
    if terms.refund_amount <= 0:
        cancellation.cancel_confirmed(booking, actor, now, note=f"{terms.explanation} Refund 0 {booking.currency}.")
        notifications.queue_cancellation(booking, 0)
        db.session.commit()
        return booking, 0
    # The refund is recorded under the lock (that reserves the amount, and for taxes_only
    # the lines: a staff refund meanwhile sees both) and committed; Stripe is asked with
    # no lock held; then the lock again to cancel, looking afresh.
    refund = reserve_refund(booking, booking.paid_attempt, terms.refund_amount, f"Cancellation: {terms.rule}", actor, now,
                            idempotency_key=f"{booking.reference}-cancel-refund")
    if refund is None:
        db.session.rollback()
        raise BookingError("The refund amount has changed since it was quoted. Please review it again.")
    if terms.rule == "taxes_only":  # these lines are now given back: staff cannot refund them again
        audit.record(actor, "cancellation refund", booking,
                     after={"lineIds": [l.id for l in cancellation.unrefunded_tax_lines(booking)], "refundId": refund.id},
                     detail=f"taxes refunded on cancellation: {refund.amount} {booking.currency}", now=now)
    refund_id = refund.id
    db.session.commit()
    send_refunds(actor, cancel_when_full=False)  # the cancellation below is this function's to make
    booking = lock_booking(booking_id)
    refund = db.session.get(Refund, refund_id, populate_existing=True)
    if refund.status == RefundStatus.FAILED:  # refused at Stripe: nothing was given back
        db.session.commit()
        raise BookingError("The refund could not be made just now, so the booking was not cancelled. "
                           "Nothing has changed; please try again.")
    if booking.status == BookingStatus.CONFIRMED:
        # Made, pending at Stripe, or not answered yet (then the sweeper asks again with the
        # same key): the money is on its way, so the booking is cancelled.
        cancellation.cancel_confirmed(booking, actor, now,
                                      note=f"{terms.explanation} Refund {refund.amount} {booking.currency}.")
        notifications.queue_cancellation(booking, refund.amount)
    db.session.commit()
    return booking, refund.amount


def reopen_as_draft(booking: Booking, now: datetime | None = None) -> Booking:
    """PENDING_PAYMENT and unpaid -> a new DRAFT with the same choices, passengers and seats.

    Open PaymentIntents are cancelled first, so none can take money for the old booking; if
    one turns out to have succeeded, nothing is reopened.
    """
    now = now or utcnow()
    booking = lock_booking(booking.id)
    if booking.status != BookingStatus.PENDING_PAYMENT:
        raise BookingClosed("This booking can no longer be changed.")
    try:
        booking = cancel_open_intents(booking.id, actor="traveller (change)", now=now)
    except PaymentError as err:
        db.session.rollback()
        raise BookingError(f"{err.message} Nothing was changed.") from err
    if booking.status != BookingStatus.PENDING_PAYMENT:
        db.session.commit()
        if booking.status == BookingStatus.CONFIRMED:
            raise BookingClosed("This booking has just been paid, so it can no longer be changed here.")
        raise BookingClosed("This booking can no longer be changed.")
    return copy_as_draft(booking, now)
