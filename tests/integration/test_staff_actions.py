"""Staff actions against PostgreSQL and a real localstripe: refunds as quote -> confirm (per
line and in full), over-refund refusal, double confirm, cancel per the fare rules, resend
confirmation, roles, the audit trail, and the booking timeline."""
import json
import re
import threading

import pytest
from sqlalchemy import func, select

from checkout.extensions import db
from checkout.models import AuditEntry, Booking, OutboxEmail, Refund
from checkout.payments import fulfilment, gateway
from checkout.staff import refunds
from checkout.staff.actions import ActionRefused
from tests.payments_support import payment_intent_object, pending_booking, post_event
from tests.payments_support import event as stripe_event
from tests.staff_support import StaffClient, free_standard_seat, make_staff, paid_booking, seat_line


REASON = "seat not available on the day"


def confirm_fields(html: str, reason: str = REASON) -> dict:
    """What a supervisor posts back from the quote page: its hidden fields, and the reason typed."""
    form = html[html.index('action="/staff/bookings/'):]
    form = form[:form.index("</form>")]
    fields = {name: value for name, value in re.findall(r'<input[^>]*name="(\w+)"[^>]*value="([^"]*)"', form)}
    return {**fields, "reason": reason}


def stripe_refunds(booking) -> list[int]:
    return [r.amount for r in gateway.list_refunds(booking.paid_attempt.payment_intent_id)]


def audit_entries(booking, action):
    return db.session.execute(select(AuditEntry).where(AuditEntry.booking_id == booking.id, AuditEntry.action == action)
                              .order_by(AuditEntry.id)).scalars().all()


@pytest.fixture
def seated(app_ctx):
    """A confirmed Basic-fare booking whose chosen seat was charged for."""
    booking = paid_booking(seat=free_standard_seat())
    assert seat_line(booking).amount == 1800
    return booking


@pytest.fixture
def supervisor(app, client):
    staff = StaffClient(client)
    staff.email = make_staff(app, "supervisor")
    staff.sign_in(staff.email)
    return staff


@pytest.fixture
def agent(app):
    staff = StaffClient(app.test_client())
    staff.email = make_staff(app, "agent")
    staff.sign_in(staff.email)
    return staff


def test_refund_one_seat_fee_quote_then_confirm(seated, supervisor):
    line = seat_line(seated)
    page = supervisor.get(f"/staff/bookings/{seated.reference}").get_data(as_text=True)
    assert f'<input type="checkbox" name="line" value="{line.id}"' in page
    quote = supervisor.get(f"/staff/bookings/{seated.reference}/refund?line={line.id}")
    html = quote.get_data(as_text=True)
    assert quote.status_code == 200 and "$18.00" in html and line.description in html
    assert "will be cancelled" not in html
    assert stripe_refunds(seated) == []  # a quote moves no money
    fields = confirm_fields(html)
    assert fields["amount"] == "1800" and fields["line_ids"] == str(line.id) and re.fullmatch(r"[0-9a-f]{32}", fields["key"])
    done = supervisor.post(f"/staff/bookings/{seated.reference}/refund", fields)
    assert done.status_code == 303 and done.location == f"/staff/bookings/{seated.reference}"
    page = supervisor.get(done.location).get_data(as_text=True)
    assert "Refunded $18.00." in page and "(refunded)" in page
    assert stripe_refunds(seated) == [1800]
    db.session.refresh(seated)
    assert seated.status == "CONFIRMED"
    [entry] = audit_entries(seated, "refund")
    assert json.loads(entry.after)["lineIds"] == [line.id] and json.loads(entry.after)["reason"] == REASON
    # The same line cannot be refunded twice, even with a new quote.
    again = supervisor.get(f"/staff/bookings/{seated.reference}/refund?line={line.id}")
    assert again.status_code == 409 and "has already been refunded" in again.get_data(as_text=True)


