"""Staff sign-in over HTTP: the form, a new session id, timeouts, slow-down, lock-out, sign-out, roles."""
from datetime import datetime, timedelta

from sqlalchemy import func, select

from checkout.clock import utcnow
from checkout.extensions import db
from checkout.models import AuditEntry, LoginFailure
from checkout.staff import auth
from tests.staff_support import PASSWORD, StaffClient, fresh_ip, make_staff, staff_email

COOKIE = "fly2any_session"


def _cookie(client) -> str | None:
    cookie = client.get_cookie(COOKIE)
    return cookie.value if cookie else None


def _failures(app, count, at, email=None, ip=None):
    with app.app_context():
        for i in range(count):
            db.session.add(LoginFailure(email=email or staff_email("nobody"), ip_address=ip or fresh_ip(), at=at))
        db.session.commit()


def test_login_form_has_email_password_and_sign_in(client):
    html = client.get("/staff/login").get_data(as_text=True)
    assert '<label for="email">Email</label>' in html and '<label for="password">Password</label>' in html
    assert ">Sign in</button>" in html and 'name="csrf_token"' in html


def test_pages_need_a_signed_in_staff_member(client):
    response = client.get("/staff/bookings?q=ada")
    assert response.status_code == 303
    assert response.location == "/staff/login?next=/staff/bookings?q%3Dada"
    fragment = client.get("/staff/bookings", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and fragment.headers["HX-Redirect"].startswith("/staff/login")


def test_sign_in_gives_a_new_session_id_and_goes_to_next(app, client):
    email = make_staff(app, "agent")
    staff = StaffClient(client)
    staff.get("/staff/login?next=/staff/bookings?status=CONFIRMED")
    assert _cookie(client) is None  # a sign-in form is not something to keep
    staff.select_first()  # a draft: now the browser has a session id
    staff.get("/staff/login?next=/staff/bookings?status=CONFIRMED")
    before = _cookie(client)
    assert before
    response = staff.post("/staff/login", {"email": email.upper(), "password": PASSWORD,
                                           "next": "/staff/bookings?status=CONFIRMED"})
    assert response.status_code == 303 and response.location == "/staff/bookings?status=CONFIRMED"
    assert _cookie(client) not in (None, before)
    page = staff.get("/staff/bookings")
    assert page.status_code == 200 and f"Signed in as {email} (agent)" in page.get_data(as_text=True)
    # The id from before sign-in is not a staff session.
    planted = app.test_client()
    planted.set_cookie(COOKIE, before)
    assert planted.get("/staff/bookings").status_code == 303
    with app.app_context():
        entry = db.session.execute(select(AuditEntry).where(AuditEntry.actor == email, AuditEntry.action == "sign_in")).scalar_one()
        assert entry.at > utcnow() - timedelta(minutes=1)


def test_next_must_be_a_local_path(app, client):
    email = make_staff(app, "agent")
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        staff = StaffClient(app.test_client())
        response = staff.sign_in(email, next_path=target)
        assert response.status_code == 303 and response.location == "/staff/bookings", target


def test_next_goes_through_the_one_redirect_check(app, client):
    """The same targets as the hold's `back` (tests/http/test_hold_extension.py): a signed-in
    visit to the sign-in page with `next` goes there only when it is a path here, never a 500."""
    from tests.http.test_hold_extension import KEPT_BACKS, REFUSED_BACKS
    staff = StaffClient(client)
    staff.sign_in(make_staff(app, "agent"))
    for target, expected in [(t, "/staff/bookings") for t in REFUSED_BACKS] + [(t, t) for t in KEPT_BACKS]:
        response = client.get("/staff/login", query_string={"next": target}, environ_base={"REMOTE_ADDR": staff.ip})
        if "\n" in target:  # a line break in a URL is refused at the edge (inputs.py)
            assert response.status_code == 400, repr(target)
        else:
            assert (response.status_code, response.location) == (303, expected), repr(target)


def test_wrong_password_is_422_with_the_message_and_the_email_kept(app, client):
    email = make_staff(app, "agent")
    staff = StaffClient(client)
    response = staff.sign_in(email, "not the password")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "don&#39;t match an active staff account" in html
    assert f'value="{email}"' in html and 'value="not the password"' not in html
    assert staff.get("/staff/bookings").status_code == 303
    with app.app_context():  # failures are in the audit log too, with the address
        entry = db.session.execute(select(AuditEntry).where(AuditEntry.actor == email)).scalar_one()
        assert entry.action == "sign_in_failed" and entry.detail == f"wrong password from {staff.ip}"


def test_missing_fields_are_422_with_messages(client):
    staff = StaffClient(client)
    staff.get("/staff/login")
    response = staff.post("/staff/login", {"email": "someone@fly2any.test", "password": ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Enter your password." in html and 'value="someone@fly2any.test"' in html


def test_a_post_without_the_csrf_token_is_refused(app, client):
    email = make_staff(app, "agent")
    response = client.post("/staff/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 400


def test_slow_down_after_three_failures_for_an_account(app, client):
    email = make_staff(app, "agent")
    _failures(app, 3, utcnow(), email=email)  # from three different addresses
    response = StaffClient(client).sign_in(email)  # even the right password must wait
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 3
    assert "Please wait" in response.get_data(as_text=True)


def test_account_lock_out_after_five_failures_from_any_address(app, client):
    email = make_staff(app, "agent")
    _failures(app, 5, utcnow() - timedelta(minutes=1), email=email)
    response = StaffClient(client).sign_in(email)
    assert response.status_code == 429
    assert 800 <= int(response.headers["Retry-After"]) <= 900
    assert "account is locked" in response.get_data(as_text=True)
    # It unlocks 15 minutes after the last failure.
    with app.app_context():
        later = utcnow() + timedelta(minutes=15)
        assert auth.authenticate(email, PASSWORD, fresh_ip(), now=later).email == email


def test_failures_over_http_count_toward_the_lock_out(app, client):
    email = make_staff(app, "agent")
    staff = StaffClient(client)
    codes = []
    for _ in range(3):
        codes.append(staff.sign_in(email, "wrong password").status_code)
    assert codes == [422, 422, 422]
    with app.app_context():
        assert db.session.execute(select(LoginFailure).where(LoginFailure.email == email)).scalars().all().__len__() == 3
    assert staff.sign_in(email).status_code == 429  # within 2 s of the third failure


def test_address_lock_out_after_twenty_failures(app, client):
    ip = fresh_ip()
    _failures(app, 20, utcnow(), ip=ip)  # twenty different accounts from one address
    email = make_staff(app, "agent")
    response = StaffClient(client, ip=ip).sign_in(email)
    assert response.status_code == 429 and response.headers["Retry-After"] == "900"
    assert "from this network" in response.get_data(as_text=True)
    # The same account from elsewhere is fine.
    assert StaffClient(app.test_client()).sign_in(email).status_code == 303


def _set_times(client, signed_in: datetime, seen: datetime):
    with client.session_transaction() as session:
        session["staff_signed_in_at"] = signed_in.isoformat()
        session["staff_seen_at"] = seen.isoformat()


def test_idle_timeout(app, client):
    staff = StaffClient(client)
    staff.sign_in(make_staff(app, "agent"))
    now = utcnow()
    _set_times(client, now - timedelta(minutes=29), now - timedelta(minutes=29))
    assert staff.get("/staff/bookings").status_code == 200  # and the idle clock starts again
    with client.session_transaction() as session:
        assert datetime.fromisoformat(session["staff_seen_at"]) > now - timedelta(minutes=1)
    _set_times(client, now - timedelta(minutes=31), now - timedelta(minutes=31))
    response = staff.get("/staff/bookings")
    assert response.status_code == 303 and "timed_out=1" in response.location
    assert "Your session timed out" in staff.get(response.location).get_data(as_text=True)
    assert staff.get("/staff/bookings").status_code == 303  # the session is gone, not just refused once


def test_absolute_timeout_even_when_active(app, client):
    staff = StaffClient(client)
    staff.sign_in(make_staff(app, "agent"))
    now = utcnow()
    _set_times(client, now - timedelta(hours=8, minutes=1), now - timedelta(seconds=5))
    response = staff.get("/staff/bookings")
    assert response.status_code == 303 and "/staff/login" in response.location


def test_sign_out_clears_the_session(app, client):
    email = make_staff(app, "supervisor")
    staff = StaffClient(client)
    staff.sign_in(email)
    response = staff.post("/staff/logout")
    assert response.status_code == 303 and response.location == "/staff/login"
    assert staff.get("/staff/bookings").status_code == 303
    with app.app_context():
        assert db.session.execute(select(AuditEntry).where(AuditEntry.actor == email,
                                                           AuditEntry.action == "sign_out")).scalar_one()


def test_sign_out_needs_the_csrf_token(app, client):
    staff = StaffClient(client)
    staff.sign_in(make_staff(app, "agent"))
    assert client.post("/staff/logout", data={}).status_code == 400
    assert staff.get("/staff/bookings").status_code == 200


def test_nav_shows_bookings_dashboard_sign_out_and_role(app, client):
    staff = StaffClient(client)
    email = make_staff(app, "supervisor")
    staff.sign_in(email)
    html = staff.get("/staff/bookings").get_data(as_text=True)
    # The page being shown is marked current (aria-current="page").
    assert '<a href="/staff/bookings" aria-current="page">Bookings</a>' in html
    assert 'href="/staff/dashboard">Dashboard</a>' in html
    assert ">Sign out</button>" in html and f"{email} (supervisor)" in html


def test_traveller_look_up_failures_never_lock_staff_out_of_their_network(app, client):
    """Twenty failed booking look-ups from an office address (manage my booking and the API)
    are not staff sign-in failures: a staff member there signs in with the right password."""
    ip = fresh_ip()
    traveller = StaffClient(app.test_client(), ip=ip)
    for n in range(10):
        traveller.get("/manage")
        assert traveller.post("/manage", {"reference": f"FLY2A-NOPE{n:02d}", "secret": "Lovelace"}).status_code == 422
        response = traveller.client.get("/api/bookings/1", environ_base={"REMOTE_ADDR": ip}, headers={
            "X-Booking-Reference": f"FLY2A-NOAP{n:02d}", "X-Booking-Email": "eve@example.com"})
        assert response.status_code == 404
    email = make_staff(app, "agent")
    assert StaffClient(client, ip=ip).sign_in(email).status_code == 303
    with app.app_context():
        assert db.session.execute(select(LoginFailure).where(LoginFailure.ip_address == ip)).first() is None


# -- strangers' failures do not lock the owner out (device cookies) --------------------------

class _Clock:
    """auth's "now", moved on by hand: strangers' tries spaced past the growing waits."""

    def __init__(self):
        self.now = utcnow()

    def __call__(self):
        return self.now


DEVICE_COOKIE = "fly2any_staff_device"


def _device_cookie(client):
    cookie = client.get_cookie(DEVICE_COOKIE, path="/staff")
    return cookie.value if cookie else None


def test_strangers_cannot_lock_a_supervisor_out_of_a_browser_that_signed_in_before(app, client, monkeypatch):
    """The probe: five wrong passwords from anyone (about 7 s with the waits) locked a
    supervisor's account for everyone for 15 minutes, their right password answered 429.
    Now the browser they signed in with before still signs in, and the strangers stay locked."""
    clock = _Clock()
    monkeypatch.setattr(auth, "utcnow", clock)
    email = make_staff(app, "supervisor")
    owner = StaffClient(client)
    assert owner.sign_in(email).status_code == 303
    assert _device_cookie(client)
    assert owner.post("/staff/logout").status_code == 303
    answers = []
    for _ in range(6):
        clock.now += timedelta(seconds=20)
        answers.append(StaffClient(app.test_client()).sign_in(email, "guess").status_code)
    assert answers == [422] * 5 + [429]  # each from a new address
    response = owner.sign_in(email)  # the right password, then the code, from the owner's browser
    assert response.status_code == 303 and response.location == "/staff/bookings"
    assert f"Signed in as {email} (supervisor)" in owner.get("/staff/bookings").get_data(as_text=True)
    # The strangers stay locked out, even with the right password, and so is any browser
    # that never signed in to this account (the trade-off: the owner's new browser waits too).
    for stranger in (StaffClient(app.test_client()), StaffClient(app.test_client(), ip=owner.ip)):
        refused = stranger.sign_in(email)
        assert refused.status_code == 429 and "account is locked" in refused.get_data(as_text=True)
        assert 800 <= int(refused.headers["Retry-After"]) <= 900


def test_a_device_cookie_counts_only_for_its_own_account_and_only_when_signed(app, client, monkeypatch):
    clock = _Clock()
    monkeypatch.setattr(auth, "utcnow", clock)
    victim, insider = make_staff(app, "agent"), make_staff(app, "agent")
    for _ in range(5):
        clock.now += timedelta(seconds=20)
        assert StaffClient(app.test_client()).sign_in(victim, "guess").status_code == 422
    # An insider's browser holds a device cookie for their own account: no use for the victim's.
    insider_browser = StaffClient(client)
    assert insider_browser.sign_in(insider).status_code == 303
    assert insider_browser.sign_in(victim).status_code == 429
    # Nor is a cookie anyone wrote themselves.
    forged = StaffClient(app.test_client())
    forged.client.set_cookie(DEVICE_COOKIE, _device_cookie(client)[:-4] + "AAAA", path="/staff")
    assert forged.sign_in(victim).status_code == 429
    # A mistake from a browser that signed in before counts for that browser, not the account.
    clock.now += timedelta(seconds=20)
    assert insider_browser.sign_in(insider, "typo").status_code == 422
    with app.app_context():
        devices = dict(db.session.execute(select(LoginFailure.email, func.count(LoginFailure.device))
                                          .where(LoginFailure.email.in_([victim, insider])).group_by(LoginFailure.email)).all())
    assert devices == {victim: 0, insider: 1}
