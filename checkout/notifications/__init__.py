"""Transactional email: the outbox (queued with the change it reports), the sender
worker, and the e-ticket PDF."""
from .eticket import render_eticket_html, render_eticket_pdf
from .outbox import (
    Kind, enqueue, queue_cancellation, queue_confirmation, queue_ops_alert, queue_payment_failed,
    queue_payment_refunded, queue_refund_made,
)
from .sender import run_forever, send_due

__all__ = [
    "Kind", "enqueue", "queue_cancellation", "queue_confirmation", "queue_ops_alert",
    "queue_payment_failed", "queue_payment_refunded", "queue_refund_made", "render_eticket_html", "render_eticket_pdf",
    "run_forever", "send_due",
]
