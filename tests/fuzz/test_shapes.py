"""Shapes the schema and form generators do not make on their own, sent to every route of the
app (issue 16, findings 8, 10 and 11):

- header values with bytes outside ASCII (a server hands them to us decoded as Latin-1) in
  Stripe-Signature, HX-Request, X-CSRFToken, Origin, Host, Cookie and others, on every route;
- JSON bodies nested around and far past the 32-level limit, NaN, 1e400, arrays and scalars,
  on every route that takes a body;
- variants of the redirect targets `back` (POST /booking/extend-hold) and `next` (staff).

None may be a 5xx or show our insides. Generated with Hypothesis, derandomized and with no
example database (tests/fuzz/support.py), so every run sends the same requests; nothing
depends on the date.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.routing import IntegerConverter

from checkout.bookings import service
from tests.fuzz.support import Tally, fuzz_settings
from tests.fuzz.test_html_forms import _insider, bookings  # noqa: F401 (a fixture)

# Not pages: a PDF rendered per request, the static files and the Stripe.js stand-in's source.
SKIPPED = {"static", "bookings.eticket", "manage.eticket", "offline_stripe.stripe_js"}
HEADER_EXAMPLES = 2000  # most reach a page or view (10-20 ms each): the JSON shapes below are the cheap bulk
HEADERS = ["Stripe-Signature", "HX-Request", "X-CSRFToken", "Origin", "Host", "Cookie", "Referer", "HX-Current-URL",
           "HX-Boosted", "HX-Target", "X-Request-ID", "X-Booking-Reference", "X-Booking-Email", "Authorization",
           "Accept-Language", "Content-Type", "X-Forwarded-For", "X-Forwarded-Host"]
# What a server gives us for bytes outside ASCII: each byte as one Latin-1 character.
AS_SERVED = [text.encode().decode("latin-1") for text in ("é", "😀", "ＪＦＫ", "\u202e", "\ufeff", "。")]
HEADER_VALUES = [
    "t=1,v1=\xe9\xe9\xe9", "t=\xb2,v1=abc", "t=1700000000,v1=" + "\xff" * 64, "tru\xe9", "true\xa0", "\xff" * 3,
    "http://\xe9vil.example", "https://evil.example\xe9", "fly2any_session=\xe9\xe9; csrf=\xff", "\xe9vil.example",
    "localhost:\xb9", "Bearer \xe9", *AS_SERVED, "a" * 8000,
]
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
DEPTHS = [31, 32, 33, 64, 999, 1000, 5000, 10_000]
ODD_BODIES = [b"NaN", b'{"a": NaN}', b'{"a": -Infinity}', b'{"amount": 1e400}', b"[]", b"[{}]", b"7", b'"text"', b"null",
              b"true", b'{"a": 1', b"\xff\xfe{}", b"{" * 3 + b"}" * 3]
# Readable JSON objects the edge lets through to the views (which must then answer 4xx themselves).
PASSED_ON = [b'{"a": "\\ud800"}', b'{"paymentIntentId": ["pi_x"], "token": {"id": 1}, "clientSecret": false}']
# Redirect targets seen to leave the site or break a header (finding 8), and their cousins.
TARGETS = [
    "/\t/evil.example", "/\\evil.example", "\\/evil.example", "//evil.example", "///evil.example", "/\r\n/evil.example",
    "/\r\nSet-Cookie: a=b", "/。evil.example", "/\u3002evil", "/．evil", "https://evil.example/", "http:evil.example",
    "javascript:alert(1)", " //evil.example", "/%2F/evil.example", "/%09/evil.example", "/%5Cevil.example",
    "/ /evil.example", "/\x0b/evil.example", "/\\\\evil.example", "/@evil.example", "/..//evil.example",
    "/customize", "/booking/FLY2A-AAAAAA", "/staff/bookings", "", "/", "customize", "/\u202e/evil",
]


def _urls(app, bookings) -> list[tuple[str, str, str]]:
    """(endpoint, method, URL) of every route, built with this session's real bookings."""
    adapter = app.url_map.bind("localhost")
    known = {"reference": bookings["paid"], "section": "fare"}
    routes = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in SKIPPED:
            continue
        values = {name: (bookings["paid_id"] if isinstance(rule._converters[name], IntegerConverter)
                         else known.get(name, "x")) for name in rule.arguments}
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((rule.endpoint, method, adapter.build(rule.endpoint, values, method=method)))
    return routes


