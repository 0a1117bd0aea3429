"""What the traveller's inbox shows when payment events race: only the news that matches
where the booking ended. Real localstripe, signed webhook events, a real SMTP server."""
from checkout.extensions import db
from checkout.models import Booking
from checkout.notifications import send_due
from checkout.payments import gateway
from checkout.payments import service as payments
from tests.payments_support import (charge_object, event, pay_at_stripe, payment_intent_object, pending_booking,
                                    post_event)


def test_a_refund_that_outruns_the_success_sends_only_the_cancellation(app_ctx, client, smtp_inbox):
    booking = pending_booking()
    started = payments.start_payment(booking.id)
    pi, amount, reference = started.attempt.payment_intent_id, booking.total_amount, booking.reference
    pay_at_stripe(pi, "4242424242424242")  # paid; neither the webhook nor the return URL has told us yet
    gateway.create_refund(payment_intent_id=pi, amount=amount, idempotency_key=f"dash-{reference}", reference=reference)
    assert post_event(client, event("charge.refunded", charge_object(pi, amount, amount))).status_code == 200
    succeeded = event("payment_intent.succeeded", payment_intent_object(pi, "succeeded", amount, reference))
    assert post_event(client, succeeded).status_code == 200
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == "CANCELLED"

    send_due()
    inbox = smtp_inbox.to("ada@example.com")
    assert len(inbox) == 1, [message["Subject"] for message in inbox]
    assert inbox[0]["Subject"].startswith(f"Booking {reference} cancelled") and "refund" in inbox[0]["Subject"]
    assert not any(part.get_content_type() == "application/pdf" for part in inbox[0].walk())  # no e-ticket
