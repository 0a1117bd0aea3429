"""What support reads on the staff console (issue 11 #13): money as money on the timeline,
failed payments marked in words, the list newest booked first, the console's own frame."""
from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

import pytest

from checkout.bookings import service
from checkout.bookings.acknowledgements import ACKNOWLEDGEMENTS
from checkout.bookings.service import Contact, PassengerDetails
from checkout.catalog.search import Party
from checkout.clock import utcnow
from checkout.extensions import db
from checkout.payments import gateway
from checkout.payments import service as payments
from checkout.staff.bookings import BookingSearch, find_bookings
from tests.payments_support import bookable_flight, pay_at_stripe, pending_booking
from tests.staff_support import StaffClient, make_staff

DECLINED = "4000000000000002"
SUCCEEDS = "4242424242424242"
REFERENCE = re.compile(r"FLY2A-[A-Z2-9]{6}")


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


def _draft():
    """A draft ready to submit, through the real services (as pending_booking, without the submit)."""
    draft = service.create_draft(bookable_flight(), Party(1))
    service.save_passengers(draft, [PassengerDetails("Ada", "Lovelace", date(1985, 12, 10), "GB", "X1234567",
                                                     date(2035, 1, 1), gender="F")], Contact("ada@example.com", "+12125550100"))
    return draft


def test_the_list_is_newest_booked_first_with_the_id_breaking_ties(app_ctx, agent):
    # Drafts made in one order and booked in another: the list follows the booked time
    # (the "Booked" column), not the order the drafts were started in.
    start = utcnow().replace(microsecond=0) - timedelta(minutes=10)
    drafts = [_draft() for _ in range(4)]
    booked_after = {0: 3, 1: 1, 2: 2, 3: 2}  # minutes after `start`; drafts 2 and 3 booked at the same moment
    bookings = [service.submit(d, [a.key for a in ACKNOWLEDGEMENTS], now=start + timedelta(minutes=booked_after[i]))
                for i, d in enumerate(drafts)]
    expected = [bookings[0].reference, bookings[3].reference, bookings[2].reference, bookings[1].reference]

    html = agent.get("/staff/bookings").get_data(as_text=True)
    assert "Bookings, newest booked first" in html
    results = section(html, "booking-results")
    assert re.findall(r">(" + REFERENCE.pattern + r")</a>", results) == expected
    booked_column = re.findall(r'<time datetime="([^"]+)"', results)
    assert booked_column == sorted(booked_column, reverse=True)

    # Keyset pages in the same order: nothing repeated, nothing skipped, ties included.
    first = find_bookings(BookingSearch(), limit=2)
    second = find_bookings(BookingSearch(), after=first.next_after, limit=2)
    assert [b.reference for b in first.bookings + second.bookings] == expected
    assert second.next_after is None
    # The next-page link carries the last row's id, and that page continues from it.
    db.session.expire_all()
    assert [b.reference for b in find_bookings(BookingSearch(), after=bookings[3].id).bookings] == expected[2:]


def test_staff_pages_have_the_staff_header_not_the_travellers(app, agent, client):
    with app.app_context():
        booking_reference = pending_booking().reference
    for url in ("/staff/bookings", f"/staff/bookings/{booking_reference}", "/staff/dashboard", "/staff/two-factor"):
        html = agent.get(url).get_data(as_text=True)
        assert 'class="site-header"' not in html and "Manage my booking" not in html, url
        assert 'class="site-footer"' not in html and "Prices include all taxes and fees" not in html, url
        header = html[html.index('<header class="staff-header">'):].split("</header>")[0]
        for words in ("Fly2Any", ">Bookings</a>", ">Dashboard</a>", "Signed in as", ">Sign out</button>"):
            assert words in header, (url, words)
        assert '<body class="staff"' in html
    # Signed out, the sign-in page has the console's frame too, without the signed-in parts.
    signed_out = app.test_client().get("/staff/login").get_data(as_text=True)
    assert '<header class="staff-header">' in signed_out and 'class="site-header"' not in signed_out
    assert "Sign out" not in signed_out
    # The traveller's pages keep their own header.
    home = client.get("/").get_data(as_text=True)
    assert 'class="site-header"' in home and "staff-header" not in home


def test_a_refund_reason_staff_typed_is_shown_as_typed(app_ctx, agent):
    """Only our own words carry minor units: "150 EUR" in a typed reason is not "€1.50"."""
    from checkout.staff.refunds import confirm_refund, quote_refund
    booking = pending_booking()
    started = payments.start_payment(booking.id)
    pay_at_stripe(started.attempt.payment_intent_id, SUCCEEDS)
    payments.reconcile(started.attempt.payment_intent_id)
    line = booking.price_lines[-1]
    quote = quote_refund(booking, [line.id], full=False)
    confirm_refund(booking.id, [line.id], False, quote.amount, quote.key, "agent@fly2any.test",
                   reason="goodwill 150 EUR promised by phone")
    timeline = text_of(section(agent.get(f"/staff/bookings/{booking.reference}").get_data(as_text=True),
                               "timeline-title"))
    assert "goodwill 150 EUR promised by phone" in timeline
    assert "€1.50" not in timeline
