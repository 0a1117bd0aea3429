"""POST /api/bookings holds seats for 15 minutes per call: calls are limited per address, and
open holds (unpaid bookings whose hold has not expired) are capped per address and per email."""
import itertools
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from checkout.clock import utcnow
from checkout.extensions import db
from checkout.models import Booking
from config import Config
from tests.http.test_api import _accepted, _offer, _passenger

_addresses = (f"10.99.{i // 250}.{i % 250 + 1}" for i in itertools.count())


def _client(app, address=None):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address or next(_addresses)
    return client


def _body(client, email):
    return {"offerId": _offer(client)["offerId"], "passengers": [_passenger()],
            "contact": {"email": email, "phone": "+44 20 7946 0958"}, "acknowledgements": _accepted(client)}


def test_the_default_is_ten_calls_a_minute_per_address_then_a_json_429(app, monkeypatch):
    # The suite raises the per-minute figure (its tests share one address); this is the real one.
    assert Config.API_BOOKINGS_PER_MINUTE == 10
    monkeypatch.setitem(app.config, "API_BOOKINGS_PER_MINUTE", Config.API_BOOKINGS_PER_MINUTE)
    client = _client(app)
    answers = [client.post("/api/bookings", json={"offerId": "off_0"}).status_code for _ in range(11)]
    assert answers == [422] * 10 + [429]
    limited = client.post("/api/bookings", json={"offerId": "off_0"})
    assert limited.status_code == 429 and 0 < int(limited.headers["Retry-After"]) <= 60
    error = limited.get_json()["error"]
    assert error["code"] == "too_many_requests" and "a minute" in error["message"]
    assert _client(app).post("/api/bookings", json={"offerId": "off_0"}).status_code == 422  # another address


def test_five_open_holds_per_address_then_429_until_one_is_paid_or_lapses(app):
    assert Config.API_OPEN_HOLDS_PER_ADDRESS == 5
    client = _client(app)
    created = [client.post("/api/bookings", json=_body(client, f"holder{n}@example.com")) for n in range(5)]
    assert [r.status_code for r in created] == [201] * 5
    refused = client.post("/api/bookings", json=_body(client, "holder5@example.com"))
    assert refused.status_code == 429
    assert 800 < int(refused.headers["Retry-After"]) <= 900  # when the oldest hold lapses
    error = refused.get_json()["error"]
    assert error["code"] == "too_many_holds" and "5 unpaid bookings" in error["message"]
    with app.app_context():
        assert db.session.execute(select(Booking).where(Booking.contact_email == "holder5@example.com")).first() is None
        # A lapsed hold no longer counts.
        db.session.execute(update(Booking).where(Booking.id == created[0].get_json()["bookingId"])
                           .values(hold_expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert client.post("/api/bookings", json=_body(client, "holder5@example.com")).status_code == 201


def test_five_open_holds_per_email_whatever_the_address(app):
    assert Config.API_OPEN_HOLDS_PER_EMAIL == 5
    for _ in range(5):
        client = _client(app)
        assert client.post("/api/bookings", json=_body(client, "Ada@Example.com")).status_code == 201
    client = _client(app)
    refused = client.post("/api/bookings", json=_body(client, "ada@example.com"))
    assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "too_many_holds"
    assert "this email" in refused.get_json()["error"]["message"]
    assert int(refused.headers["Retry-After"]) > 0
    assert client.post("/api/bookings", json=_body(client, "grace@example.com")).status_code == 201


def test_calls_in_flight_together_never_pass_the_cap(app):
    """Eight calls for one email at the same moment, from eight addresses: five holds, three 429s.
    Counted without a turn per email, all eight passed the check before any was stored."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier
    clients = [_client(app) for _ in range(8)]
    bodies = [_body(client, "together@example.com") for client in clients]
    start = Barrier(len(clients))

    def book(i):
        start.wait()
        return clients[i].post("/api/bookings", json=bodies[i]).status_code

    with ThreadPoolExecutor(len(clients)) as pool:
        answers = sorted(pool.map(book, range(len(clients))))
    assert answers == [201] * 5 + [429] * 3
    with app.app_context():
        held = db.session.execute(select(Booking).where(Booking.contact_email == "together@example.com")).scalars().all()
        assert len(held) == 5
