"""What the dashboard measures about a payment attempt, recorded when Stripe or the page says so.

These facts sit outside the state machine: they never change a booking or an attempt's
status, so each is one guarded UPDATE of the attempt row, without the booking lock.
"""
from __future__ import annotations

from sqlalchemy import update

from ..extensions import db
from ..models import PaymentAttempt


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

