"""The error page a traveller sees when our side fails: it renders without a session or a
database, says nothing it cannot know (like "Nothing was charged"), and names support.
A database that cannot be reached is a 503 "try again in a moment", not a 500."""
import pytest

from checkout import create_app
from checkout.errors import DATABASE_UNAVAILABLE, SESSION_UNAVAILABLE
from tests.conftest import RATE_LIMITS

SUPPORT = "support@fly2any.test"


@pytest.fixture(scope="module")
def app_without_database():
    """The app pointed at a PostgreSQL port where nothing listens: every query fails, as in an outage."""
    return create_app("test", {
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:1/unreachable",
        "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 2}},
        # Limits in the run's Redis (memory:// starts a timer thread that never fires under
        # faketime, so the interpreter hung at exit); sessions stay in the table that is down.
        **RATE_LIMITS, "REDIS_URL": "",
        "SUPPORT_EMAIL": SUPPORT,
        "PROPAGATE_EXCEPTIONS": False,  # as in production: errors reach the error handlers
    })


def _client_with_session_cookie(app):
    client = app.test_client()
    client.set_cookie("fly2any_session", "a-session-the-database-would-have-to-open")
    return client


@pytest.mark.parametrize("url", [
    "/payment/return?payment_intent=pi_3PaidJustNow&redirect_status=succeeded",  # right after paying
    "/booking/FLY2A-K7M3QX",
])
def test_with_the_database_down_a_session_cookie_still_gets_the_calm_page(app_without_database, url):
    response = _client_with_session_cookie(app_without_database).get(url)
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert 'class="site-header"' in html, html[:300]  # the styled page, not a bare "Internal Server Error"
    assert "Please try again in a moment" in html and DATABASE_UNAVAILABLE in html
    assert "Nothing was charged" not in html  # it may have been: the traveller may just have paid
    assert "check your email" in html and SUPPORT in html
    assert "Traceback" not in html and "psycopg" not in html and "SELECT" not in html


@pytest.mark.parametrize("url, header", [("/", 'class="site-header"'), ("/staff/login", 'class="staff-header"')])
def test_with_the_database_down_pages_that_need_no_database_still_answer(app_without_database, url, header):
    """The session's store is down, but the browser's own values (its CSRF secret) still ride
    in their signed cookie: the search page and the sign-in form answer as usual, each in its
    own frame (the staff console has its own header)."""
    response = _client_with_session_cookie(app_without_database).get(url)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:300]
    assert header in html and 'name="csrf-token"' in html
    assert "Traceback" not in html and "psycopg" not in html


def test_with_the_database_down_the_api_answers_json_without_a_false_promise(app_without_database):
    response = _client_with_session_cookie(app_without_database).post(
        "/api/payments/confirm", json={"bookingReference": "FLY2A-K7M3QX", "paymentIntentId": "pi_x"})
    body = response.get_json()
    assert response.status_code == 503 and body["error"]["code"] == "temporarily_unavailable"
    assert body["error"]["message"].startswith(DATABASE_UNAVAILABLE)
    assert "Nothing was charged" not in body["error"]["message"]
    assert SUPPORT in body["error"]["message"]


def test_a_form_posted_while_the_database_is_down_is_not_blamed_on_a_stale_form(app_without_database):
    # The session could not be read, so its CSRF secret could not be either: that is our outage,
    # not the traveller's expired form.
    response = _client_with_session_cookie(app_without_database).post("/manage", data={"reference": "FLY2A-K7M3QX"})
    html = response.get_data(as_text=True)
    assert response.status_code == 503 and SESSION_UNAVAILABLE in html  # "try again in a moment"
    assert "form was stale" not in html


def test_a_page_not_found_does_not_start_a_session(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and 'class="site-header"' in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers
