"""Generated junk sent to every HTML form of the app: each POST route in app.url_map, with
the field names its pages' forms use (and a few strangers), as a traveller with a draft, a
proven booking and a staff sign-in and a valid CSRF token, and as a stranger with neither;
then the query strings the GET pages read. NUL bytes, huge and negative numbers, impossible
dates, long strings, Unicode. None may be a 5xx or show our insides.
"""
from __future__ import annotations

from datetime import date, timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter

from checkout.bookings import service
from checkout.catalog.search import Party
from checkout.clock import utcnow
from checkout.extensions import db
from checkout.manage import SESSION_KEY
from checkout.models import Flight
from checkout.staff.auth import create_staff
from tests.conftest import csrf_from
from tests.fuzz.support import Tally, fuzz_settings, junk_value, without_controls
from tests.manage_support import confirmed_booking
from tests.payments_support import pending_booking

# Per route: the insider's requests reach the views; the stranger's mostly stop at CSRF.
EXAMPLES = {("POST", "insider"): 60, ("POST", "stranger"): 20, ("GET", "insider"): 25, ("GET", "stranger"): 10}
# What the GET pages read from the query string (request.args), beyond their forms' fields.
QUERY_NAMES = ["date", "destination", "origin", "adults", "children", "infants", "email", "field", "full", "line",
               "n", "next", "payment_intent", "payment_intent_client_secret", "period", "q", "redirect_status",
               "reference", "seat_for", "seat_passenger", "seat_segment", "timed_out", "after", "status", "booked_from", "booked_to",
               "anomaly"]
# Slow for reasons no input changes (a PDF rendered per request), or not pages at all.
GET_SKIPPED = {"static", "bookings.eticket", "manage.eticket", "offline_stripe.stripe_js"}


