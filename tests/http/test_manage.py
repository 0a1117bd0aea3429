"""Manage my booking: look-up (and its limits), the booking page, e-ticket, contact change,
and cancellation as quote -> confirm, against localstripe."""
import itertools
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from checkout import manage
from checkout.clock import utcnow
from checkout.extensions import db
from checkout.models import AuditEntry, Booking, Flight, OutboxEmail
from checkout.payments import gateway
from tests.conftest import csrf_from
from tests.manage_support import far_flight  # noqa: F401 (a fixture)
from tests.conftest import Checkout
from tests.manage_support import confirmed_booking
from tests.payments_support import pending_booking
from tests.seats_support import free_seat

NOT_FOUND = "We couldn&#39;t find a booking with those details."
_addresses = (f"10.77.{i // 250}.{i % 250 + 1}" for i in itertools.count())


@pytest.fixture
def address():
    """Each test looks up from its own address, so the per-address limit is its own."""
    return next(_addresses)


def lookup(checkout, reference, secret, address):
    checkout.get("/manage", environ_base={"REMOTE_ADDR": address})
    return checkout.post("/manage", {"reference": reference, "secret": secret}, environ_base={"REMOTE_ADDR": address})


def _booking(app, **kwargs):
    with app.app_context():
        booking = confirmed_booking(**kwargs)
        return booking.id, booking.reference, booking.total_amount


def test_the_form_has_the_labels_a_traveller_looks_for(client):
    html = client.get("/manage").get_data(as_text=True)
    assert ">Booking reference</label>" in html and ">Last name or email</label>" in html
    assert ">Find my booking</button>" in html


def test_find_by_reference_and_last_name_then_see_the_booking(checkout, app, far_flight, address):
    with app.app_context():
        seat = free_seat(db.session.get(Flight, far_flight))
    _, reference, total = _booking(app, far=True, seat=seat)
    response = lookup(checkout, reference, "lovelace", address)
    assert response.status_code == 303 and response.location == f"/manage/{reference}"
    html = checkout.get(f"/manage/{reference}").get_data(as_text=True)
    assert "Confirmed" in html and reference in html
    assert "departs 08:15 local" in html  # JFK local time, not UTC
    assert f"Ada Lovelace (adult), seat {seat}" in html
    assert f"Amount paid: <strong>${total // 100:,}.{total % 100:02d}</strong> with Visa ending in 4242" in html
    assert "Download e-ticket" in html and ">Cancel booking</button>" in html
    assert 'value="ada@example.com"' in html and 'value="+12125550100"' in html  # the contact form, filled in


def test_find_by_reference_and_email_in_any_case_and_spacing(checkout, app, address):
    _, reference, _ = _booking(app, far=False)
    response = lookup(checkout, f"  {reference.lower()} ", " ADA@Example.com ", address)
    assert response.status_code == 303 and response.location == f"/manage/{reference}"
    # The six characters alone are enough.
    assert lookup(checkout, reference[-6:], "Lovelace", address).status_code == 303


def test_a_wrong_reference_name_or_email_all_get_the_same_answer_and_keep_the_input(checkout, app, address):
    _, reference, _ = _booking(app, far=False)
    answers = [lookup(checkout, "FLY2A-ZZZZZZ", "Lovelace", address),
               lookup(checkout, reference, "Babbage", address),
               lookup(checkout, reference, "eve@example.com", address)]
    assert [a.status_code for a in answers] == [422, 422, 422]
    for answer in answers:
        html = answer.get_data(as_text=True)
        assert NOT_FOUND in html
    assert 'value="Babbage"' in answers[1].get_data(as_text=True)
    assert f'value="{reference}"' in answers[1].get_data(as_text=True)
    # The page is the same but for what was typed and the CSRF token, which is signed with the
    # second it was made in (it appears in the meta tag, the form and data-hx-headers).
    def typed_and_token_removed(html: str) -> str:
        return re.sub(r'value="[^"]*"', "", html.replace(csrf_from(html), ""))

    strip = [typed_and_token_removed(a.get_data(as_text=True)) for a in answers]
    assert strip[0] == strip[1] == strip[2]


def test_empty_fields_are_422_with_a_message_each(checkout, address):
    checkout.get("/manage")
    response = checkout.post("/manage", {"reference": "", "secret": ""}, environ_base={"REMOTE_ADDR": address})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter your booking reference" in html and "Enter the last name of a passenger" in html


