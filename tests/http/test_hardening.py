"""Hardening seen from outside: the client's address behind a proxy, body size and JSON depth
limits, and the security headers on every answer (checkout/security.py)."""
from __future__ import annotations

import itertools
import json
import logging
import re

import pytest

from checkout import create_app
from checkout.extensions import db
from tests.conftest import ACKS, Checkout
from tests.manage_support import confirmed_booking
from tests.payments_support import pending_booking
from tests.staff_support import StaffClient, make_staff

_addresses = (f"10.88.{n // 250}.{n % 250 + 1}" for n in itertools.count())
BALANCERS = "10.88.0.0/16"  # where the load balancer connects from
TOO_LARGE = 300 * 1024  # over the 256 KB cap
DEEP = "[" * 100_000  # 100 KB: under the cap, thousands of levels deep


@pytest.fixture
def address():
    return next(_addresses)


@pytest.fixture
def app_behind_one_proxy(app):
    """The same application and database, deployed behind one load balancer."""
    sibling = create_app("test", {**app.config, "TRUSTED_PROXY_HOPS": "1", "TRUSTED_PROXIES": BALANCERS})
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


def test_a_client_reaching_us_directly_cannot_choose_its_address(app_behind_one_proxy):
    """Behind a balancer (hops=1), someone who connects straight to the app, not through
    the balancer, sends a new X-Forwarded-For each time: the look-up limit keys on the
    peer's own address (before: 11 look-ups, 11 answers, no 429)."""
    checkout = Checkout(app_behind_one_proxy.test_client())
    stranger = "192.0.2.77"  # not in TRUSTED_PROXIES
    answers = []
    for n in range(11):
        forged = {"REMOTE_ADDR": stranger}
        checkout.get("/manage", environ_base=forged, headers={"X-Forwarded-For": f"198.51.100.{n + 1}"})
        answers.append(checkout.post("/manage", {"reference": f"FLY2A-PRXY{n:02d}", "secret": "Lovelace"},
                                     environ_base=forged, headers={"X-Forwarded-For": f"198.51.100.{n + 1}"}).status_code)
    assert answers == [422] * 10 + [429]


def test_through_the_balancer_each_forwarded_client_is_keyed_on_its_own(app_behind_one_proxy):
    """The same eleven look-ups arriving from the balancer's network are eleven travellers."""
    checkout = Checkout(app_behind_one_proxy.test_client())
    balancer = next(_addresses)
    answers = []
    for n in range(11):
        via = {"environ_base": {"REMOTE_ADDR": balancer}, "headers": {"X-Forwarded-For": f"203.0.113.{n + 1}"}}
        checkout.get("/manage", **via)
        answers.append(checkout.post("/manage", {"reference": f"FLY2A-PRXZ{n:02d}", "secret": "Lovelace"}, **via).status_code)
    assert answers == [422] * 11


@pytest.mark.parametrize("proxies, problem", [
    ("", "TRUSTED_PROXY_HOPS=1 needs TRUSTED_PROXIES"),
    ("10.0.0.0/8, load-balancer", "TRUSTED_PROXIES must be comma-separated networks"),
])
def test_proxy_hops_without_the_proxies_networks_refuse_to_start(app, proxies, problem):
    with pytest.raises(RuntimeError) as refused:
        create_app("test", {**app.config, "TRUSTED_PROXY_HOPS": "1", "TRUSTED_PROXIES": proxies})
    assert problem in str(refused.value)


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


# -- headers on every answer -----------------------------------------------------------------

def _csp(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: " ".join(part.split()[1:]) for part in policy.split("; ")}


@pytest.mark.parametrize("path", ["/", "/api/flights?origin=JFK", "/no-such-page", "/static/css/checkout.css",
                                  "/staff/login", "/manage"])
def test_every_answer_carries_the_security_headers(client, path):
    response = client.get(path)
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    csp = _csp(response)
    assert csp["default-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'" and csp["base-uri"] == "'none'"
    assert csp["form-action"] == "'self'" and csp["report-uri"] == "/csp-report"
    assert re.fullmatch(r"'self' 'nonce-[\w-]{20,}'", csp["script-src"])
    assert csp["connect-src"] == "'self'" and "frame-src" not in csp  # no Stripe outside the payment page
    assert "Strict-Transport-Security" not in headers  # production only (see test_production_settings)


def test_each_answer_has_its_own_nonce(client):
    nonces = {_csp(client.get("/"))["script-src"] for _ in range(3)}
    assert len(nonces) == 3


def test_pages_send_no_inline_script_or_handler(checkout, app):
    """Everything the policy would block: inline <script> without the nonce, on*= handlers."""
    checkout.select_first()
    pages = [checkout.get(url).get_data(as_text=True) for url in ("/", "/customize", "/passengers", "/manage")]
    for html in pages:
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), "an inline script"
        assert not re.search(r"\son[a-z]+\s*=", html), "an inline event handler"
        assert "style=" not in html
    config = json.loads(re.search(r"name=\"htmx-config\" content='([^']+)'", pages[0]).group(1))
    assert (config["selfRequestsOnly"], config["allowEval"], config["allowScriptTags"]) == (True, False, False)
    assert config["includeIndicatorStyles"] is False  # htmx would add an inline <style> the policy blocks