class FormFields(HTMLParser):
    """The names inside each form of a page, by the URL the form (or an htmx control in it) posts to."""

    def __init__(self, page_path: str):
        super().__init__()
        self.page_path, self.form, self.fields = page_path, None, {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            method = (attrs.get("method") or "get").upper()
            self.form = {(method, urlsplit(attrs.get("action") or self.page_path).path)}
            for target in self.form:
                self.fields.setdefault(target, set())
        if self.form is None:
            return
        for attribute, method in (("data-hx-post", "POST"), ("data-hx-get", "GET")):
            if attrs.get(attribute):
                target = (method, urlsplit(attrs[attribute]).path)
                self.form.add(target)
                self.fields.setdefault(target, set())
        if tag in ("input", "select", "textarea", "button") and attrs.get("name"):
            for target in self.form:
                self.fields[target].add(attrs["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None


@pytest.fixture(scope="module")
def bookings(app):
    """A confirmed booking (paid at localstripe) and a pending one, made once for the module."""
    with app.app_context():
        paid, pending = confirmed_booking(), pending_booking()
        staff_id = create_staff("fuzz-supervisor@fly2any.test", "a long test password", "supervisor").id
        return {"paid": paid.reference, "paid_id": paid.id, "pending": pending.reference,
                "pending_id": pending.id, "staff_id": staff_id}


def _new_draft(app) -> int:
    with app.app_context():
        flight = db.session.execute(select(Flight).where(Flight.flight_number == "FA100",
                                                         Flight.departs_at > utcnow() + timedelta(days=2))
                                    .order_by(Flight.departs_at)).scalars().first()
        return service.create_draft(flight, Party(1)).id


def _insider(app, bookings) -> tuple:
    """A client with everything a session can hold: a draft, a submitted booking, a proven
    booking and a supervisor's sign-in; and its CSRF token."""
    client = app.test_client()
    now = utcnow().isoformat()
    with client.session_transaction() as session:
        session.update({"draft_id": _new_draft(app), "booking_ids": [bookings["pending_id"]],
                        SESSION_KEY: [bookings["paid_id"]], "staff_user_id": bookings["staff_id"],
                        "staff_signed_in_at": now, "staff_seen_at": now})
    return client, csrf_from(client.get("/manage").get_data(as_text=True))


def _pages(bookings) -> list[str]:
    day = (date.today() + timedelta(days=3)).isoformat()
    paid, pending = bookings["paid"], bookings["pending"]
    return ["/", f"/flights?origin=JFK&destination=LHR&date={day}", "/customize", "/passengers", "/review",
            f"/booking/{pending}", "/manage", f"/manage/{paid}", f"/manage/{paid}/cancel", "/staff/login",
            "/staff/bookings", f"/staff/bookings/{paid}", f"/staff/bookings/{paid}/refund?full=1",
            f"/staff/bookings/{paid}/cancel"]


@pytest.fixture(scope="module")
def field_names(app, bookings) -> dict[tuple[str, str], set[str]]:
    """(method, endpoint) -> the field names the app's own pages send there."""
    client, _ = _insider(app, bookings)
    adapter = app.url_map.bind("localhost")
    names: dict[tuple[str, str], set[str]] = {}
    for page in _pages(bookings):
        parser = FormFields(urlsplit(page).path)
        parser.feed(client.get(page).get_data(as_text=True))
        for (method, path), fields in parser.fields.items():
            try:
                endpoint, _ = adapter.match(path, method=method)
            except Exception:  # noqa: BLE001 - a link elsewhere: not one of our forms
                continue
            names.setdefault((method, endpoint), set()).update(fields)
    return names


def _path_value(name: str, bookings):
    known = {"reference": [bookings["paid"], bookings["pending"], "FLY2A-AAAAAA"],
             "section": ["fare", "bundle", "extras", "seat"]}.get(name, [])
    choices = [st.sampled_from(known)] if known else []
    return st.one_of(*choices, junk_value().map(lambda v: v[:200]).filter(bool))


def _url(app, rule, method: str, bookings):
    """The rule's URL with known or junk path values (Werkzeug quotes them); an <int:…> part
    gets whole numbers of any size, since Werkzeug cannot build it from text."""
    adapter = app.url_map.bind("localhost")
    parts = {name: st.integers(min_value=0, max_value=2**70) if isinstance(rule._converters.get(name), IntegerConverter)
             else _path_value(name, bookings) for name in rule.arguments}
    return st.fixed_dictionaries(parts).map(lambda values: adapter.build(rule.endpoint, values, method=method))


def _form(names: list[str]):
    """Every field of the form (or some of them) with junk values, one or several per name, and
    now and then a field no form has. Half the time without control characters, which the edge
    refuses (400), so those reach the views."""
    value = st.one_of(junk_value(), st.lists(junk_value(), min_size=2, max_size=3))
    known = st.one_of(st.fixed_dictionaries({name: value for name in names}),
                      st.fixed_dictionaries({}, optional={name: value for name in names}))
    strangers = st.dictionaries(st.text(min_size=1, max_size=12), value, max_size=2)
    return st.tuples(known, strangers, st.booleans()).map(
        lambda drawn: _multidict({**drawn[1], **drawn[0]}, printable=drawn[2]))


def _multidict(fields: dict, printable: bool) -> MultiDict:
    data = MultiDict()
    for name, value in fields.items():
        for one in value if isinstance(value, list) else [value]:
            data.add(without_controls(name) if printable else name, without_controls(one) if printable else one)
    return data


def _rules(app, method: str):
    return sorted((rule for rule in app.url_map.iter_rules()
                   if method in rule.methods and not rule.rule.startswith("/api/")
                   and (method == "POST" or rule.endpoint not in GET_SKIPPED)), key=lambda rule: rule.rule)


def test_no_generated_form_post_gets_a_5xx_or_a_leak(app, bookings, field_names):
    tally = Tally()
    names = field_names
    assert {"email", "phone", "passengers-0-first_name"} <= names[("POST", "passengers.save")]  # read from the pages
    rules = _rules(app, "POST")
    assert {"passengers.save", "manage.lookup", "staff.login", "customize.save_section"} <= {r.endpoint for r in rules}
    for rule in rules:
        fields = sorted(names.get(("POST", rule.endpoint), set()) - {"csrf_token"})
        for identity in ("insider", "stranger"):
            client, token = _insider(app, bookings) if identity == "insider" else (app.test_client(), None)
            token_choice = st.sampled_from([token] * 8 + [None, "not-a-token"]) if token else st.just(None)

            @fuzz_settings(EXAMPLES["POST", identity])
            @given(url=_url(app, rule, "POST", bookings), data=_form(fields), csrf=token_choice, htmx=st.booleans())
            def run(url, data, csrf, htmx):
                if csrf is not None:
                    data["csrf_token"] = csrf
                response = client.post(url, data=data, headers={"HX-Request": "true"} if htmx else {},
                                       environ_base={"REMOTE_ADDR": tally.next_address()})
                tally.check(rule.endpoint, f"POST {url} as {identity} with {dict(data.lists())!r:.400}",
                            response.status_code, response.get_data())

            run()
    print(f"\nHTML form fuzz (POST): {tally.summary()}")


def test_no_generated_query_string_gets_a_5xx_or_a_leak(app, bookings, field_names):
    tally = Tally()
    names = field_names
    rules = _rules(app, "GET")
    assert {"catalog.flights", "staff.bookings", "payments.payment_return"} <= {r.endpoint for r in rules}
    for rule in rules:
        fields = sorted(names.get(("GET", rule.endpoint), set()) | set(QUERY_NAMES))
        for identity in ("insider", "stranger"):
            client = _insider(app, bookings)[0] if identity == "insider" else app.test_client()

            @fuzz_settings(EXAMPLES["GET", identity])
            @given(url=_url(app, rule, "GET", bookings), query=_form(fields), htmx=st.booleans())
            def run(url, query, htmx):
                response = client.get(url, query_string=query,
                                      headers={"HX-Request": "true"} if htmx else {},
                                      environ_base={"REMOTE_ADDR": tally.next_address()})
                tally.check(rule.endpoint, f"GET {url} as {identity} with {dict(query.lists())!r:.400}",
                            response.status_code, response.get_data())

            run()
    print(f"\nHTML form fuzz (GET): {tally.summary()}")
