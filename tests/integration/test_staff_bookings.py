"""The staff bookings page on PostgreSQL: search by each key, filters, saved anomaly filters,
keyset pages, and a number of SQL statements that does not grow with the rows shown."""
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from checkout.clock import utcnow
from checkout.extensions import db
from checkout.models import PaymentAttempt, Refund, WebhookEvent
from checkout.staff import refunds
from checkout.staff.bookings import BookingSearch, find_bookings
from tests.payments_support import pending_booking
from tests.staff_support import StaffClient, make_staff, paid_booking

REFERENCE = re.compile(r"FLY2A-[A-Z2-9]{6}")


def shown(response) -> list[str]:
    """The references in the results table, in order."""
    html = response.get_data(as_text=True)
    table = html[html.index('id="booking-results"'):]
    rows = table.split("</table>")[0] if "<table" in table else ""
    return re.findall(r">(" + REFERENCE.pattern + r")</a>", rows)


@pytest.fixture
def agent(app, client):
    staff = StaffClient(client)
    staff.sign_in(make_staff(app, "agent"))
    return staff


def _add_attempt(booking, status="failed", last4="0002", number=None):
    now = utcnow()
    attempt = PaymentAttempt(booking_id=booking.id, number=number or len(booking.payment_attempts) + 1,
                             payment_intent_id=f"pi_seed_{booking.id}_{status}_{now.timestamp()}", status=status,
                             amount=booking.total_amount, currency=booking.currency, card_brand="visa", card_last4=last4,
                             created_at=now, updated_at=now)
    booking.payment_attempts.append(attempt)  # through the relationship: a collection already read lists it
    db.session.commit()
    return attempt


@pytest.fixture
def three_paid(app_ctx):
    """Three confirmed bookings told apart by surname, email and card last4."""
    ada, grace, alan = paid_booking(), paid_booking(), paid_booking()
    for booking, surname, email, last4 in ((grace, "Hopper", "grace.hopper@navy.test", "1111"),
                                           (alan, "Turing", "alan@bletchley.test", "2222")):
        booking.passengers[0].last_name = surname
        booking.contact_email = email
        booking.paid_attempt.card_last4 = last4
    db.session.commit()
    return ada, grace, alan


@pytest.mark.parametrize("key", ["reference", "reference_lower", "email", "email_upper", "email_prefix", "surname",
                                 "surname_lower", "last4", "payment_intent"])
def test_search_by_each_key_finds_exactly_that_booking(three_paid, agent, key):
    ada, grace, alan = three_paid
    term = {"reference": grace.reference, "reference_lower": grace.reference.lower(),
            "email": "grace.hopper@navy.test", "email_upper": "GRACE.HOPPER@NAVY.TEST", "email_prefix": "grace.ho",
            "surname": "Hopper", "surname_lower": "hopper", "last4": "1111",
            "payment_intent": grace.paid_attempt.payment_intent_id}[key]
    response = agent.get("/staff/bookings", query_string={"q": term})
    assert response.status_code == 200
    assert shown(response) == [grace.reference]


def test_search_as_you_type_answers_with_the_results_fragment(three_paid, agent):
    ada, grace, alan = three_paid
    response = agent.get("/staff/bookings?q=turing", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and 'id="booking-results"' in html
    assert shown(response) == [alan.reference]
    assert "HX-Request" in response.headers["Vary"]
    # The URL pushed into history serves the whole page.
    assert "<html" in agent.get("/staff/bookings?q=turing").get_data(as_text=True)


def test_the_search_form_works_without_javascript_and_has_the_htmx_wiring(agent):
    html = agent.get("/staff/bookings").get_data(as_text=True)
    assert '<form method="get" action="/staff/bookings"' in html
    assert '<label for="q">Search bookings</label>' in html
    field = re.search(r'<input[^>]*id="q"[^>]*>', html).group(0)
    assert 'data-hx-trigger="input changed delay:250ms, search"' in field
    assert 'data-hx-target="#booking-results"' in field and 'data-hx-push-url="true"' in field


def test_the_table_shows_what_support_needs(three_paid, agent):
    ada = three_paid[0]
    html = agent.get("/staff/bookings", query_string={"q": ada.reference}).get_data(as_text=True)
    row = html[html.index(f">{ada.reference}</a>"):].split("</tr>")[0]
    assert "Confirmed" in row and "FA200 JFK→LAX" in row
    assert ada.flight.departs_at.astimezone(ZoneInfo("America/New_York")).strftime("%-d %b %Y") in row
    assert "Ada Lovelace" in row and "ada@example.com" in row and "Visa •••• 4242" in row
    assert f"${ada.total_amount / 100:,.2f}" in row


def test_filter_by_status_and_booked_dates(app_ctx, agent):
    old, new = pending_booking(), paid_booking()
    old.submitted_at = utcnow() - timedelta(days=3)
    db.session.commit()
    today, yesterday = utcnow().date(), (utcnow() - timedelta(days=1)).date()
    assert shown(agent.get("/staff/bookings?status=CONFIRMED")) == [new.reference]
    assert shown(agent.get("/staff/bookings?status=PENDING_PAYMENT")) == [old.reference]
    assert shown(agent.get(f"/staff/bookings?booked_from={today}")) == [new.reference]
    assert shown(agent.get(f"/staff/bookings?booked_to={yesterday}")) == [old.reference]
    assert shown(agent.get(f"/staff/bookings?booked_from={today - timedelta(days=5)}&booked_to={today}")) == [
        new.reference, old.reference]


def test_bad_filters_are_422_with_a_message_and_keep_what_was_typed(agent):
    response = agent.get("/staff/bookings?q=lovelace&booked_from=2026-05-10&booked_to=2026-05-01&status=NOPE")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "“Booked to” must be on or after “Booked from”." in html and "Not a valid choice" in html
    assert 'value="lovelace"' in html and 'value="2026-05-10"' in html
    fragment = agent.get("/staff/bookings?booked_from=yesterday", headers={"HX-Request": "true"})
    assert fragment.status_code == 422 and "Booked from" in fragment.get_data(as_text=True)


def test_saved_anomaly_filters(app_ctx, agent):
    now = utcnow()
    # Paid but not confirmed: the money arrived, the booking never got it (reconcile lost).
    paid_lost = paid_booking()
    paid_lost.status = "EXPIRED"
    fine = paid_booking()
    refunded_in_full = paid_booking()
    refunds.confirm_refund(refunded_in_full.id, [], True, refunded_in_full.total_amount, "a" * 32, "sup@fly2any.test")
    # Pending past expiry, and one still within its hold.
    overdue, waiting = pending_booking(), pending_booking()
    overdue.hold_expires_at = now - timedelta(minutes=1)
    assert waiting.hold_expires_at > now
    # Needs attention: flagged, or a refund that failed.
    flagged, refund_failed = pending_booking(), paid_booking()
    flagged.attention_reason = "Late payment refunded automatically: the seats had been taken"
    db.session.add(Refund(booking_id=refund_failed.id, payment_attempt_id=refund_failed.paid_attempt.id, amount=500,
                          currency="USD", status="failed", reason="test", idempotency_key=f"seed-{refund_failed.id}",
                          created_by="test", created_at=now, updated_at=now))
    # Webhook failures: a failed event for one of its PaymentIntents (another booking's event processed).
    webhook_broken = pending_booking()
    broken_attempt = _add_attempt(webhook_broken, status="created")
    for evt_id, intent, status in (("evt_broken", broken_attempt.payment_intent_id, "failed"),
                                   ("evt_fine", fine.paid_attempt.payment_intent_id, "processed")):
        db.session.add(WebhookEvent(stripe_event_id=f"{evt_id}_{now.timestamp()}", event_type="payment_intent.succeeded",
                                    payment_intent_id=intent, status=status, error="database unavailable" if status == "failed" else None,
                                    received_at=now))
    db.session.commit()

    def filtered(name):
        return set(shown(agent.get(f"/staff/bookings?anomaly={name}")))

    assert filtered("paid_not_confirmed") == {paid_lost.reference}
    assert filtered("pending_past_expiry") == {overdue.reference}
    assert filtered("needs_attention") == {flagged.reference, refund_failed.reference}
    assert filtered("webhook_failures") == {webhook_broken.reference}
    page = agent.get("/staff/bookings?anomaly=needs_attention").get_data(as_text=True)
    assert page.count(">Needs attention</span>") == 2
    assert 'aria-current="page">Needs attention</a>' in page


def test_a_cancellation_that_kept_part_of_the_fare_is_not_an_anomaly(app_ctx):
    from checkout.payments import cancel_booking
    booking = paid_booking()
    cancel_booking(booking.id, "test")  # Basic fare: taxes back, the fare kept
    db.session.refresh(booking)
    assert booking.status == "CANCELLED" and 0 < booking.refunds[0].amount < booking.total_amount
    assert find_bookings(BookingSearch(anomaly="paid_not_confirmed")).bookings == []


@pytest.fixture
def thirty_bookings(app_ctx):
    """30 pending bookings with a card attempt each; the oldest five are the Fewsters."""
    made = [pending_booking() for _ in range(30)]
    for i, booking in enumerate(made):
        _add_attempt(booking, last4=f"{1000 + i}")
        if i < 5:
            booking.passengers[0].last_name = "Fewster"
    db.session.commit()
    return made


def test_keyset_pagination(thirty_bookings, agent):
    newest_first = [b.reference for b in reversed(thirty_bookings)]
    first = agent.get("/staff/bookings")
    assert shown(first) == newest_first[:25]
    next_link = re.search(r'<a href="([^"]+)" rel="next">Next page</a>', first.get_data(as_text=True)).group(1)
    assert next_link == f"/staff/bookings?after={thirty_bookings[5].id}"
    second = agent.get(next_link.replace("&amp;", "&"))
    assert shown(second) == newest_first[25:]
    assert 'rel="next"' not in second.get_data(as_text=True) and "First page" in second.get_data(as_text=True)
    # A new booking does not shift the second page.
    pending_booking()
    assert shown(agent.get(next_link)) == newest_first[25:]
    # Filters ride along in the next link.
    page = find_bookings(BookingSearch(status="PENDING_PAYMENT"), limit=10)
    assert len(page.bookings) == 10 and page.next_after == page.bookings[-1].id
    assert agent.get("/staff/bookings?after=abc").status_code == 422


def test_statements_do_not_grow_with_the_rows_shown(app, thirty_bookings, agent):
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    def statements_for(url):
        agent.get(url)
        db.session.remove()  # nothing already loaded: every row the page shows comes from SQL now
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            response = agent.get(url)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return response, len(statements)

    few, few_count = statements_for("/staff/bookings?q=fewster")
    many, many_count = statements_for("/staff/bookings?q=")
    assert len(shown(few)) == 5 and len(shown(many)) == 25
    assert few_count == many_count, (few_count, many_count)
    assert many_count <= 8, statements  # session, staff user, bookings and one query per eager collection
    assert "Visa •••• 1029" in many.get_data(as_text=True)  # the card column really was loaded


def test_a_search_read_key_by_key_pages_newest_first_without_gaps_or_repeats(thirty_bookings):
    """Reference, email and surname are each read a page at a time and merged: every match,
    once, newest first, across pages, with filters applied to each."""
    made = thirty_bookings
    for i, booking in enumerate(made):
        if i % 3 == 0:
            booking.passengers[0].last_name = "Keyes"
        if i % 4 == 0:
            booking.contact_email = f"keyes{i}@example.com"  # some found by both keys: listed once
    made[6].status = "EXPIRED"
    db.session.commit()
    expected = [b.id for b in reversed(made) if b.passengers[0].last_name == "Keyes"
                or b.contact_email.startswith("keyes")]
    assert len(expected) == 15
    seen, after = [], None
    while True:
        page = find_bookings(BookingSearch(text="keyes"), after=after, limit=4)
        seen += [b.id for b in page.bookings]
        if page.next_after is None:
            break
        after = page.next_after
    assert seen == expected
    filtered = find_bookings(BookingSearch(text="keyes", status="EXPIRED")).bookings
    assert [b.id for b in filtered] == [made[6].id]
    # "Needs attention" is read the same way: flagged bookings and failed refunds, merged.
    made[3].attention_reason = "Late payment refunded automatically"
    db.session.add(Refund(booking_id=made[20].id, payment_attempt_id=made[20].payment_attempts[0].id, amount=100,
                          currency="USD", status="failed", reason="test", idempotency_key="keyset-failed",
                          created_by="test", created_at=utcnow(), updated_at=utcnow()))
    made[20].attention_reason = "Refund failed"  # in both: once
    db.session.commit()
    attention = find_bookings(BookingSearch(anomaly="needs_attention"), limit=1)
    assert [b.id for b in attention.bookings] == [made[20].id] and attention.next_after == made[20].id
    rest = find_bookings(BookingSearch(anomaly="needs_attention"), after=attention.next_after, limit=1)
    assert [b.id for b in rest.bookings] == [made[3].id] and rest.next_after is None
