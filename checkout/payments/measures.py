"""What the dashboard measures about a payment attempt, recorded when Stripe or the page says so.

These facts sit outside the state machine: they never change a booking or an attempt's
status, so each is one guarded UPDATE of the attempt row, without the booking lock.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from ..clock import utcnow
from ..extensions import db
from ..models import AttemptStatus, PaymentAttempt


def record_three_d_secure(payment_intent_id: str) -> bool:
    """Stripe told us (a signed `payment_intent.requires_action`) that the bank asked for
    3-D Secure on this PaymentIntent. True if that was news. Commits."""
    changed = db.session.execute(
        update(PaymentAttempt)
        .where(PaymentAttempt.payment_intent_id == payment_intent_id, PaymentAttempt.used_3ds.is_(False))
        .values(used_3ds=True)
    ).rowcount
    db.session.commit()
    return bool(changed)


def record_pay_click(attempt_id: int, now: datetime | None = None) -> bool:
    """The traveller pressed Pay for this attempt (the payment page's beacon, timed by our clock).

    Kept only while the attempt is open, so it is never later than the payment's success.
    The latest click wins: a click the card form refused (an incomplete card) started no
    payment, and a page reloaded after a network error pays the same attempt again.
    True if recorded. Commits.
    """
    changed = db.session.execute(
        update(PaymentAttempt)
        .where(PaymentAttempt.id == attempt_id, PaymentAttempt.status.in_(AttemptStatus.OPEN))
        .values(confirm_requested_at=now or utcnow())
    ).rowcount
    db.session.commit()
    return bool(changed)