@pytest.fixture(scope="module")
def routes(app, bookings):
    found = _urls(app, bookings)
    assert {("payments.webhook", "POST"), ("api.create_booking", "POST"), ("offline_stripe.attach", "POST"),
            ("bookings.extend_hold", "POST"), ("staff.login", "GET")} <= {(e, m) for e, m, _ in found}
    return found


def test_no_header_with_bytes_outside_ascii_gets_a_5xx(app, bookings, routes):
    client, token = _insider(app, bookings)
    tally = Tally()
    value = st.one_of(st.sampled_from(HEADER_VALUES),
                      # At least one byte past ASCII; no CR or LF, which no server passes on inside a value.
                      st.binary(min_size=1, max_size=24).map(lambda b: bytes(c | 0x80 if i == 0 else c
                                                                              for i, c in enumerate(b)
                                                                              if c not in (10, 13)).decode("latin-1")))

    @fuzz_settings(HEADER_EXAMPLES)
    @given(route=st.sampled_from(routes), headers=st.dictionaries(st.sampled_from(HEADERS), value, min_size=1, max_size=3),
           with_token=st.booleans())
    def run(route, headers, with_token):
        endpoint, method, url = route
        if with_token and "X-CSRFToken" not in headers:
            headers = {**headers, "X-CSRFToken": token}
        response = client.open(url, method=method, headers=headers, environ_base={"REMOTE_ADDR": tally.next_address()})
        tally.check(endpoint, f"{method} {url} with {headers!r:.300}", response.status_code, response.get_data())

    run()
    print(f"\nHeader shapes fuzz: {tally.summary()}")
    assert sum(tally.sent.values()) == HEADER_EXAMPLES
    # Every header reached every kind of route: these exact names are in what was sent.
    assert len(tally.sent) >= 40, tally.sent


@pytest.mark.parametrize("host", ["a" * 8000, "a" * 64 + ".example", "www." + "b" * 300 + ".example:8080"])
def test_a_host_header_too_long_for_a_name_gets_the_normal_400_page_and_logs_nothing(app, caplog, host):
    """werkzeug cannot bind URLs to such a host (a label over 63 characters fails IDNA): the
    answer is a 400, and its page rendered whole (not the bare fallback, no exception logged)."""
    for url in ("/", "/flights?origin=JFK", "/no-such-page"):
        caplog.clear()
        response = app.test_client().get(url, headers={"Host": host})
        html = response.get_data(as_text=True)
        assert response.status_code == 400, url
        assert "<title>Bad Request · Fly2Any</title>" in html and 'rel="stylesheet"' in html
        assert "sent a request that this server could not understand" in html
        assert [r.getMessage() for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")] == []


def test_no_deep_or_odd_json_on_any_route_gets_a_5xx(app, bookings, routes):
    tally = Tally()
    bodies = [(depth > 32, opener * depth + closer * depth) for depth in DEPTHS
              for opener, closer in ((b"[", b"]"), (b'{"a":', b"}"), (b'[{"a":', b"}]"))]
    bodies += [(True, body) for body in ODD_BODIES] + [(False, body) for body in PASSED_ON]
    for endpoint, method, url in routes:
        if method not in BODY_METHODS:
            continue
        client, token = _insider(app, bookings)  # a session per route: sign-out and the like end theirs
        for refused, body in bodies:
            for headers in ({"X-CSRFToken": token}, {"X-CSRFToken": token, "HX-Request": "true"},
                            {"X-CSRFToken": token, "Origin": "http://\xe9vil.example", "Stripe-Signature": "t=1,v1=\xff"},
                            {"X-CSRFToken": token, "HX-Request": "tru\xe9", "Accept-Language": "\xe9n"}):
                response = client.open(url, method=method, data=body, content_type="application/json",
                                       headers=headers, environ_base={"REMOTE_ADDR": tally.next_address()})
                tally.check(endpoint, f"{method} {url} with {body[:60]!r} ({len(body)} bytes)",
                            response.status_code, response.get_data())
                if refused:  # at the edge, before any view (or at CSRF, once a route such as sign-out ended the session)
                    assert response.status_code == 400, (url, headers, body[:60], response.get_data()[:300])
                    if response.is_json:
                        assert response.get_json()["error"]["code"] in ("invalid_body", "invalid_characters"), url
    print(f"\nJSON shapes fuzz: {tally.summary()}")
    assert sum(tally.sent.values()) >= 4500  # 31 routes take a body today, 156 requests each


def _off_site(target: str | None) -> bool:
    """Would a browser leave the site for this Location / HX-Redirect? Browsers drop tabs and
    line breaks and read a backslash as a slash before resolving it."""
    if not target:
        return False
    seen = re.sub(r"[\t\r\n]", "", target).replace("\\", "/").strip()
    parts = urlsplit(seen)
    return bool(parts.scheme or parts.netloc) and parts.hostname not in (None, "localhost")


def _redirect_target(response) -> str | None:
    if 300 <= response.status_code < 400:
        return response.headers.get("Location")
    return response.headers.get("HX-Redirect") or response.headers.get("HX-Location")


TRAVELLER_TURNS = 10


def test_no_back_or_next_target_gets_a_5xx_or_leaves_the_site(app, bookings):
    tally = Tally()
    staff, _ = _insider(app, bookings)
    target = st.one_of(st.sampled_from(TARGETS),
                       st.text(alphabet="/\\\t\r\n。．@:%?#.e ", min_size=1, max_size=12).map(lambda t: "/" + t))
    off_site = []
    traveller: dict = {}

    def next_traveller():
        """The extension is granted once per booking and refused after; both answers go back
        to the target. A new traveller every TRAVELLER_TURNS targets, so both are sent (and
        the refusals' flashed messages don't pile up in one session); a made draft costs more
        than the two requests it serves, so not one per target."""
        if traveller.get("turns", TRAVELLER_TURNS) >= TRAVELLER_TURNS:
            forget_traveller()
            traveller["client"], traveller["token"] = _insider(app, bookings)
            traveller["turns"] = 0
        traveller["turns"] += 1
        return traveller["client"], traveller["token"]

    def forget_traveller():
        # Its place goes back, so the travellers never fill the flight the next one needs.
        if "client" in traveller:
            with traveller["client"].session_transaction() as session, app.app_context():
                service.discard_draft(session["draft_id"])

    @fuzz_settings(300)
    @given(target=target, htmx=st.booleans())
    def run(target, htmx):
        headers = {"HX-Request": "true"} if htmx else {}
        client, token = next_traveller()
        answers = [("back", client.post("/booking/extend-hold", data={"csrf_token": token, "back": target},
                                        headers=headers, environ_base={"REMOTE_ADDR": tally.next_address()})),
                   ("next", staff.get("/staff/login", query_string={"next": target}, headers=headers,
                                      environ_base={"REMOTE_ADDR": tally.next_address()}))]
        for name, response in answers:
            tally.check(name, f"{name}={target!r} htmx={htmx}", response.status_code, response.get_data())
            if _off_site(_redirect_target(response)):
                off_site.append((name, target, htmx, _redirect_target(response)))

    run()
    forget_traveller()
    print(f"\nRedirect targets fuzz: {tally.summary()}")
    assert not off_site, off_site[:10]
