"""What support reads on the staff booking page (issue 11 #13): money as money on the
timeline, failed payments marked in words."""
from __future__ import annotations

import re
from html import unescape

import pytest

from checkout.payments import gateway
from checkout.payments import service as payments
from tests.payments_support import pay_at_stripe, pending_booking
from tests.staff_support import StaffClient, make_staff

DECLINED = "4000000000000002"
SUCCEEDS = "4242424242424242"


@pytest.fixture
def agent(app, client):
    staff = StaffClient(client)
    staff.sign_in(make_staff(app, "agent"))
    return staff


def section(html: str, heading_id: str) -> str:
    """The panel under the heading with this id, up to the next panel."""
    return html[html.index(f'id="{heading_id}"'):].split("</section>")[0]


def timeline_items(html: str) -> list[str]:
    return re.findall(r"<li [^>]*data-kind=[^>]*>.*?</li>", section(html, "timeline-title"), re.S)


def text_of(fragment: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def test_the_timeline_shows_money_not_minor_units(app_ctx, agent):
    booking = pending_booking()
    started = payments.start_payment(booking.id)
    pay_at_stripe(started.attempt.payment_intent_id, SUCCEEDS)
    payments.reconcile(started.attempt.payment_intent_id)
    total, reference = booking.total_amount, booking.reference
    assert total >= 1000  # at least "$10.00": minor units would read as a different number

    timeline = text_of(section(agent.get(f"/staff/bookings/{reference}").get_data(as_text=True), "timeline-title"))
    dollars = f"${total // 100:,}.{total % 100:02d}"
    assert f"total {dollars}" in timeline  # the note on PENDING_PAYMENT, stored as "total 212409 USD"
    assert f"paid {dollars}" in timeline
    assert f"{total} USD" not in timeline and not re.search(r"\b\d{3,} USD\b", timeline)


def test_a_failed_attempt_is_marked_failed_in_words_in_the_attempts_and_the_timeline(app_ctx, agent):
    booking = pending_booking()
    declined = payments.start_payment(booking.id)
    with pytest.raises(gateway.CardDeclined):
        pay_at_stripe(declined.attempt.payment_intent_id, DECLINED)
    payments.reconcile(declined.attempt.payment_intent_id)
    paid = payments.start_payment(booking.id)
    pay_at_stripe(paid.attempt.payment_intent_id, SUCCEEDS)
    payments.reconcile(paid.attempt.payment_intent_id)

    html = agent.get(f"/staff/bookings/{booking.reference}").get_data(as_text=True)
    rows = re.findall(r"<tr[^>]*>.*?</tr>", section(html, "payments-title"), re.S)
    first = next(r for r in rows if declined.attempt.payment_intent_id in r)
    second = next(r for r in rows if paid.attempt.payment_intent_id in r)
    assert 'class="outcome-failed"' in first and ">Failed</strong>" in first
    assert 'class="outcome-succeeded"' in second and ">Succeeded</strong>" in second and "Failed" not in second

    items = timeline_items(html)
    failed = next(i for i in items if "Payment attempt 1 failed" in i)
    succeeded = next(i for i in items if "Payment attempt 2 succeeded" in i)
    assert "outcome-failed" in failed and text_of(failed).split(" · ")[1].startswith("Failed ")
    assert "outcome-failed" not in succeeded and "Succeeded" in text_of(succeeded)
    # Other entries carry no outcome word: only what can fail says whether it did.
    created = next(i for i in items if "Payment attempt 1 created" in i)
    assert "outcome" not in created
