"""Input a fuzzer answered with a 500 (issue 10), each now a 4xx with a clear message.

Control characters are refused once, at the edge (checkout/inputs.py); numbers, dates,
passenger positions, `next` and webhook events are fixed where they are read.
"""
from datetime import date, timedelta

import pytest
from werkzeug.routing import IntegerConverter

from tests.conftest import csrf_from
from tests.manage_support import sign_in_staff

CONTROL_MESSAGE = "control character"


def _day() -> str:
    return (date.today() + timedelta(days=3)).isoformat()


@pytest.mark.parametrize("url", [
    "/booking/%00x",
    "/manage/%00",
    "/payment/return?payment_intent=%00",
    "/flights?origin=%00&destination=LHR&date={day}",
    "/airports/suggest?q=%00ab",
    "/flights?origin=JFK%01&destination=LHR&date={day}",
])
def test_a_control_character_in_an_address_is_a_400_page_saying_so(client, url):
    response = client.get(url.format(day=_day()))
    html = response.get_data(as_text=True)
    assert response.status_code == 400, html[:300]
    assert CONTROL_MESSAGE in html and 'class="site-header"' in html


@pytest.mark.parametrize("method, url, body, field", [
    ("get", "/api/flights?origin=%00AB&destination=LHR&date={day}", None, "origin"),
    ("post", "/api/payments/create-intent", {"bookingReference": "\x00", "email": "a@b.c"}, "bookingReference"),
    ("post", "/api/payments/confirm", {"bookingReference": "FLY2A-AAAAAA", "paymentIntentId": "pi_\x00"},
     "paymentIntentId"),
    ("post", "/api/bookings", {"offerId": "off_1", "passengers": [{"firstName": "A\x00da"}]},
     "passengers.0.firstName"),
])
def test_a_control_character_in_the_api_is_a_400_naming_the_field(client, method, url, body, field):
    response = getattr(client, method)(url.format(day=_day()), json=body,
                                       environ_base={"REMOTE_ADDR": "10.79.0.1"})  # its own rate limits
    error = response.get_json()["error"]
    assert response.status_code == 400 and error["code"] == "invalid_characters"
    assert CONTROL_MESSAGE in error["message"] and field in error["fields"]


def test_a_lone_surrogate_in_json_is_a_400_not_a_500(client):
    response = client.post("/api/payments/confirm", data='{"bookingReference": "\\ud800", "paymentIntentId": "pi_x"}',
                           content_type="application/json")
    assert response.status_code == 400 and "bookingReference" in response.get_json()["error"]["fields"]


def test_a_nul_byte_in_a_staff_search_is_a_400(client, app):
    sign_in_staff(client, app)
    assert client.get("/staff/bookings?q=%00").status_code == 400
    api = client.get("/api/bookings?email=%00")
    assert api.status_code == 400 and "email" in api.get_json()["error"]["fields"]


@pytest.mark.parametrize("page, url, form", [
    ("/manage", "/manage", {"reference": "FLY2A-\x00", "secret": "Lovelace"}),
    ("/staff/login", "/staff/login", {"email": "a\x00@fly2any.test", "password": "x"}),
])
def test_a_nul_byte_in_a_posted_form_is_a_400_page(checkout, page, url, form):
    checkout.get(page)
    response = checkout.post(url, form)
    assert response.status_code == 400 and CONTROL_MESSAGE in response.get_data(as_text=True)


def test_a_nul_byte_in_a_customise_panel_is_a_400(checkout):
    checkout.select_first(origin="JFK", destination="LAX")
    response = checkout.post("/customize/bundle", {"bundle": "\x00"}, headers={"HX-Request": "true"})
    assert response.status_code == 400


def test_tabs_and_line_breaks_in_free_text_are_not_refused(checkout):
    # A name pasted with a tab or a line break is the form's to judge (422), not a control character.
    checkout.get("/manage")
    response = checkout.post("/manage", {"reference": "FLY2A-AAAAAA", "secret": "Love\tlace\r\n"})
    assert response.status_code == 422
    assert "We couldn" in response.get_data(as_text=True)


# -- dates ------------------------------------------------------------------------------

@pytest.mark.parametrize("day", ["2026-02-30", "9999-99-99", "NaN", "2026-13-01", "tomorrow", "2026-1-1x"])
def test_a_date_that_does_not_parse_is_a_422_beside_the_field_keeping_what_was_typed(client, day):
    response = client.get(f"/flights?origin=JFK&destination=LHR&date={day}")
    html = response.get_data(as_text=True)
    assert response.status_code == 422, html[:300]
    assert "YYYY-MM-DD" in html and f'value="{day}"' in html