def test_one_traveller_never_sees_another_travellers_booking(checkout, app, address):
    _, mine, _ = _booking(app, far=False)
    _, theirs, _ = _booking(app, far=False)
    for url in (f"/manage/{theirs}", f"/manage/{mine}", f"/manage/{theirs}/e-ticket.pdf", f"/manage/{theirs}/cancel"):
        response = checkout.get(url)
        assert response.status_code == 303 and response.location.startswith("/manage?reference=")
    assert lookup(checkout, mine, "Lovelace", address).status_code == 303
    assert checkout.get(f"/manage/{mine}").status_code == 200
    for url in (f"/manage/{theirs}", f"/manage/{theirs}/e-ticket.pdf", f"/manage/{theirs}/cancel", "/manage/FLY2A-ZZZZZZ"):
        assert checkout.get(url).status_code == 303
    for url in (f"/manage/{theirs}/cancel", f"/manage/{theirs}/contact"):
        assert checkout.post(url, {"expected_refund": "0", "email": "eve@example.com", "phone": "+12125550100"}).status_code == 303
    with app.app_context():
        other = db.session.execute(select(Booking).where(Booking.reference == theirs)).scalar_one()
        assert other.status == "CONFIRMED" and other.contact_email == "ada@example.com"
    # Another browser does not inherit the proof.
    assert app.test_client().get(f"/manage/{mine}").status_code == 303


def test_look_ups_are_limited_per_address(checkout, address):
    answers = [lookup(checkout, f"FLY2A-RATE{n:02d}", "Lovelace", address).status_code for n in range(11)]
    assert answers == [422] * 10 + [429]
    limited = lookup(checkout, "FLY2A-RATE99", "Lovelace", address)
    assert limited.status_code == 429 and "Too many look-ups" in limited.get_data(as_text=True)
    assert lookup(checkout, "FLY2A-RATE99", "Lovelace", next(_addresses)).status_code == 422  # another address


def test_wrong_guesses_lock_the_guessing_address_not_the_booking(checkout, app, monkeypatch):
    """Five wrong guesses from one address refuse that address (even with the right name) for
    an hour; the owner, from their own address, still gets in with the right last name."""
    _, reference, _ = _booking(app, far=False)
    guesser = next(_addresses)
    for _ in range(5):
        assert lookup(checkout, reference, "Babbage", guesser).status_code == 422
    refused = lookup(checkout, reference, "Lovelace", guesser)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 429 and "from your network" in html and NOT_FOUND not in html
    assert 3000 < int(refused.headers["Retry-After"]) <= 3600
    owner = Checkout(app.test_client())
    assert lookup(owner, reference, "Lovelace", next(_addresses)).status_code == 303
    # The guesser may try again an hour after its first failure.
    later = utcnow() + timedelta(minutes=61)
    monkeypatch.setattr(manage, "utcnow", lambda: later)
    assert lookup(checkout, reference, "Lovelace", guesser).status_code == 303


def test_many_addresses_guessing_one_reference_get_one_guess_each_and_the_owner_still_gets_in(checkout, app):
    """Past 10 wrong guesses an hour for one reference, each address gets a single guess at it;
    an address that has not guessed wrong is still checked, so the owner is never locked out."""
    _, reference, _ = _booking(app, far=False)
    botnet = [next(_addresses) for _ in range(10)]
    for address in botnet:
        assert lookup(checkout, reference, "Babbage", address).status_code == 422
    assert lookup(checkout, reference, "Lovelace", botnet[0]).status_code == 429  # even the right name
    newcomer = next(_addresses)
    assert lookup(checkout, reference, "Hopper", newcomer).status_code == 422
    assert lookup(checkout, reference, "Lovelace", newcomer).status_code == 429
    # Another reference is not affected, and the owner from a fresh address gets in.
    assert lookup(checkout, "FLY2A-ZZZZZY", "Lovelace", botnet[1]).status_code == 422
    owner = Checkout(app.test_client())
    assert lookup(owner, reference, "lovelace", next(_addresses)).status_code == 303


