"""The bookings API after creation: staff list and search, one booking for staff or its
traveller, amendments with the step-2 rules, and cancellation with the refund rules."""
import itertools
import json
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from checkout.clock import utcnow
from checkout.extensions import db
from checkout.models import AuditEntry, Booking, Flight, OutboxEmail
from checkout.payments import gateway
from tests.conftest import Checkout
from tests.manage_support import far_flight  # noqa: F401 (a fixture)
from tests.manage_support import api_token, booked_days_ago, confirmed_booking, sign_in_staff
from tests.payments_support import pending_booking
from tests.seats_support import free_seat


_addresses = (f"10.88.{i // 250}.{i % 250 + 1}" for i in itertools.count())


@pytest.fixture
def client(app):
    """Each test calls from its own address: failed traveller proofs are limited per address."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = next(_addresses)
    return client


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def traveller(booking, email="ada@example.com"):
    return {"X-Booking-Reference": booking.reference, "X-Booking-Email": email}


@pytest.fixture
def token(app):
    with app.app_context():
        return api_token()


# -- who may ask ---------------------------------------------------------------------

def test_listing_needs_staff_401_with_a_bearer_challenge(client, app, token):
    for headers in ({}, bearer("f2a_not-a-real-token")):
        response = client.get("/api/bookings", headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.get_json()["error"]["code"] == "unauthorized"
    assert client.get("/api/bookings", headers=bearer(token)).status_code == 200


def test_a_staff_session_may_list(client, app):
    sign_in_staff(client, app, role="agent")
    response = client.get("/api/bookings")
    assert response.status_code == 200 and response.get_json() == {"bookings": [], "nextCursor": None}


def test_the_traveller_reads_their_booking_and_no_one_else_does(client, app, token):
    with app.app_context():
        mine = pending_booking()
        theirs = pending_booking()
        theirs.contact_email = "grace@example.com"
        db.session.commit()
        mine_id, mine_ref, theirs_id = mine.id, mine.reference, theirs.id

    response = client.get(f"/api/bookings/{mine_id}", headers={"X-Booking-Reference": mine_ref.lower(),
                                                               "X-Booking-Email": "ADA@example.com"})
    assert response.status_code == 200 and response.get_json()["bookingReference"] == mine_ref

    # Someone else's id with my proof, my id with a wrong email, an unknown id, nothing at all: one 404.
    answers = [
        client.get(f"/api/bookings/{theirs_id}", headers={"X-Booking-Reference": mine_ref, "X-Booking-Email": "ada@example.com"}),
        client.get(f"/api/bookings/{mine_id}", headers={"X-Booking-Reference": mine_ref, "X-Booking-Email": "eve@example.com"}),
        client.get(f"/api/bookings/{mine_id + 999}", headers={"X-Booking-Reference": mine_ref, "X-Booking-Email": "ada@example.com"}),
        client.get(f"/api/bookings/{theirs_id}"),
        client.put(f"/api/bookings/{theirs_id}", json={"contact": {"phone": "+44 20 7946 0958"}},
                   headers={"X-Booking-Reference": mine_ref, "X-Booking-Email": "ada@example.com"}),
        client.delete(f"/api/bookings/{theirs_id}", headers={"X-Booking-Reference": mine_ref, "X-Booking-Email": "ada@example.com"}),
    ]
    assert {r.status_code for r in answers} == {404}
    assert len({json.dumps(r.get_json(), sort_keys=True) for r in answers[:5]}) == 1

    # Staff see any booking; a bad token is told so (it reveals nothing about bookings).
    assert client.get(f"/api/bookings/{theirs_id}", headers=bearer(token)).status_code == 200
    assert client.get(f"/api/bookings/{theirs_id}", headers=bearer("f2a_wrong")).status_code == 401
    with app.app_context():
        assert db.session.get(Booking, theirs_id).status == "PENDING_PAYMENT"


def test_a_proof_in_the_url_is_refused_with_400_naming_the_headers(client, app, token):
    """A reference and email in the query string end up in access logs: only headers prove."""
    with app.app_context():
        booking = pending_booking()
        booking_id, reference, headers = booking.id, booking.reference, traveller(booking)
    for query in (f"reference={reference}&email=ada@example.com", "email=ada@example.com", f"reference={reference}"):
        for method in ("get", "put", "delete"):
            response = getattr(client, method)(f"/api/bookings/{booking_id}?{query}", json={"contact": {}})
            assert response.status_code == 400, (method, query)
            error = response.get_json()["error"]
            assert error["code"] == "proof_in_url"
            assert "X-Booking-Reference" in error["message"] and "X-Booking-Email" in error["message"]
    # Not even staff may send one; nothing was counted as a failed proof.
    assert client.get(f"/api/bookings/{booking_id}?reference={reference}", headers=bearer(token)).status_code == 400
    assert client.get(f"/api/bookings/{booking_id}", headers=headers).status_code == 200


def test_failed_traveller_proofs_are_limited_per_address_and_refuse_the_guesser(client, app, token):
    with app.app_context():
        booking = pending_booking()
        booking_id, headers = booking.id, traveller(booking)
    wrong = {**headers, "X-Booking-Email": "eve@example.com"}
    # Five wrong emails for one reference refuse this address, here and on /manage, even the right email.
    assert [client.get(f"/api/bookings/{booking_id}", headers=wrong).status_code for _ in range(5)] == [404] * 5
    refused = client.get(f"/api/bookings/{booking_id}", headers=headers)
    assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "too_many_requests"
    assert 3000 < int(refused.headers["Retry-After"]) <= 3600
    browser = Checkout(app.test_client())
    browser.get("/manage")
    response = browser.post("/manage", {"reference": headers["X-Booking-Reference"], "secret": "Lovelace"},
                            environ_base={"REMOTE_ADDR": client.environ_base["REMOTE_ADDR"]})
    assert response.status_code == 429 and "from your network" in response.get_data(as_text=True)
    # The owner, from another address, is not locked out; staff are not affected either.
    owner = app.test_client()
    owner.environ_base["REMOTE_ADDR"] = next(_addresses)
    assert owner.get(f"/api/bookings/{booking_id}", headers=headers).status_code == 200
    assert client.get(f"/api/bookings/{booking_id}", headers=bearer(token)).status_code == 200
    # Ten failed proofs from one address (any references), then 429 for that address only.
    answers = [client.get(f"/api/bookings/{booking_id}",
                          headers={"X-Booking-Reference": f"FLY2A-NOPE{n:02d}", "X-Booking-Email": "x@example.com"}).status_code
               for n in range(6)]
    assert answers == [404] * 5 + [429]
    other_address = app.test_client()
    other_address.environ_base["REMOTE_ADDR"] = next(_addresses)
    assert other_address.get(f"/api/bookings/{booking_id}",
                             headers={"X-Booking-Reference": "FLY2A-NOPE99", "X-Booking-Email": "x@example.com"}).status_code == 404


def test_detail_has_passengers_contact_price_lines_card_brand_and_last4_only_and_the_quote(client, app, far_flight):
    with app.app_context():
        seat = free_seat(db.session.get(Flight, far_flight))
        booking = confirmed_booking(far=True, seat=seat)
        booking_id, reference, total = booking.id, booking.reference, booking.total_amount
    body = client.get(f"/api/bookings/{booking_id}", headers={"X-Booking-Reference": reference,
                                                              "X-Booking-Email": "ada@example.com"}).get_json()
    assert body["status"] == "CONFIRMED" and body["amount"] == total
    assert body["passengers"] == [{"position": 0, "type": "adult", "firstName": "Ada", "lastName": "Lovelace",
                                   "passportNumber": "••••••567", "seat": seat, "checkedBags": 0}]
    assert body["contact"] == {"email": "ada@example.com", "phone": "+12125550100"}
    assert sum(line["amount"] for line in body["priceLines"]) == total
    assert all(isinstance(line["amount"], int) for line in body["priceLines"])
    assert body["payments"] == [{"status": "succeeded", "brand": "visa", "last4": "4242"}]
    assert body["refunds"] == []
    assert body["cancellation"]["allowed"] is True and body["cancellation"]["rule"] == "dot_24_hour"
    assert body["cancellation"]["refundAmount"] == total
    assert "24 hours" in body["cancellation"]["explanation"]


# -- list, filters and the cursor ----------------------------------------------------

def _make(app, count, **changes):
    with app.app_context():
        made = []
        for _ in range(count):
            booking = pending_booking()
            for key, value in changes.items():
                setattr(booking, key, value)
            made.append(booking)
        db.session.commit()
        return [(b.id, b.reference) for b in made]


def test_filters_by_status_email_reference_surname_and_submitted_date(client, app, token):
    ada = _make(app, 2)
    grace = _make(app, 1, contact_email="grace.hopper@example.com")
    with app.app_context():
        hopper = db.session.get(Booking, grace[0][0])
        hopper.passengers[0].last_name = "Hopper"
        old = db.session.get(Booking, ada[0][0])
        booked_days_ago(old, 3)
        cancelled = db.session.get(Booking, ada[1][0])
        cancelled.status = "CANCELLED"
        db.session.commit()

    def ids(query):
        response = client.get(f"/api/bookings?{query}", headers=bearer(token))
        assert response.status_code == 200, response.get_json()
        return [b["bookingId"] for b in response.get_json()["bookings"]]

    assert ids("") == [grace[0][0], ada[1][0], ada[0][0]]  # newest first
    assert ids("status=CANCELLED") == [ada[1][0]]
    assert ids("status=pending_payment,cancelled") == [grace[0][0], ada[1][0], ada[0][0]]
    assert ids("email=GRACE.HOPPER@example.com") == [grace[0][0]]
    assert ids(f"reference={ada[0][1].lower()}") == [ada[0][0]]
    assert ids("q=hopp") == [grace[0][0]]  # surname
    assert ids("q=grace.hop") == [grace[0][0]]  # email
    assert ids(f"q={ada[1][1][-4:]}") == [ada[1][0]]  # part of a reference
    assert ids("q=lovelace") == [ada[1][0], ada[0][0]]
    assert ids("q=%25") == []  # a LIKE wildcard is a literal character
    today = utcnow().date()
    assert ids(f"from={today}") == [grace[0][0], ada[1][0]]
    assert ids(f"to={today - timedelta(days=1)}") == [ada[0][0]]
    assert ids(f"from={today - timedelta(days=3)}&to={today - timedelta(days=3)}") == [ada[0][0]]
    item = client.get(f"/api/bookings?reference={grace[0][1]}", headers=bearer(token)).get_json()["bookings"][0]
    assert item["contactEmail"] == "grace.hopper@example.com" and item["leadPassenger"] == "Ada Hopper"
    assert item["bookingReference"] == grace[0][1] and isinstance(item["amount"], int)


def test_invalid_filters_are_422_with_each_field_named(client, app, token):
    response = client.get("/api/bookings?status=LOST&limit=101&cursor=%%%&from=yesterday&to=2020-13-01",
                          headers=bearer(token))
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"status", "limit", "cursor", "from", "to"}
    assert client.get("/api/bookings?limit=0", headers=bearer(token)).status_code == 422
    assert client.get("/api/bookings?from=2030-01-02&to=2030-01-01", headers=bearer(token)).status_code == 422


def test_keyset_pagination_walks_every_booking_once(client, app, token):
    made = [booking_id for booking_id, _ in _make(app, 7)]
    seen, cursor, pages = [], None, 0
    while True:
        url = "/api/bookings?limit=3" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url, headers=bearer(token)).get_json()
        seen += [b["bookingId"] for b in body["bookings"]]
        pages += 1
        cursor = body["nextCursor"]
        if cursor is None:
            break
        assert not cursor.isdigit()  # opaque
    assert pages == 3 and seen == sorted(made, reverse=True)
    # An exact multiple of the page size ends without an empty extra page.
    body = client.get("/api/bookings?limit=7", headers=bearer(token)).get_json()
    assert len(body["bookings"]) == 7 and body["nextCursor"] is None


def _statements(app, client, url, headers):
    counted = []

    def count(conn, cursor, statement, parameters, context, executemany):
        counted.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(url, headers=headers)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200
    return len(counted), len(response.get_json()["bookings"])


def test_the_number_of_sql_statements_does_not_grow_with_the_rows(client, app, token):
    last_id = _make(app, 25)[-1][0]
    with app.app_context():  # drafts are priced from their passengers: include one of those too
        from checkout.bookings import service
        from checkout.catalog.search import Party
        service.create_draft(db.session.get(Booking, last_id).flight, Party(2))
    few, rows_few = _statements(app, client, "/api/bookings?status=PENDING_PAYMENT,DRAFT&limit=5", bearer(token))
    many, rows_many = _statements(app, client, "/api/bookings?status=PENDING_PAYMENT,DRAFT&limit=25", bearer(token))
    assert (rows_few, rows_many) == (5, 25)
    assert few == many


# -- amending ------------------------------------------------------------------------

def _audit(app, booking_id, action):
    with app.app_context():
        return db.session.execute(select(AuditEntry).where(
            AuditEntry.booking_id == booking_id, AuditEntry.action == action).order_by(AuditEntry.id)).scalars().all()


def test_traveller_amends_contact_and_names_while_pending_and_it_is_audited(client, app):
    with app.app_context():
        booking = pending_booking()
        booking_id, reference = booking.id, booking.reference
    response = client.put(f"/api/bookings/{booking_id}", headers=traveller(booking),
                          json={"contact": {"email": "Ada.King@Example.com", "phone": "+44 20 7946 0958"},
                                "passengers": [{"firstName": "Augusta Ada", "lastName": "King-Noel"}]})
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["contact"] == {"email": "Ada.King@example.com", "phone": "+442079460958"}
    assert (body["passengers"][0]["firstName"], body["passengers"][0]["lastName"]) == ("Augusta Ada", "King-Noel")
    [entry] = _audit(app, booking_id, "amend_booking")
    assert entry.actor == "traveller ada@example.com"
    before, after = json.loads(entry.before), json.loads(entry.after)
    assert (before["contactEmail"], after["contactEmail"]) == ("ada@example.com", "Ada.King@example.com")
    assert (before["passengers"], after["passengers"]) == (["Ada Lovelace"], ["Augusta Ada King-Noel"])
    # The new email proves the booking from now on; the old one no longer does.
    assert client.get(f"/api/bookings/{booking_id}", headers={"X-Booking-Reference": reference,
                                                              "X-Booking-Email": "ada.king@example.com"}).status_code == 200
    assert client.get(f"/api/bookings/{booking_id}", headers={"X-Booking-Reference": reference,
                                                              "X-Booking-Email": "ada@example.com"}).status_code == 404


def test_a_partial_contact_keeps_the_other_value(client, app, token):
    with app.app_context():
        booking_id = pending_booking().id
    body = client.put(f"/api/bookings/{booking_id}", headers=bearer(token),
                      json={"contact": {"phone": "+1 (646) 555-0199"}}).get_json()
    assert body["contact"] == {"email": "ada@example.com", "phone": "+16465550199"}
    [entry] = _audit(app, booking_id, "amend_booking")
    assert entry.actor == "api token test supervisor"


def test_names_are_locked_after_payment_but_the_contact_is_not(client, app):
    with app.app_context():
        booking = confirmed_booking(far=False)
        booking_id = booking.id
        headers = traveller(booking)
    response = client.put(f"/api/bookings/{booking_id}", headers=headers,
                          json={"passengers": [{"firstName": "Eve", "lastName": "Mallory"}]})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "not_amendable"
    assert "before payment" in response.get_json()["error"]["message"]
    with app.app_context():
        assert db.session.get(Booking, booking_id).passengers[0].full_name == "Ada Lovelace"
    response = client.put(f"/api/bookings/{booking_id}", headers=headers, json={"contact": {"phone": "+44 20 7946 0958"}})
    assert response.status_code == 200 and response.get_json()["contact"]["phone"] == "+442079460958"


def _contact_notices(app, booking_id):
    with app.app_context():
        return [(e.to_address, e.subject) for e in db.session.execute(select(OutboxEmail).where(
            OutboxEmail.booking_id == booking_id, OutboxEmail.kind == "contact_changed")).scalars()]


def test_an_agent_cannot_send_a_paid_booking_s_e_ticket_elsewhere(client, app):
    """Agents (session or their own token) may change the phone of a paid booking, not the
    email its e-ticket and confirmations go to: 403, nothing changed, the attempt audited."""
    with app.app_context():
        booking = confirmed_booking(far=False)
        booking_id = booking.id
        agent_token = api_token("agent")
    console = sign_in_staff(client, app, role="agent")
    token_client = app.test_client()
    for caller, headers in ((client, console), (token_client, bearer(agent_token))):
        response = caller.put(f"/api/bookings/{booking_id}", headers=headers,
                              json={"contact": {"email": "mallory@example.com"}})
        assert response.status_code == 403
        error = response.get_json()["error"]
        assert error["code"] == "forbidden" and "supervisor" in error["message"]
    with app.app_context():
        assert db.session.get(Booking, booking_id).contact_email == "ada@example.com"
    refused = _audit(app, booking_id, "amend_refused")
    assert [e.actor for e in refused] == ["staff-agent@fly2any.test", "api token test agent"]
    assert "mallory@example.com" in refused[0].detail
    assert _contact_notices(app, booking_id) == []
    # The phone is not where the ticket goes: an agent may change it.
    response = client.put(f"/api/bookings/{booking_id}", headers=console, json={"contact": {"phone": "+44 20 7946 0958"}})
    assert response.status_code == 200 and response.get_json()["contact"]["email"] == "ada@example.com"


def test_a_supervisor_changes_a_paid_booking_s_email_and_the_old_address_is_told(client, app):
    with app.app_context():
        booking = confirmed_booking(far=False)
        booking_id, reference = booking.id, booking.reference
    console = sign_in_staff(client, app, role="supervisor")
    response = client.put(f"/api/bookings/{booking_id}", headers=console, json={"contact": {"email": "ada.king@example.com"}})
    assert response.status_code == 200 and response.get_json()["contact"]["email"] == "ada.king@example.com"
    [entry] = _audit(app, booking_id, "amend_booking")
    assert entry.actor == "staff-supervisor@fly2any.test"
    assert json.loads(entry.before)["contactEmail"] == "ada@example.com"
    assert json.loads(entry.after)["contactEmail"] == "ada.king@example.com"
    assert "ada@example.com was told" in entry.detail
    [(to, subject)] = _contact_notices(app, booking_id)
    assert to == "ada@example.com" and reference in subject
    with app.app_context():
        from checkout.notifications.sender import build_message
        email = db.session.execute(select(OutboxEmail).where(OutboxEmail.kind == "contact_changed")).scalar_one()
        text = build_message(email, utcnow()).get_content()
    assert "ad******@example.com" in text and "If you did not ask for this" in text
    # A change of the phone alone, or to the same email, tells nobody.
    client.put(f"/api/bookings/{booking_id}", headers=console,
               json={"contact": {"email": "ADA.KING@example.com", "phone": "+44 20 7946 0958"}})
    assert len(_contact_notices(app, booking_id)) == 1


def test_invalid_amendments_are_422_with_camel_case_fields_and_change_nothing(client, app):
    with app.app_context():
        booking = pending_booking()
        booking_id, headers = booking.id, traveller(booking)
    response = client.put(f"/api/bookings/{booking_id}", headers=headers, json={
        "contact": {"email": "not-an-email", "phone": "12"},
        "passengers": [{"firstName": "R2D2", "lastName": ""}]})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == {"contact.email", "contact.phone", "passengers.0.firstName", "passengers.0.lastName"}
    assert "letters" in error["fields"]["passengers.0.firstName"]
    # Wrong number of passengers, unknown keys, an empty body, a non-JSON body.
    wrong_count = client.put(f"/api/bookings/{booking_id}", headers=headers,
                             json={"passengers": [{"firstName": "A", "lastName": "B"}] * 2})
    assert wrong_count.status_code == 422 and "passengers" in wrong_count.get_json()["error"]["fields"]
    unknown = client.put(f"/api/bookings/{booking_id}", headers=headers, json={"status": "CONFIRMED"})
    assert unknown.status_code == 422 and "status" in unknown.get_json()["error"]["fields"]
    assert client.put(f"/api/bookings/{booking_id}", headers=headers, json={}).status_code == 422
    assert client.put(f"/api/bookings/{booking_id}", headers=headers, data="contact=x").status_code == 415
    with app.app_context():
        stored = db.session.get(Booking, booking_id)
        assert (stored.contact_email, stored.passengers[0].full_name) == ("ada@example.com", "Ada Lovelace")
    assert _audit(app, booking_id, "amend_booking") == []


# -- cancelling ----------------------------------------------------------------------

def _emails(app, booking_id, kind="cancellation"):
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(OutboxEmail).where(
            OutboxEmail.booking_id == booking_id, OutboxEmail.kind == kind)).scalar()


def test_cancel_within_24_hours_refunds_everything_at_stripe_and_emails(client, app, far_flight):
    with app.app_context():
        booking = confirmed_booking(far=True)
        booking_id, total, headers = booking.id, booking.total_amount, traveller(booking)
        payment_intent = booking.paid_attempt.payment_intent_id
    # A stale quote changes nothing.
    stale = client.delete(f"/api/bookings/{booking_id}?expectedRefund={total - 1}", headers=headers)
    assert stale.status_code == 409 and "changed" in stale.get_json()["error"]["message"]
    response = client.delete(f"/api/bookings/{booking_id}?expectedRefund={total}", headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"bookingId": booking_id, "status": "CANCELLED", "refundAmount": total, "currency": "USD"}
    with app.app_context():
        assert [r.amount for r in gateway.list_refunds(payment_intent)] == [total]
        assert db.session.get(Booking, booking_id).status == "CANCELLED"
    assert _emails(app, booking_id) == 1
    [entry] = _audit(app, booking_id, "cancel_booking")
    assert entry.actor == "traveller ada@example.com"
    assert json.loads(entry.before)["status"] == "CONFIRMED"
    assert (json.loads(entry.after)["status"], json.loads(entry.after)["refunded"]) == ("CANCELLED", total)
    # Again: nothing more to do, and it says so.
    again = client.delete(f"/api/bookings/{booking_id}", headers=headers)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "not_cancellable"
    with app.app_context():
        assert len(gateway.list_refunds(payment_intent)) == 1


def test_a_basic_fare_after_24_hours_refunds_taxes_only(client, app, far_flight, token):
    with app.app_context():
        booking = confirmed_booking(far=True)
        assert booking.fare_family_code == "BASIC"
        booked_days_ago(booking, 2)
        taxes = sum(line.amount for line in booking.price_lines if line.kind == "tax")
        booking_id, payment_intent = booking.id, booking.paid_attempt.payment_intent_id
    quote = client.get(f"/api/bookings/{booking_id}", headers=bearer(token)).get_json()["cancellation"]
    assert (quote["rule"], quote["refundAmount"]) == ("taxes_only", taxes)
    response = client.delete(f"/api/bookings/{booking_id}", headers=bearer(token))
    assert response.status_code == 200 and response.get_json()["refundAmount"] == taxes
    with app.app_context():
        assert [r.amount for r in gateway.list_refunds(payment_intent)] == [taxes]
    assert _emails(app, booking_id) == 1


def test_the_24_hour_window_is_measured_from_booking_with_the_clock_patched(client, app, far_flight, token, monkeypatch):
    with app.app_context():
        booking = confirmed_booking(far=True)
        booking_id, taxes = booking.id, sum(line.amount for line in booking.price_lines if line.kind == "tax")
    from checkout.bookings import cancellation
    from checkout.payments import booking_changes
    monkeypatch.setattr(cancellation, "utcnow", lambda: utcnow() + timedelta(hours=25))
    monkeypatch.setattr(booking_changes, "utcnow", lambda: utcnow() + timedelta(hours=25))
    quote = client.get(f"/api/bookings/{booking_id}", headers=bearer(token)).get_json()["cancellation"]
    assert (quote["rule"], quote["refundAmount"]) == ("taxes_only", taxes)


def test_agents_cannot_cancel_and_unpaid_bookings_cancel_without_refund(client, app):
    with app.app_context():
        booking = pending_booking()
        booking_id, headers = booking.id, traveller(booking)
        agent = api_token(role="agent")
    response = client.delete(f"/api/bookings/{booking_id}", headers=bearer(agent))
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"
    response = client.delete(f"/api/bookings/{booking_id}", headers=headers)
    assert response.status_code == 200 and response.get_json()["refundAmount"] == 0
    with app.app_context():
        assert db.session.get(Booking, booking_id).status == "CANCELLED"
    # A cancelled booking can no longer be amended.
    response = client.put(f"/api/bookings/{booking_id}", headers=headers, json={"contact": {"phone": "+44 20 7946 0958"}})
    assert response.status_code == 409


def test_a_booking_made_through_the_api_can_be_read_back_with_its_reference_and_email(client):
    from tests.http.test_api import _accepted, _offer, _passenger
    offer = _offer(client)
    response = client.post("/api/bookings", json={"offerId": offer["offerId"], "passengers": [_passenger()],
                                                  "contact": {"email": "ada@example.com", "phone": "+44 20 7946 0958"},
                                                  "acknowledgements": _accepted(client)})
    assert response.status_code == 201
    body = response.get_json()
    detail = client.get(f"/api/bookings/{body['bookingId']}",
                        headers={"X-Booking-Reference": body["bookingReference"], "X-Booking-Email": "ada@example.com"})
    assert detail.status_code == 200 and detail.get_json()["cancellation"]["rule"] == "unpaid"


# -- the staff console's cookie is not enough for another site ----------------------------

def test_another_site_cannot_cancel_or_amend_with_a_supervisor_s_cookie(client, app):
    """The probe's call: DELETE with a supervisor's session cookie, text/plain, Origin
    evil.example and no token answered 200 and cancelled the booking. Now 403 and nothing
    changes, for a cross-site Origin, no Origin, or a missing or wrong token."""
    with app.app_context():
        booking_id = confirmed_booking().id
    console = sign_in_staff(client, app, role="supervisor")
    evil = {"Origin": "http://evil.example", "Content-Type": "text/plain"}
    refused = [
        client.delete(f"/api/bookings/{booking_id}", headers=evil, data="x"),
        client.delete(f"/api/bookings/{booking_id}", headers={**console, "Origin": "http://evil.example"}),
        client.delete(f"/api/bookings/{booking_id}", headers={"X-CSRFToken": console["X-CSRFToken"]}),
        client.delete(f"/api/bookings/{booking_id}", headers={"Origin": console["Origin"]}),
        client.delete(f"/api/bookings/{booking_id}", headers={**console, "X-CSRFToken": "forged"}),
        client.put(f"/api/bookings/{booking_id}", headers=evil, data=json.dumps({"contact": {"email": "eve@example.com"}})),
        client.put(f"/api/bookings/{booking_id}", headers={"Origin": "http://evil.example"},
                   json={"contact": {"email": "eve@example.com"}}),
    ]
    for response in refused:
        assert response.status_code == 403
        error = response.get_json()["error"]
        assert error["code"] == "csrf_failed" and "X-CSRFToken" in error["message"]
    with app.app_context():
        booking = db.session.get(Booking, booking_id)
        assert (booking.status, booking.contact_email) == ("CONFIRMED", "ada@example.com")
        assert booking.refunds == []
    # Reading is still fine with the cookie alone (no other site can read the answer) ...
    assert client.get(f"/api/bookings/{booking_id}").get_json()["status"] == "CONFIRMED"
    # ... and the console's own call, with its token and Origin, cancels.
    response = client.delete(f"/api/bookings/{booking_id}", headers=console)
    assert response.status_code == 200 and response.get_json()["status"] == "CANCELLED"


def test_a_bearer_token_needs_no_csrf_token_and_wins_over_a_cookie(client, app):
    with app.app_context():
        booking_id = confirmed_booking().id
        agent_token = api_token("agent")
    sign_in_staff(client, app, role="supervisor")
    # The agent's token is the credential, not the supervisor's cookie beside it: agents cannot cancel.
    response = client.delete(f"/api/bookings/{booking_id}", headers=bearer(agent_token))
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"
    response = client.put(f"/api/bookings/{booking_id}", headers={**bearer(agent_token), "Origin": "http://evil.example"},
                          json={"contact": {"phone": "+44 20 7946 0958"}})
    assert response.status_code == 200 and response.get_json()["contact"]["phone"] == "+442079460958"