@pytest.mark.parametrize("blank", ["%20", "%20%20", "%09"])
def test_a_date_of_only_blanks_is_no_date_at_all(client, blank):
    response = client.get(f"/flights?origin=JFK&destination=LHR&date={blank}")
    assert response.status_code == 422 and "Choose a departure date." in response.get_data(as_text=True)


@pytest.mark.parametrize("url, field", [
    ("/api/flights?origin=JFK&destination=LHR&date=9999-12-31", "date"),  # a day later overflows
    ("/api/flights?origin=JFK&destination=LHR&date=0001-01-01", "date"),
    ("/api/bookings?to=9999-12-31", "to"),
    ("/api/bookings?from=2026-02-30", "from"),
])
def test_an_out_of_range_or_impossible_date_in_the_api_is_a_422_naming_it(client, app, url, field):
    sign_in_staff(client, app)
    response = client.get(url)
    assert response.status_code == 422 and field in response.get_json()["error"]["fields"]


def test_a_far_booked_to_date_in_the_staff_search_is_a_422(client, app):
    sign_in_staff(client, app)
    response = client.get("/staff/bookings?booked_to=9999-12-31")
    assert response.status_code == 422 and "between 1900 and 2199" in response.get_data(as_text=True)


# -- whole numbers ----------------------------------------------------------------------

HUGE = "9" * 5000  # int() refuses over 4,300 digits
BEYOND_INTEGER = str(2**31)  # past PostgreSQL's integer, where our ids and amounts live


@pytest.mark.parametrize("url, field", [
    (f"/api/flights?origin=JFK&destination=LHR&date={{day}}&adults={HUGE}", "adults"),
    (f"/api/bookings?limit={HUGE}", "limit"),
    ("/api/bookings?cursor={cursor}", "cursor"),
])
def test_oversized_numbers_in_api_queries_are_a_422(client, app, url, field):
    from checkout.api.bookings import encode_cursor
    sign_in_staff(client, app)
    response = client.get(url.format(day=_day(), cursor=encode_cursor(2**63)))
    assert response.status_code == 422 and field in response.get_json()["error"]["fields"]


@pytest.mark.parametrize("booking_id", [BEYOND_INTEGER, str(2**63), HUGE])
def test_a_booking_id_past_the_database_integer_is_a_404(client, app, booking_id):
    sign_in_staff(client, app)
    response = client.get(f"/api/bookings/{booking_id}")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def test_an_oversized_expected_refund_is_a_422_and_cancels_nothing(client, app):
    from tests.manage_support import confirmed_booking
    with app.app_context():
        booking_id = confirmed_booking().id
    console = sign_in_staff(client, app)
    response = client.delete(f"/api/bookings/{booking_id}?expectedRefund={HUGE}", headers=console)
    assert response.status_code == 422 and "expectedRefund" in response.get_json()["error"]["fields"]
    assert client.get(f"/api/bookings/{booking_id}").get_json()["status"] == "CONFIRMED"


@pytest.mark.parametrize("query", [f"after={HUGE}", f"after={BEYOND_INTEGER}"])
def test_an_oversized_page_link_in_the_staff_search_is_a_422(client, app, query):
    sign_in_staff(client, app)
    assert client.get(f"/staff/bookings?{query}").status_code == 422


def test_oversized_refund_lines_are_refused_before_any_money_moves(app):
    from tests.staff_support import StaffClient, make_staff, paid_booking
    with app.app_context():
        reference = paid_booking().reference
    staff = StaffClient(app.test_client())
    staff.sign_in(make_staff(app, "supervisor"))
    staff.get(f"/staff/bookings/{reference}")
    response = staff.post(f"/staff/bookings/{reference}/refund",
                          {"amount": "100", "line_ids": HUGE, "full": "", "key": "0" * 32})
    assert response.status_code == 422 and "The quoted lines were not understood." in response.get_data(as_text=True)


@pytest.mark.parametrize("form", [{"bags-0": HUGE, "extras_shown": "1"}, {"seat": "1A", "seat_passenger": HUGE}])
def test_oversized_numbers_in_the_customise_step_are_a_422(checkout, form):
    checkout.select_first(origin="JFK", destination="LAX")
    assert checkout.post("/customize", {"action": "update", **form}).status_code == 422


