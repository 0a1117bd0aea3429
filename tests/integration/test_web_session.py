"""Server-side sessions (web_session.py): the cookie is an opaque id, the database holds only
its hash, an expired session is gone, and a new id at sign-in or look-up retires the old one."""
import hashlib
import itertools
import json
from datetime import timedelta

from sqlalchemy import select, update

from checkout.clock import utcnow
from checkout.extensions import db
from checkout.models import WebSession
from tests.manage_support import confirmed_booking
from tests.staff_support import StaffClient, make_staff

COOKIE = "fly2any_session"
_addresses = (f"10.78.{i // 250}.{i % 250 + 1}" for i in itertools.count())


def _cookie(client) -> str | None:
    cookie = client.get_cookie(COOKIE)
    return cookie.value if cookie else None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _rows(app) -> list[WebSession]:
    with app.app_context():
        rows = db.session.execute(select(WebSession)).scalars().all()
        db.session.expunge_all()
        return rows


def test_the_cookie_is_a_random_id_and_only_its_hash_is_stored(app, checkout):
    set_cookie = checkout.get("/").headers.get("Set-Cookie", "")
    assert set_cookie.startswith(f"{COOKIE}=") and "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie
    checkout.select_first()
    token = _cookie(checkout.client)
    assert token and len(token) >= 43  # 256 random bits
    [row] = _rows(app)
    assert row.id == _digest(token)
    assert token not in row.id and token not in row.data
    assert "draft_id" in json.loads(row.data)  # what the traveller is doing lives on the server


def test_an_expired_session_is_not_loaded_and_the_traveller_starts_fresh(app, checkout):
    checkout.select_first()
    assert checkout.get("/customize").status_code == 200
    old_token = _cookie(checkout.client)
    with app.app_context():
        db.session.execute(update(WebSession).where(WebSession.id == _digest(old_token))
                           .values(expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    response = checkout.get("/customize")
    assert response.status_code == 303 and response.location == "/"
    assert "Your session has ended" in checkout.get("/").get_data(as_text=True)
    assert _cookie(checkout.client) != old_token  # a fresh session, under a new id
    # The old id stays dead even if the browser sends it again.
    checkout.client.set_cookie(COOKIE, old_token)
    assert checkout.get("/customize").status_code == 303


def test_a_planted_session_id_is_not_adopted(app, checkout):
    checkout.client.set_cookie(COOKIE, "chosen-by-someone-else")
    checkout.select_first()
    assert _cookie(checkout.client) not in (None, "chosen-by-someone-else")
    assert _digest("chosen-by-someone-else") not in {row.id for row in _rows(app)}


def test_staff_sign_in_gives_a_new_session_id_and_the_old_one_no_longer_works(app, client):
    email = make_staff(app, "agent")
    staff = StaffClient(client)
    staff.get("/staff/login")
    before = _cookie(client)
    assert before
    assert staff.sign_in(email).status_code == 303
    after = _cookie(client)
    assert after and after != before
    assert staff.get("/staff/bookings").status_code == 200
    assert {row.id for row in _rows(app)} == {_digest(after)}  # the old row is deleted
    client.set_cookie(COOKIE, before)
    response = staff.get("/staff/bookings")
    assert response.status_code == 303 and response.location.startswith("/staff/login")


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
