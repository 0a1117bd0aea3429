"""Server-side sessions (web_session.py): a visitor who only looks gets no session at all; once
there is something to keep, the cookie is an opaque random id and the store holds only its
hash; an expired session is gone, and a new id at sign-in or look-up retires the old one.

Each store is checked: Redis (what the test app uses: its REDIS_URL comes from the rate-limit
storage) and the `web_sessions` table (DatabaseStore, the demo's), swapped in for one test."""
import hashlib
import itertools
import json
import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from checkout.clock import utcnow
from checkout.extensions import db, redis_client
from checkout.models import WebSession
from checkout.web_session import DatabaseStore, RedisStore, ServerSessionInterface
from tests.conftest import ACKS, SCAN_COUNT, Checkout
from tests.manage_support import confirmed_booking
from tests.staff_support import StaffClient, make_staff

COOKIE = "fly2any_session"
BROWSER_COOKIE = "fly2any_session_browser"
_addresses = (f"10.78.{i // 250}.{i % 250 + 1}" for i in itertools.count())


def _cookie(client, name: str = COOKIE) -> str | None:
    cookie = client.get_cookie(name)
    return cookie.value if cookie else None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _session_set_cookie(response) -> str | None:
    """The Set-Cookie header for the session cookie itself (not the browser's signed one)."""
    return next((h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{COOKIE}=")), None)


class Store:
    """What the app's session store holds, whichever it is: {key: stored text}."""

    def __init__(self, app):
        self.app = app
        self.backend = app.session_interface.store

    @property
    def is_redis(self) -> bool:
        return isinstance(self.backend, RedisStore)

    def _redis(self):
        return redis_client(self.backend.url)

    def entries(self) -> dict[str, str]:
        if self.is_redis:
            redis, prefix = self._redis(), self.backend.prefix
            found = {}
            for key in redis.scan_iter(prefix + "*", count=SCAN_COUNT):
                value = redis.get(key)
                if value is not None:
                    found[key.decode()[len(prefix):]] = value.decode()
            return found
        with self.app.app_context():
            return dict(db.session.execute(select(WebSession.id, WebSession.data)).all())

    def expire(self, digest: str) -> None:
        """Let the session under `digest` run out, the way its store lets it."""
        if self.is_redis:
            redis, key = self._redis(), self.backend.prefix + digest
            # Redis entries expire by themselves: the entry carries the session's lifetime...
            assert 0 < redis.ttl(key) <= self.app.config["SESSION_LIFETIME_MINUTES"] * 60
            redis.pexpire(key, 1)  # ...which we shorten to a millisecond
            for _ in range(500):
                if not redis.exists(key):
                    break
                time.sleep(0.01)
            assert not redis.exists(key)
        else:
            with self.app.app_context():
                changed = db.session.execute(update(WebSession).where(WebSession.id == digest)
                                             .values(expires_at=utcnow() - timedelta(minutes=1))).rowcount
                db.session.commit()
            assert changed == 1

    def clear(self) -> None:
        if self.is_redis:
            keys = list(self._redis().scan_iter(self.backend.prefix + "*", count=SCAN_COUNT))
            if keys:
                self._redis().delete(*keys)
        # Table rows are deleted after every test by conftest's _clean_bookings.


def kept_store(kind: str, app, monkeypatch):
    """The app's session store as a Store: Redis (the test app's own) or, for "table", the
    web_sessions table swapped in for this test. Redis session keys are cleared before and after."""
    if kind == "table":
        monkeypatch.setattr(app, "session_interface",
                            ServerSessionInterface(DatabaseStore(), cookie_keys=app.config["SESSION_BROWSER_KEYS"]))
    else:
        assert isinstance(app.session_interface.store, RedisStore), "the test app is expected to keep sessions in Redis"
    kept = Store(app)
    kept.clear()
    yield kept
    kept.clear()


@pytest.fixture(params=["redis", "table"])
def store(request, app, monkeypatch):
    yield from kept_store(request.param, app, monkeypatch)


def _select_with_response(checkout):
    """Select the first flight as select_first does, returning the POST /select response."""
    html = checkout.search().get_data(as_text=True)
    offer_id = re.search(r'name="offer_id" value="([^"]+)"', html).group(1)
    response = checkout.post("/select", {"offer_id": offer_id, "adults": 1, "children": 0, "infants": 0})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return response


def test_the_cookie_is_a_random_id_and_only_its_hash_is_stored(app, store, checkout):
    # Looking costs nothing: no session cookie, nothing stored (the CSRF secret rides in the browser cookie).
    home = checkout.get("/")
    assert _session_set_cookie(home) is None and _cookie(checkout.client) is None
    assert _cookie(checkout.client, BROWSER_COOKIE)
    assert store.entries() == {}

    # Something to keep (a draft): now the session cookie appears.
    set_cookie = _session_set_cookie(_select_with_response(checkout))
    assert set_cookie and "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie
    token = _cookie(checkout.client)
    assert token and len(token) >= 43  # 256 random bits
    assert checkout.get("/customize").status_code == 200
    entries = store.entries()
    assert list(entries) == [_digest(token)]  # stored under its SHA-256...
    for key, text in entries.items():  # ...and the plain id is stored nowhere
        assert token not in key and token not in text
    assert "draft_id" in json.loads(entries[_digest(token)])  # what the traveller is doing lives on the server
    assert token not in (_cookie(checkout.client, BROWSER_COOKIE) or "")

    # Random: another traveller doing the same gets another id.
    other = Checkout(app.test_client())
    other.select_first()
    assert _cookie(other.client) not in (None, token)
    assert set(store.entries()) == {_digest(token), _digest(_cookie(other.client))}


def test_an_expired_session_is_not_loaded_and_the_traveller_starts_fresh(store, checkout):
    checkout.select_first()
    assert checkout.get("/customize").status_code == 200
    old_token = _cookie(checkout.client)
    assert old_token
    store.expire(_digest(old_token))
    response = checkout.get("/customize")
    assert response.status_code == 303 and response.location == "/"
    assert "Your session has ended" in checkout.get("/").get_data(as_text=True)
    assert _cookie(checkout.client) != old_token  # not the old id: a fresh start
    # The draft is not carried over to any live session (the table keeps the expired row for the sweeper).
    assert not any("draft_id" in text for key, text in store.entries().items() if key != _digest(old_token))
    # The old id stays dead even if the browser sends it again.
    checkout.client.set_cookie(COOKIE, old_token)
    response = checkout.get("/customize")
    assert response.status_code == 303 and response.location == "/"
    assert "Your session has ended" in checkout.get("/").get_data(as_text=True)


def test_a_planted_session_id_is_not_adopted(store, checkout):
    checkout.client.set_cookie(COOKIE, "chosen-by-someone-else")
    checkout.select_first()
    token = _cookie(checkout.client)
    assert token not in (None, "chosen-by-someone-else")
    assert set(store.entries()) == {_digest(token)}


def test_staff_sign_in_gives_a_new_session_id_and_the_old_one_no_longer_works(app, store, client):
    email = make_staff(app, "agent")
    staff = StaffClient(client)
    staff.select_first()  # a session with something in it (a draft) before signing in
    before = _cookie(client)
    assert before and set(store.entries()) == {_digest(before)}
    assert staff.sign_in(email).status_code == 303
    after = _cookie(client)
    assert after and after != before
    assert staff.get("/staff/bookings").status_code == 200
    assert set(store.entries()) == {_digest(after)}  # the old entry is deleted
    client.set_cookie(COOKIE, before)
    response = staff.get("/staff/bookings")
    assert response.status_code == 303 and response.location.startswith("/staff/login")
    response = staff.get("/customize")  # nothing else rides on the old id either
    assert response.status_code == 303 and response.location == "/"


def test_opening_a_booking_in_manage_gives_a_new_id_and_keeps_the_draft_in_progress(app, checkout):
    with app.app_context():
        reference = confirmed_booking().reference
    checkout.select_first()  # the traveller is also in the middle of a new booking
    before = _cookie(checkout.client)
    address = {"REMOTE_ADDR": next(_addresses)}
    checkout.get("/manage", environ_base=address)
    response = checkout.post("/manage", {"reference": reference, "secret": "Lovelace"}, environ_base=address)
    assert response.status_code == 303
    after = _cookie(checkout.client)
    assert after != before
    assert checkout.get(f"/manage/{reference}").status_code == 200
    assert checkout.get("/customize").status_code == 200  # the draft came along to the new id
    checkout.client.set_cookie(COOKIE, before)
    assert checkout.get("/customize").status_code == 303
    assert checkout.get(f"/manage/{reference}").status_code != 200


def test_a_booking_gets_a_new_session_id_and_a_cookie_from_before_submit_sees_nothing(app, checkout):
    """Session fixation: someone who planted (or copied) this browser's session id before it
    submitted must not see the booking page, with the names, email and client secret."""
    checkout.select_first(origin="JFK", destination="LAX")
    checkout.get("/passengers")
    assert checkout.post("/passengers", checkout.passengers_form([("Ada", "Lovelace", "1985-12-10")],
                                                                international=False)).status_code == 303
    checkout.get("/review")
    before = _cookie(checkout.client)
    assert before
    response = checkout.post("/review", {f"ack_{k}": "y" for k in ACKS})
    assert response.status_code == 303 and response.location.startswith("/booking/FLY2A-")
    after = _cookie(checkout.client)
    assert after not in (None, before)
    page = checkout.get(response.location)
    assert page.status_code == 200
    assert "Ada Lovelace" in page.get_data(as_text=True) and "_secret_" in page.get_data(as_text=True)
    planted = app.test_client()
    planted.set_cookie(COOKIE, before)
    stale = planted.get(response.location)
    html = stale.get_data(as_text=True)
    assert stale.status_code == 404 and "We couldn&#39;t find that booking in this browser." in html
    assert "Lovelace" not in html and "_secret_" not in html


def test_a_new_draft_gets_a_new_session_id(app, checkout):
    checkout.select_first(origin="JFK", destination="LAX")
    before = _cookie(checkout.client)
    checkout.select_first(origin="JFK", destination="LHR")  # the same browser starts another booking
    after = _cookie(checkout.client)
    assert after not in (None, before)
    assert checkout.get("/customize").status_code == 200
    planted = app.test_client()
    planted.set_cookie(COOKIE, before)
    response = planted.get("/passengers")
    assert response.status_code == 303 and response.location == "/"


def test_the_table_store_never_commits_the_requests_own_work_and_outlives_its_rollback(app_ctx):
    """Saving the session is its own transaction: what the request flushed but did not commit
    is not kept by it, and the request rolling back afterwards keeps the session."""
    now = utcnow()
    db.session.add(WebSession(id=_digest("flushed"), data="{}", expires_at=now + timedelta(minutes=5)))
    db.session.flush()  # the request's unit of work, still open
    DatabaseStore().save(_digest("saved"), '{"draft_id": 1}', timedelta(minutes=5), now, None)
    db.session.rollback()
    assert DatabaseStore().load(_digest("saved"), now) == '{"draft_id": 1}'
    assert DatabaseStore().load(_digest("flushed"), now) is None
