"""Hardening seen from outside: the client's address behind a proxy, body size and JSON depth
limits (checkout/security.py)."""
from __future__ import annotations

import itertools

import pytest

from checkout import create_app
from checkout.extensions import db
from tests.payments_support import pending_booking

_addresses = (f"10.88.{n // 250}.{n % 250 + 1}" for n in itertools.count())
TOO_LARGE = 300 * 1024  # over the 256 KB cap
DEEP = "[" * 100_000  # 100 KB: under the cap, thousands of levels deep


@pytest.fixture
def address():
    return next(_addresses)


@pytest.fixture
def app_behind_one_proxy(app):
    """The same application and database, deployed behind one load balancer."""
    sibling = create_app("test", {**app.config, "TRUSTED_PROXY_HOPS": "1"})
    yield sibling
    with sibling.app_context():
        db.engine.dispose()


def _create_intent(client, reference, remote_addr, forwarded_for=None):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.post("/api/payments/create-intent", json={"bookingReference": reference, "email": "ada@example.com"},
                       headers=headers, environ_base={"REMOTE_ADDR": remote_addr}).status_code


# -- the client's address behind a load balancer -----------------------------------------

def test_behind_a_load_balancer_each_traveller_has_their_own_limit(app, app_behind_one_proxy):
    with app.app_context():
        first, second = pending_booking().reference, pending_booking().reference
    client = app_behind_one_proxy.test_client()
    balancer = next(_addresses)  # every request reaches us from the balancer's address
    ada = [_create_intent(client, first, balancer, "203.0.113.10") for _ in range(6)]
    bob = [_create_intent(client, second, balancer, "203.0.113.20") for _ in range(6)]
    assert ada == [200] * 5 + [429]
    assert bob == [200] * 5 + [429]


def test_behind_one_proxy_a_forged_address_in_front_of_the_real_one_is_ignored(app, app_behind_one_proxy):
    with app.app_context():
        reference = pending_booking().reference
    client = app_behind_one_proxy.test_client()
    balancer = next(_addresses)
    # The traveller sends X-Forwarded-For themselves; the balancer appends the address it saw.
    answers = [_create_intent(client, reference, balancer, f"198.51.100.{n}, 203.0.113.30") for n in range(6)]
    assert answers == [200] * 5 + [429]


def test_with_no_trusted_proxy_x_forwarded_for_is_ignored(app, client, address):
    with app.app_context():
        reference = pending_booking().reference
    answers = [_create_intent(client, reference, address, f"198.51.100.{n}") for n in range(6)]
    assert answers == [200] * 5 + [429]


# -- request size and JSON depth -------------------------------------------------------------

def test_an_oversized_json_body_is_413_with_a_json_error(client):
    response = client.post("/api/bookings", json={"offerId": "x", "padding": "a" * TOO_LARGE})
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "request_entity_too_large"


def test_an_oversized_form_is_413_with_a_page(checkout):
    checkout.select_first()
    checkout.get("/passengers")
    response = checkout.post("/passengers", {"email": "ada@example.com", "notes": "a" * TOO_LARGE})
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "<html" in html and "Request Entity Too Large" in html


def test_the_stripe_webhook_is_capped_too(client):
    response = client.post("/api/payments/webhook", data=b"{" + b" " * TOO_LARGE + b"}",
                           headers={"Stripe-Signature": "t=1,v1=0", "Content-Type": "application/json"})
    assert response.status_code == 413


@pytest.mark.parametrize("path", ["/api/bookings", "/api/payments/create-intent", "/api/payments/confirm"])
def test_deeply_nested_json_is_a_400_json_error_not_a_500(client, address, path):
    response = client.post(path, data=DEEP, content_type="application/json", environ_base={"REMOTE_ADDR": address})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_body"