def test_an_offer_id_past_the_database_integer_is_no_such_offer(checkout):
    checkout.get("/")
    response = checkout.post("/select", {"offer_id": f"off_{BEYOND_INTEGER}", "adults": "1"})
    assert response.status_code == 404 and "no longer offered" in response.get_data(as_text=True)


# -- passengers ---------------------------------------------------------------------------

def test_more_passengers_posted_than_the_booking_has_saves_only_its_own(checkout, app):
    from sqlalchemy import func, select

    from checkout.extensions import db
    from checkout.models import Passenger
    checkout.select_first(origin="JFK", destination="LAX")
    checkout.get("/passengers")
    people = [("Ada", "Lovelace", "1985-12-10"), ("Charles", "Babbage", "1971-12-26")]
    response = checkout.post("/passengers", checkout.passengers_form(people, international=False))
    assert response.status_code == 303 and response.location == "/review"
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Passenger)).scalar() == 1
        assert db.session.execute(select(Passenger.last_name)).scalar() == "Lovelace"


# -- the staff sign-in's `next` -----------------------------------------------------------------

def test_a_line_break_in_next_after_signing_in_goes_to_the_bookings_list(app):
    from tests.staff_support import PASSWORD, StaffClient, make_staff
    staff = StaffClient(app.test_client())
    staff.get("/staff/login")
    response = staff.post("/staff/login", {"email": make_staff(app, "agent"), "password": PASSWORD,
                                           "next": "/staff/bookings\r\nSet-Cookie: planted=1"})
    assert response.status_code == 303 and response.location == "/staff/bookings"


def test_a_tab_in_next_never_leads_off_site(client, app):
    sign_in_staff(client, app)
    response = client.get("/staff/login?next=/%09/evil.example")
    assert response.status_code == 303 and response.location == "/staff/bookings"


def test_a_line_break_in_next_in_the_address_is_a_400(client):
    assert client.get("/staff/login?next=/staff/bookings%0D%0AX:%20y").status_code == 400


# -- JSON bodies: one object, nested at most 32 levels, finite numbers (inputs.refuse_unreadable_json) --

ODD_JSON = {
    "10,000 [": b"[" * 10_000,                                # RecursionError in the parser
    "40 levels": b'{"a":' * 40 + b"1" + b"}" * 40,            # parsed, then walked by views and checks
    "NaN": b'{"offerId": NaN, "amount": Infinity}',           # Python reads them; no field can hold them
    "an array": b'[{"paymentIntentId": "pi_x"}]',            # `.get` on a list: a 500 at /offline/stripe/attach
    "a number": b"7",
    "1e400": b'{"amount": 1e400}',                        # read as inf without NaN or Infinity written
    "broken": b'{"a": ',
}


def _json_routes(app) -> list[tuple[str, str]]:
    """Every route that takes a body, with a URL built from a real-looking id: all of them read
    JSON the same way, at the edge."""
    adapter = app.url_map.bind("localhost")
    routes = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods & {"POST", "PUT", "PATCH", "DELETE"}):
            values = {name: 1 if isinstance(rule._converters[name], IntegerConverter) else "FLY2A-AAAAAA"
                      for name in rule.arguments}
            routes.append((method, adapter.build(rule.endpoint, values, method=method)))
    return routes


@pytest.mark.parametrize("shape", ODD_JSON)
def test_odd_json_on_every_route_is_one_400_json_error(client, app, shape):
    routes = _json_routes(app)
    assert {("POST", "/api/bookings"), ("POST", "/api/payments/webhook"), ("POST", "/offline/stripe/attach"),
            ("PUT", "/api/bookings/1"), ("POST", "/csp-report")} <= set(routes)
    token = csrf_from(client.get("/manage").get_data(as_text=True))  # so pages' routes reach the edge too
    for number, (method, url) in enumerate(routes):
        response = client.open(url, method=method, data=ODD_JSON[shape], content_type="application/json",
                               headers={"X-CSRFToken": token}, environ_base={"REMOTE_ADDR": f"10.77.{number // 250}.{number % 250 + 1}"})
        assert response.status_code == 400, (method, url, response.status_code, response.get_data(as_text=True)[:300])
        error = response.get_json()["error"]
        assert error["code"] == "invalid_body", (method, url, error)
        assert "one JSON object, nested at most 32 levels, with finite numbers" in error["message"], error


def test_json_of_32_levels_still_reaches_the_view(client):
    body = b'{"offerId": ' + b"[" * 31 + b"]" * 31 + b"}"
    response = client.post("/api/bookings", data=body, content_type="application/json")
    assert response.status_code == 422 and "offerId" in response.get_json()["error"]["fields"]