def test_the_e_ticket_downloads_only_while_confirmed(checkout, app, address):
    _, reference, _ = _booking(app, far=False)
    lookup(checkout, reference, "Lovelace", address)
    pdf = checkout.get(f"/manage/{reference}/e-ticket.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert f"Fly2Any-e-ticket-{reference}.pdf" in pdf.headers["Content-Disposition"]
    with app.app_context():
        pending_reference = pending_booking().reference
    lookup(checkout, pending_reference, "Lovelace", address)
    html = checkout.get(f"/manage/{pending_reference}").get_data(as_text=True)
    assert "Awaiting payment" in html and "Download e-ticket" not in html
    assert checkout.get(f"/manage/{pending_reference}/e-ticket.pdf").status_code == 409


def test_contact_change_validates_keeps_input_and_is_audited(checkout, app, address):
    booking_id, reference, _ = _booking(app, far=False)
    lookup(checkout, reference, "Lovelace", address)
    bad = checkout.post(f"/manage/{reference}/contact", {"email": "ada.king@example", "phone": "+44 20 7946 0958"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "Enter an email address like name@example.com." in html
    assert 'value="ada.king@example"' in html and 'value="+44 20 7946 0958"' in html
    good = checkout.post(f"/manage/{reference}/contact", {"email": "ada.king@example.com", "phone": "+44 20 7946 0958"})
    assert good.status_code == 303 and good.location == f"/manage/{reference}"
    html = checkout.get(f"/manage/{reference}").get_data(as_text=True)
    assert "Your contact details are updated" in html and 'value="+442079460958"' in html
    with app.app_context():
        entry = db.session.execute(select(AuditEntry).where(AuditEntry.booking_id == booking_id)).scalar_one()
        assert entry.actor == "traveller ada@example.com" and entry.action == "amend_booking"
        assert json.loads(entry.before)["contactPhone"] == "+12125550100"
        assert json.loads(entry.after)["contactEmail"] == "ada.king@example.com"


def test_a_traveller_changing_a_paid_booking_s_email_tells_the_old_address(checkout, app, address):
    booking_id, reference, _ = _booking(app, far=False)
    lookup(checkout, reference, "Lovelace", address)
    done = checkout.post(f"/manage/{reference}/contact", {"email": "ada.king@example.com", "phone": "+12125550100"})
    assert done.status_code == 303
    with app.app_context():
        notice = db.session.execute(select(OutboxEmail).where(OutboxEmail.booking_id == booking_id,
                                                              OutboxEmail.kind == "contact_changed")).scalar_one()
        assert notice.to_address == "ada@example.com" and reference in notice.subject
        assert db.session.get(Booking, booking_id).contact_email == "ada.king@example.com"


def test_cancel_within_24_hours_quote_then_confirm_refunds_everything_and_emails(checkout, app, far_flight, address):
    booking_id, reference, total = _booking(app, far=True)
    lookup(checkout, reference, "ada@example.com", address)
    amount = f"${total // 100:,}.{total % 100:02d}"
    show = checkout.get(f"/manage/{reference}").get_data(as_text=True)
    assert "You booked less than 24 hours ago" in show
    quote = checkout.get(f"/manage/{reference}/cancel")
    html = quote.get_data(as_text=True)
    assert quote.status_code == 200 and "you get everything back" in html
    assert f"Yes, cancel and refund {amount}</button>" in html
    assert f'name="expected_refund" type="hidden" value="{total}"' in html

    # A quote that no longer holds changes nothing.
    stale = checkout.post(f"/manage/{reference}/cancel", {"expected_refund": str(total - 100)})
    assert stale.status_code == 409 and "has changed since it was quoted" in stale.get_data(as_text=True)

    done = checkout.post(f"/manage/{reference}/cancel", {"expected_refund": str(total)})
    assert done.status_code == 303 and done.location == f"/manage/{reference}"
    html = checkout.get(f"/manage/{reference}").get_data(as_text=True)
    assert "Cancelled" in html and f"We are refunding {amount} to your Visa ending in 4242" in html
    assert "Download e-ticket" not in html and ">Cancel booking</button>" not in html
    with app.app_context():
        booking = db.session.get(Booking, booking_id)
        assert booking.status == "CANCELLED"
        assert [r.amount for r in gateway.list_refunds(booking.paid_attempt.payment_intent_id)] == [total]
        email = db.session.execute(select(OutboxEmail).where(OutboxEmail.booking_id == booking_id,
                                                             OutboxEmail.kind == "cancellation")).scalar_one()
        assert email.to_address == "ada@example.com" and amount in email.subject
        entry = db.session.execute(select(AuditEntry).where(AuditEntry.booking_id == booking_id,
                                                            AuditEntry.action == "cancel_booking")).scalar_one()
        assert entry.actor == "traveller ada@example.com"
    # Confirming again (a double click) refunds nothing more.
    assert checkout.post(f"/manage/{reference}/cancel", {"expected_refund": str(total)}).status_code == 303
    with app.app_context():
        booking = db.session.get(Booking, booking_id)
        assert len(gateway.list_refunds(booking.paid_attempt.payment_intent_id)) == 1
        assert db.session.execute(select(func.count()).select_from(OutboxEmail).where(
            OutboxEmail.booking_id == booking_id)).scalar() == 2  # the confirmation and one cancellation


def test_after_24_hours_a_basic_fare_quotes_taxes_only(checkout, app, far_flight, address, monkeypatch):
    with app.app_context():
        booking = confirmed_booking(far=True)
        taxes = sum(line.amount for line in booking.price_lines if line.kind == "tax")
        reference = booking.reference
    lookup(checkout, reference, "Lovelace", address)
    from checkout.bookings import cancellation
    from checkout.payments import booking_changes
    later = utcnow() + timedelta(days=2)
    monkeypatch.setattr(cancellation, "utcnow", lambda: later)
    monkeypatch.setattr(booking_changes, "utcnow", lambda: later)
    html = checkout.get(f"/manage/{reference}/cancel").get_data(as_text=True)
    assert "not refundable; taxes and fees are refunded" in html
    assert f"Yes, cancel and refund ${taxes // 100:,}.{taxes % 100:02d}</button>" in html