def test_the_payment_page_alone_allows_stripe(app, checkout):
    reference = checkout.to_pending()
    payment = checkout.get(f"/booking/{reference}")
    assert payment.status_code == 200 and 'id="payment-form"' in payment.get_data(as_text=True)
    csp = _csp(payment)
    # Offline (this suite): the stand-in is served from our origin and talks to localstripe.
    assert csp["script-src"].startswith("'self' 'nonce-") and "https://" not in csp["script-src"]
    assert csp["connect-src"] == f"'self' {app.config['STRIPE_API_BASE'].rstrip('/')}"
    assert csp["frame-src"] == "https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com"
    assert "frame-src" not in _csp(checkout.get("/review"))


def test_online_the_payment_page_allows_stripe_js_and_api(app, monkeypatch):
    from checkout.security import content_security_policy
    monkeypatch.setitem(app.config, "STRIPE_JS_URL", "https://js.stripe.com/v3/")
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", "")
    with app.test_request_context("/booking/FLY2A-TEST22"):
        policy = content_security_policy("n0nce", for_payment=True)
    assert "script-src 'self' 'nonce-n0nce' https://js.stripe.com https://*.js.stripe.com;" in policy
    assert "connect-src 'self' https://api.stripe.com;" in policy


def test_a_boosted_visit_to_the_payment_page_loads_it_whole(checkout):
    """htmx would swap the body without running Stripe.js (allowScriptTags: false), under the
    previous page's policy: the payment page makes the browser load it as a page."""
    reference = checkout.to_pending()
    response = checkout.get(f"/booking/{reference}", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert response.status_code == 200 and response.headers["HX-Redirect"] == f"/booking/{reference}"
    assert response.get_data() == b""


def test_a_boosted_visit_to_a_non_ascii_booking_path_is_sent_back_quoted(client):
    """The redirect to itself goes through the one redirect check: "/booking/。evil" in a header
    cannot be sent (gunicorn answers 500); quoted, it is the same path."""
    for path, expected in (("/booking/%E3%80%82evil", "/booking/%E3%80%82evil"),
                           ("/booking/FLY2A-ABCDEF?x=%C3%A9", "/booking/FLY2A-ABCDEF?x=%C3%A9")):
        response = client.get(path, headers={"HX-Request": "true", "HX-Boosted": "true"})
        assert (response.status_code, response.headers["HX-Redirect"]) == (200, expected)


def test_personal_pages_are_never_stored(app, checkout, address):
    checkout.select_first()
    answers = {"passengers": checkout.get("/passengers")}
    assert checkout.post("/passengers", checkout.passengers_form([("Ada", "Lovelace", "1985-12-10")])).status_code == 303
    answers["review"] = checkout.get("/review")
    submitted = checkout.post("/review", {f"ack_{key}": "y" for key in ACKS})
    answers["booking"] = checkout.get(submitted.location)
    with app.app_context():
        confirmed = confirmed_booking().reference
    checkout.get("/manage", environ_base={"REMOTE_ADDR": address})
    found = checkout.post("/manage", {"reference": confirmed, "secret": "Lovelace"}, environ_base={"REMOTE_ADDR": address})
    assert found.status_code == 303
    answers["manage"] = checkout.get(found.location)
    answers["e-ticket"] = checkout.get(f"/manage/{confirmed}/e-ticket.pdf")
    assert answers["e-ticket"].mimetype == "application/pdf"
    staff = StaffClient(app.test_client())
    staff.sign_in(make_staff(app))
    answers["staff booking"] = staff.get(f"/staff/bookings/{confirmed}")
    answers["api bookings"] = staff.get("/api/bookings")
    for name, response in answers.items():
        assert response.status_code == 200, name
        assert "no-store" in response.headers["Cache-Control"], name


def test_static_files_stay_cacheable(client):
    assert "no-store" not in client.get("/static/js/checkout.js").headers.get("Cache-Control", "")


# -- violation reports ----------------------------------------------------------------------

REPORT = {"csp-report": {
    "document-uri": "http://127.0.0.1/payment/return?payment_intent_client_secret=pi_1_secret_2",
    "violated-directive": "script-src-elem", "effective-directive": "script-src-elem",
    "blocked-uri": "inline", "line-number": 12, "source-file": "http://127.0.0.1/booking/FLY2A-ABCDEF",
}}


def test_a_violation_report_is_logged_without_query_strings(client, caplog, address):
    with caplog.at_level(logging.WARNING):
        response = client.post("/csp-report", data=json.dumps(REPORT), content_type="application/csp-report",
                               environ_base={"REMOTE_ADDR": address})
    assert response.status_code == 204
    [line] = [r.getMessage() for r in caplog.records if "CSP violation" in r.getMessage()]
    assert '"directive": "script-src-elem"' in line and '"blocked": "inline"' in line
    assert '"document": "http://127.0.0.1/payment/return"' in line and "secret" not in line


def test_violation_reports_are_size_capped_and_rate_limited(client, address):
    big = {"csp-report": {**REPORT["csp-report"], "script-sample": "x" * 20_000}}
    response = client.post("/csp-report", data=json.dumps(big), content_type="application/csp-report",
                           environ_base={"REMOTE_ADDR": address})
    assert response.status_code == 413
    answers = [client.post("/csp-report", data=json.dumps(REPORT), content_type="application/csp-report",
                           environ_base={"REMOTE_ADDR": address}).status_code for _ in range(60)]
    assert answers == [204] * 59 + [429]  # 60 a minute, the oversized one included
    assert client.post("/csp-report", data="not json", environ_base={"REMOTE_ADDR": next(_addresses)}).status_code == 400