def test_double_confirm_refunds_once(seated, supervisor):
    line = seat_line(seated)
    fields = confirm_fields(supervisor.get(f"/staff/bookings/{seated.reference}/refund?line={line.id}").get_data(as_text=True))
    first = supervisor.post(f"/staff/bookings/{seated.reference}/refund", fields)
    second = supervisor.post(f"/staff/bookings/{seated.reference}/refund", fields)
    assert first.status_code == second.status_code == 303
    assert "already been made; nothing more was refunded" in supervisor.get(second.location).get_data(as_text=True)
    assert stripe_refunds(seated) == [1800]
    assert len(audit_entries(seated, "refund")) == 1


def test_simultaneous_double_confirm_refunds_once(app, seated, supervisor):
    """Two submissions of one quote at the same moment (double click, two tabs): one refund."""
    line = seat_line(seated)
    fields = confirm_fields(supervisor.get(f"/staff/bookings/{seated.reference}/refund?line={line.id}").get_data(as_text=True))
    tabs = [supervisor.second_tab() for _ in range(2)]
    for tab in tabs:
        tab.get(f"/staff/bookings/{seated.reference}")
    start, codes = threading.Barrier(2), []

    def submit(tab):
        start.wait()
        codes.append(tab.post(f"/staff/bookings/{seated.reference}/refund", {**fields, "csrf_token": tab.csrf}).status_code)

    threads = [threading.Thread(target=submit, args=(tab,)) for tab in tabs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert codes == [303, 303]
    assert stripe_refunds(seated) == [1800]
    assert db.session.execute(select(func.count()).select_from(Refund).where(Refund.booking_id == seated.id)).scalar() == 1


def test_full_refund_cancels_the_booking(seated, supervisor):
    line = seat_line(seated)
    supervisor.post(f"/staff/bookings/{seated.reference}/refund", confirm_fields(
        supervisor.get(f"/staff/bookings/{seated.reference}/refund?line={line.id}").get_data(as_text=True)))
    quote = supervisor.get(f"/staff/bookings/{seated.reference}/refund?full=1").get_data(as_text=True)
    left = seated.total_amount - 1800
    fields = confirm_fields(quote)
    assert fields["amount"] == str(left) and fields["full"] == "1" and "will be cancelled" in quote
    assert str(line.id) not in fields["line_ids"].split(",")  # the seat line was refunded already
    done = supervisor.post(f"/staff/bookings/{seated.reference}/refund", {**fields, "reason": "flight no longer needed"})
    assert "The booking is cancelled." in supervisor.get(done.location).get_data(as_text=True)
    assert sorted(stripe_refunds(seated)) == sorted([1800, left])
    booking = db.session.get(Booking, seated.id)
    db.session.refresh(booking)
    assert booking.status == "CANCELLED"
    assert db.session.execute(select(OutboxEmail).where(OutboxEmail.booking_id == booking.id,
                                                        OutboxEmail.kind == "cancellation")).scalar_one()
    assert "flight no longer needed" in booking.refunds[-1].reason
    # Nothing is left to refund.
    nothing = supervisor.get(f"/staff/bookings/{seated.reference}/refund?full=1")
    assert nothing.status_code == 409 and "already been refunded" in nothing.get_data(as_text=True)


def test_never_more_than_paid_minus_refunded(seated, supervisor):
    # Most of the money went back another way (a refund made in Stripe's dashboard, say).
    fulfilment.reserve_refund(seated, seated.paid_attempt, seated.total_amount - 500, "dashboard", "stripe",
                              seated.paid_attempt.created_at, idempotency_key=f"dash-{seated.id}")
    fulfilment.send_refunds("stripe")
    line = seat_line(seated)  # $18.00, but only $5.00 is left
    refused = supervisor.get(f"/staff/bookings/{seated.reference}/refund?line={line.id}")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "more than the $5.00 still refundable" in html
    assert 'checked' in html.split(f'value="{line.id}"')[1][:40]  # the choice is kept
    # A tampered confirm (amount over what is left) is refused too, and nothing moves.
    key = "b" * 32
    tampered = supervisor.post(f"/staff/bookings/{seated.reference}/refund",
                               {"amount": str(seated.total_amount), "line_ids": "", "full": "1", "key": key,
                                "reason": REASON})
    assert tampered.status_code == 409 and "Please review the new quote" in tampered.get_data(as_text=True)
    assert stripe_refunds(seated) == [seated.total_amount - 500]
    with pytest.raises(ActionRefused, match="more than"):
        refunds.quote_refund(seated, [line.id], full=False)


def test_bad_refund_input_is_a_clear_4xx(seated, supervisor):
    url = f"/staff/bookings/{seated.reference}/refund"
    nothing_ticked = supervisor.get(url)
    assert nothing_ticked.status_code == 422 and "Tick the price lines" in nothing_ticked.get_data(as_text=True)
    assert supervisor.get(url + "?line=abc").status_code == 422
    assert supervisor.get(url + "?line=999999").status_code == 422
    missing_key = supervisor.post(url, {"amount": "1800", "line_ids": str(seat_line(seated).id), "key": ""})
    assert missing_key.status_code == 422 and "The refund key is missing." in missing_key.get_data(as_text=True)
    assert supervisor.get("/staff/bookings/FLY2A-ZZZZZZ/refund?full=1").status_code == 404
    # A reason too long: the quote comes back with what was typed, nothing refunded.
    fields = confirm_fields(supervisor.get(f"{url}?line={seat_line(seated).id}").get_data(as_text=True))
    too_long = supervisor.post(url, {**fields, "reason": "x" * 151})
    html = too_long.get_data(as_text=True)
    assert too_long.status_code == 422 and "Use at most 150 characters." in html
    assert 'value="' + "x" * 151 + '"' in html and f'value="{fields["key"]}"' in html
    assert stripe_refunds(seated) == []


def test_a_refund_needs_a_reason_and_an_empty_one_keeps_the_quote(seated, supervisor):
    url = f"/staff/bookings/{seated.reference}/refund"
    fields = confirm_fields(supervisor.get(f"{url}?line={seat_line(seated).id}").get_data(as_text=True), reason="   ")
    answer = supervisor.post(url, fields)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "Say why this refund is made: the reason is kept in the audit trail." in html
    assert f'value="{fields["key"]}"' in html and "Confirm refund" in html  # the same quote, to confirm with a reason
    assert stripe_refunds(seated) == [] and audit_entries(seated, "refund") == []


def test_a_partial_refund_tells_the_traveller_by_email(seated, supervisor, smtp_inbox):
    from checkout.notifications import send_due
    line = seat_line(seated)
    url = f"/staff/bookings/{seated.reference}/refund"
    supervisor.post(url, confirm_fields(supervisor.get(f"{url}?line={line.id}").get_data(as_text=True)))
    send_due()  # the booking's confirmation, then the refund's news
    [message] = [m for m in smtp_inbox.to(seated.contact_email) if "refunded" in m["Subject"]]
    body = message.get_content()
    assert message["Subject"] == f"$18.00 refunded for booking {seated.reference}"
    assert "We are refunding $18.00 to your Visa ending in 4242." in body
    assert "It stays confirmed, and your e-ticket is still valid for travel." in body
    assert REASON not in body  # the reason is for the audit trail, not the traveller


def test_unpaid_booking_has_nothing_to_refund(app_ctx, supervisor):
    booking = pending_booking()
    response = supervisor.get(f"/staff/bookings/{booking.reference}/refund?full=1")
    assert response.status_code == 409 and "Nothing has been paid" in response.get_data(as_text=True)


def test_agents_cannot_refund_or_cancel(seated, agent):
    page = agent.get(f"/staff/bookings/{seated.reference}").get_data(as_text=True)
    assert "Resend confirmation" in page
    assert "Quote refund" not in page and "Full refund" not in page and "Cancel booking" not in page
    line = seat_line(seated)
    base = f"/staff/bookings/{seated.reference}"
    assert agent.get(f"{base}/refund?line={line.id}").status_code == 403
    assert agent.post(f"{base}/refund", {"amount": "1800", "line_ids": str(line.id), "key": "c" * 32}).status_code == 403
    assert agent.get(f"{base}/cancel").status_code == 403
    assert agent.post(f"{base}/cancel", {"expected_refund": "0"}).status_code == 403
    assert stripe_refunds(seated) == []
    db.session.refresh(seated)
    assert seated.status == "CONFIRMED"


def test_supervisor_sees_refund_and_cancel(seated, supervisor):
    page = supervisor.get(f"/staff/bookings/{seated.reference}").get_data(as_text=True)
    assert "Quote refund" in page and "Full refund" in page and "Cancel booking" in page


def test_cancel_per_the_fare_rules_quote_then_confirm(seated, supervisor):
    taxes = sum(line.amount for line in seated.price_lines if line.kind == "tax")
    quote = supervisor.get(f"/staff/bookings/{seated.reference}/cancel")
    html = quote.get_data(as_text=True)
    assert quote.status_code == 200 and "taxes_only" in html and f'data-amount="{taxes}"' in html
    # A quote that no longer holds is refused.
    stale = supervisor.post(f"/staff/bookings/{seated.reference}/cancel", {"expected_refund": str(taxes + 1)})
    assert stale.status_code == 409 and "changed since it was quoted" in stale.get_data(as_text=True)
    done = supervisor.post(f"/staff/bookings/{seated.reference}/cancel", {"expected_refund": str(taxes)})
    assert done.status_code == 303
    assert f"Booking cancelled; ${taxes / 100:,.2f} refunded." in supervisor.get(done.location).get_data(as_text=True)
    assert stripe_refunds(seated) == [taxes]
    booking = db.session.get(Booking, seated.id)
    db.session.refresh(booking)
    assert booking.status == "CANCELLED"
    [entry] = audit_entries(booking, "cancel")
    assert entry.actor == supervisor.email
    assert json.loads(entry.before)["status"] == "CONFIRMED"
    after = json.loads(entry.after)
    assert (after["status"], after["refundAmount"], after["refunded"]) == ("CANCELLED", taxes, taxes)
    again = supervisor.get(f"/staff/bookings/{seated.reference}/cancel")
    assert again.status_code == 409 and "already cancelled" in again.get_data(as_text=True)


def test_resend_confirmation_queues_a_new_email_each_time_and_is_audited(seated, agent):
    for n in (1, 2):
        response = agent.post(f"/staff/bookings/{seated.reference}/resend")
        assert response.status_code == 303
    assert "The confirmation email is queued to ada@example.com." in agent.get(response.location).get_data(as_text=True)
    keys = db.session.execute(select(OutboxEmail.dedupe_key).where(
        OutboxEmail.booking_id == seated.id, OutboxEmail.kind == "confirmation").order_by(OutboxEmail.id)).scalars().all()
    assert keys == [f"confirmation:{seated.id}", f"confirmation:{seated.id}:resend:1", f"confirmation:{seated.id}:resend:2"]
    entries = audit_entries(seated, "resend_confirmation")
    assert [e.actor for e in entries] == [agent.email, agent.email]
    assert json.loads(entries[1].after)["emailKey"] == f"confirmation:{seated.id}:resend:2"
    assert json.loads(entries[0].before)["status"] == "CONFIRMED"


def test_resend_only_for_confirmed_bookings(app_ctx, agent):
    booking = pending_booking()
    response = agent.post(f"/staff/bookings/{booking.reference}/resend")
    assert response.status_code == 409 and "Only a confirmed booking" in response.get_data(as_text=True)
    assert "Resend confirmation" not in agent.get(f"/staff/bookings/{booking.reference}").get_data(as_text=True)


def test_the_audit_trail_says_who_when_what_before_and_after(seated, supervisor):
    line = seat_line(seated)
    supervisor.post(f"/staff/bookings/{seated.reference}/refund", confirm_fields(
        supervisor.get(f"/staff/bookings/{seated.reference}/refund?line={line.id}").get_data(as_text=True)))
    [entry] = audit_entries(seated, "refund")
    refund = db.session.execute(select(Refund).where(Refund.booking_id == seated.id)).scalar_one()
    before, after = json.loads(entry.before), json.loads(entry.after)
    assert entry.actor == supervisor.email and entry.at >= refund.created_at
    assert before["refunded"] == 0 and after["refunded"] == 1800
    assert after["amount"] == 1800 and after["stripeRefundId"] == refund.stripe_refund_id
    assert after["refundId"] == refund.id and after["lineIds"] == [line.id] and after["cancelled"] is False
    # Stored in minor units, like every amount in the database; the timeline shows it as money.
    assert entry.detail == f"Refunded 1800 USD: {line.description}"
    timeline = supervisor.get(f"/staff/bookings/{seated.reference}").get_data(as_text=True).split('id="timeline-title"')[1]
    assert f"Refunded $18.00: {line.description}" in timeline and "1800 USD" not in timeline
    assert refund.created_by == supervisor.email and refund.idempotency_key.startswith("staff-")


def test_the_timeline_has_transitions_payments_webhooks_emails_and_staff_actions(app, seated, supervisor, client):
    intent = seated.paid_attempt.payment_intent_id
    # Stripe tells us about the payment too (a duplicate of what reconcile already did).
    evt = stripe_event("payment_intent.succeeded", payment_intent_object(intent, "succeeded", seated.total_amount,
                                                                         seated.reference))
    assert post_event(app.test_client(), evt).status_code == 200
    supervisor.post(f"/staff/bookings/{seated.reference}/resend")
    html = supervisor.get(f"/staff/bookings/{seated.reference}").get_data(as_text=True)
    timeline = html[html.index('id="timeline-title"'):]
    kinds = re.findall(r'data-kind="(\w+)"', timeline)
    assert {"status", "payment", "webhook", "email", "staff"} <= set(kinds)
    assert "Status pending payment → confirmed" in timeline and "Payment attempt 1 succeeded" in timeline
    assert "Webhook payment_intent.succeeded: processed" in timeline
    assert "Email confirmation" in timeline and "Resend confirmation" in timeline and supervisor.email in timeline
    times = re.findall(r'<time datetime="([^"]+)"', timeline)
    assert times == sorted(times)
    # Everything about the booking is on the page.
    for words in ("FA200", "Ada Lovelace", seat_line(seated).description, "ada@example.com", "Visa •••• 4242",
                  intent, "Accepted notices", "2026-11-01", "Fare rules", "Conditions of carriage"):
        assert words in html, words


def test_a_refund_stripe_refuses_is_recorded_flagged_and_can_be_tried_again(seated, supervisor, monkeypatch):
    line = seat_line(seated)
    url = f"/staff/bookings/{seated.reference}/refund"
    fields = confirm_fields(supervisor.get(f"{url}?line={line.id}").get_data(as_text=True))

    def refuse(**kwargs):  # a refusal (not a timeout, which stays pending: test_refunds_outside_the_lock.py)
        raise gateway.GatewayRejected("Payment could not be set up.")

    with monkeypatch.context() as patch:
        patch.setattr(gateway, "create_refund", refuse)
        failed = supervisor.post(url, fields)
    assert failed.status_code == 409 and "Nothing was refunded" in failed.get_data(as_text=True)
    booking = db.session.get(Booking, seated.id)
    db.session.refresh(booking)
    assert [r.status for r in booking.refunds] == ["failed"] and "failed" in booking.attention_reason
    [entry] = audit_entries(booking, "refund_failed")
    assert entry.actor == supervisor.email
    # The same quote again is refused plainly; a new quote for the same line works.
    assert supervisor.post(url, fields).status_code == 409
    retry = confirm_fields(supervisor.get(f"{url}?line={line.id}").get_data(as_text=True))
    assert supervisor.post(url, retry).status_code == 303
    assert stripe_refunds(seated) == [1800]
