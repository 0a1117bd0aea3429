"""Staff two-factor sign-in over HTTP: supervisors must enrol, agents may; the code step after
the password (a real TOTP computed with pyotp), recovery codes, lock-out, reset, the audit log."""
import re
from datetime import datetime, timedelta, timezone

import pyotp
import pytest
from sqlalchemy import func, select

from checkout.extensions import db
from checkout.models import AuditEntry, LoginFailure, StaffRecoveryCode, StaffUser
from checkout.staff import two_factor
from checkout.staff.auth import create_staff
from config import CONFIGS
from tests.staff_support import (
    PASSWORD, StaffClient, authenticator_code, enrol_authenticator, make_staff, staff_email,
)


def _audit(app, action, actor=None):
    with app.app_context():
        query = select(AuditEntry).where(AuditEntry.action == action)
        if actor:
            query = query.where(AuditEntry.actor == actor)
        return db.session.execute(query.order_by(AuditEntry.id)).scalars().all()


def _password(staff, email, password=PASSWORD):
    staff.get("/staff/login")
    return staff.post("/staff/login", {"email": email, "password": password})


def _code(staff, code):
    staff.get("/staff/login/code")
    response = staff.post("/staff/login/code", {"code": code})
    if response.status_code == 303:
        staff.get(response.location)  # signed in: a new session, and the next page's CSRF token
    return response


def _secret_on(page_html: str) -> str:
    return re.search(r'<code id="setup-key">([A-Z2-7 ]+)</code>', page_html).group(1).replace(" ", "")


def test_a_supervisor_without_two_factor_must_enrol_before_anything_else(app, client):
    email = make_staff(app, "supervisor", two_factor=False)
    staff = StaffClient(client)
    response = _password(staff, email)
    assert response.status_code == 303 and response.location == "/staff/two-factor/enrol"
    # Half signed in opens nothing: every page leads back to enrolment, the API says 401.
    for path in ("/staff/bookings", "/staff/dashboard", "/staff/two-factor"):
        blocked = staff.get(path)
        assert blocked.status_code == 303 and blocked.location == "/staff/login/code", path
        assert staff.get(blocked.location).location == "/staff/two-factor/enrol"
    assert staff.get("/api/bookings").status_code == 401

    page = staff.get("/staff/two-factor/enrol")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "<svg" in html and "QR code for your authenticator app" in html  # drawn inline
    assert not re.search(r'<(img|script)[^>]+src="https?://', html)  # nothing fetched from elsewhere
    assert ">Authentication code</label>" in html
    totp = pyotp.TOTP(_secret_on(html))

    wrong = staff.post("/staff/two-factor/enrol", {"code": "000000" if totp.now() != "000000" else "111111"})
    assert wrong.status_code == 422 and "not right" in wrong.get_data(as_text=True)
    done = staff.post("/staff/two-factor/enrol", {"code": totp.now()})
    html = done.get_data(as_text=True)
    assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store"
    codes = re.findall(r"<li><code>([A-Z0-9]{5}-[A-Z0-9]{5})</code></li>", html)
    assert len(codes) == 10 == len(set(codes)) and "shown only now" in html
    assert staff.get("/staff/bookings").status_code == 200  # signed in now
    with app.app_context():
        user = db.session.execute(select(StaffUser).where(StaffUser.email == email)).scalar_one()
        assert user.totp_secret == _secret_on(page.get_data(as_text=True))
        stored = [c.code_hash for c in db.session.execute(select(StaffRecoveryCode)).scalars()
                  if c.staff_user_id == user.id]
        assert len(stored) == 10 and all(h.startswith("$argon2id$") for h in stored)
        assert not any(code.replace("-", "") in h for code in codes for h in stored)
    assert _audit(app, "two_factor_enrolled", email)
    [signed_in] = _audit(app, "sign_in", email)
    assert "after enrolling two-factor" in signed_in.detail


def test_an_enrolled_account_signs_in_with_its_code_and_a_wrong_code_is_refused_and_counted(app, client):
    email = make_staff(app, "supervisor")
    staff = StaffClient(client)
    assert _password(staff, email).location == "/staff/login/code"
    page = staff.get("/staff/login/code").get_data(as_text=True)
    assert ">Authentication code</label>" in page and ">Verify</button>" in page
    right = authenticator_code(app, email)
    wrong = _code(staff, "%06d" % ((int(right) + 1) % 1_000_000))
    assert wrong.status_code == 422 and "That code is not right" in wrong.get_data(as_text=True)
    assert staff.get("/staff/bookings").status_code == 303  # still not signed in
    with app.app_context():
        assert db.session.execute(select(func.count()).where(LoginFailure.email == email)).scalar() == 1
    [failed] = _audit(app, "sign_in_failed", email)
    assert "wrong authentication code" in failed.detail
    response = _code(staff, right)
    assert response.status_code == 303 and response.location == "/staff/bookings"
    assert staff.get("/staff/bookings").status_code == 200
    [signed_in] = _audit(app, "sign_in", email)
    assert "with authentication code" in signed_in.detail


def test_wrong_codes_lock_the_account_like_wrong_passwords(app, client):
    email = make_staff(app, "supervisor")
    staff = StaffClient(client)
    _password(staff, email)
    right = authenticator_code(app, email)
    wrong = "%06d" % ((int(right) + 1) % 1_000_000)
    answers = [_code(staff, wrong).status_code for _ in range(3)]
    assert answers == [422, 422, 422]
    slowed = _code(staff, right)  # after 3 failures each try waits, even with the right code
    assert slowed.status_code == 429 and int(slowed.headers["Retry-After"]) >= 1
    with app.app_context():
        for _ in range(2):
            db.session.add(LoginFailure(email=email, ip_address="10.0.0.1", at=datetime.now(timezone.utc)))
        db.session.commit()
    locked = _code(staff, right)
    assert locked.status_code == 429 and "account is locked" in locked.get_data(as_text=True)
    assert staff.get("/staff/bookings").status_code == 303


def test_a_code_is_accepted_once(app, client):
    email = make_staff(app, "supervisor")
    staff = StaffClient(client)
    _password(staff, email)
    code = authenticator_code(app, email)
    assert _code(staff, code).status_code == 303
    staff.post("/staff/logout")
    _password(staff, email)
    again = _code(staff, code)  # seen over a shoulder: no use within its window
    assert again.status_code == 422
    assert staff.get("/staff/bookings").status_code == 303


def test_the_window_is_one_step_either_side_of_now(app_ctx):
    user = create_staff(staff_email("supervisor"), PASSWORD, "supervisor")
    secret = pyotp.random_base32()
    now = datetime(2030, 1, 1, 12, 0, 15, tzinfo=timezone.utc)
    totp = pyotp.TOTP(secret)
    assert two_factor.enrol(user.id, secret, totp.at(now), user.email, now=now)
    later = now + timedelta(minutes=5)
    assert two_factor.verify(user.id, totp.at(later - timedelta(seconds=60)), later) is None  # two steps old
    assert two_factor.verify(user.id, totp.at(later + timedelta(seconds=60)), later) is None  # two steps ahead
    assert two_factor.verify(user.id, totp.at(later - timedelta(seconds=30)), later) == "authentication code"
    assert two_factor.verify(user.id, totp.at(later), later) == "authentication code"
    # Used: the step before cannot follow the one after.
    assert two_factor.verify(user.id, totp.at(later - timedelta(seconds=30)), later) is None
    assert two_factor.verify(user.id, totp.at(later + timedelta(seconds=30)), later) == "authentication code"
    assert two_factor.verify(user.id, totp.at(later + timedelta(seconds=30)), later) is None


def test_a_recovery_code_signs_in_once(app, client):
    email = make_staff(app, "supervisor", two_factor=False)
    with app.app_context():
        codes = enrol_authenticator(email)
    staff = StaffClient(client)
    _password(staff, email)
    response = _code(staff, codes[3].lower().replace("-", " "))  # as typed from paper
    assert response.status_code == 303 and staff.get("/staff/bookings").status_code == 200
    [used] = _audit(app, "recovery_code_used", email)
    assert "9 recovery codes left" in used.detail
    assert "with recovery code" in _audit(app, "sign_in", email)[0].detail
    assert "9 recovery codes left" in staff.get("/staff/two-factor").get_data(as_text=True)
    staff.post("/staff/logout")
    _password(staff, email)
    assert _code(staff, codes[3]).status_code == 422
    assert _code(staff, codes[4]).status_code == 303


def test_two_factor_is_optional_for_agents(app, client):
    email = make_staff(app, "agent")
    staff = StaffClient(client)
    response = _password(staff, email)
    assert response.status_code == 303 and response.location == "/staff/bookings"  # password only
    assert "password only" in _audit(app, "sign_in", email)[0].detail
    settings = staff.get("/staff/two-factor").get_data(as_text=True)
    assert "Off: you sign in with your password only." in settings and "Set up two-factor sign-in" in settings
    assert "Reset a staff member" not in settings  # supervisors only
    html = staff.get("/staff/two-factor/enrol").get_data(as_text=True)
    totp = pyotp.TOTP(_secret_on(html))
    # The previous step's code (inside the window), as enrol_authenticator does: the current and
    # next steps stay free for the two codes below, so the test never waits ~30 s for the clock.
    earlier = datetime.now(timezone.utc) - timedelta(seconds=30)
    assert staff.post("/staff/two-factor/enrol", {"code": totp.at(earlier)}).status_code == 200
    staff.post("/staff/logout")
    assert _password(staff, email).location == "/staff/login/code"  # from now on, with a code
    assert _code(staff, authenticator_code(app, email)).status_code == 303
    # An agent may turn it off again, proving it with a code.
    staff.get("/staff/two-factor")
    assert staff.post("/staff/two-factor/disable", {"code": "123"}).status_code == 422
    done = staff.post("/staff/two-factor/disable", {"code": authenticator_code(app, email)})
    assert done.status_code == 303
    assert _audit(app, "two_factor_disabled", email)
    staff.post("/staff/logout")
    assert _password(staff, email).location == "/staff/bookings"


def test_a_supervisor_cannot_turn_it_off(app, client):
    email = make_staff(app, "supervisor")
    staff = StaffClient(client)
    staff.sign_in(email)
    refused = staff.post("/staff/two-factor/disable", {"code": authenticator_code(app, email)})
    assert refused.status_code == 422 and "Supervisors must keep" in refused.get_data(as_text=True)
    assert not _audit(app, "two_factor_disabled", email)


def test_a_supervisor_resets_a_colleague_s_two_factor_and_it_is_audited(app, client):
    supervisor = make_staff(app, "supervisor")
    colleague = make_staff(app, "supervisor")
    agent = make_staff(app, "agent")
    staff = StaffClient(client)
    staff.sign_in(supervisor)
    assert "Reset a staff member" in staff.get("/staff/two-factor").get_data(as_text=True)
    unknown = staff.post("/staff/two-factor/reset", {"email": "nobody@fly2any.test"})
    assert unknown.status_code == 422 and "no staff account" in unknown.get_data(as_text=True)
    done = staff.post("/staff/two-factor/reset", {"email": colleague.upper()})
    assert done.status_code == 303
    assert f"for {colleague} is reset" in staff.get(done.location).get_data(as_text=True)
    [entry] = _audit(app, "two_factor_reset", supervisor)
    assert colleague in entry.detail
    # The colleague must enrol again at the next sign-in.
    assert _password(StaffClient(app.test_client()), colleague).location == "/staff/two-factor/enrol"
    # Agents may not reset anyone's.
    agent_client = StaffClient(app.test_client())
    agent_client.sign_in(agent)
    assert agent_client.post("/staff/two-factor/reset", {"email": supervisor}).status_code == 403


def test_the_cli_resets_two_factor_and_it_is_audited(app):
    email = make_staff(app, "supervisor")
    result = app.test_cli_runner().invoke(args=["reset-two-factor", email])
    assert result.exit_code == 0 and f"{email} is reset" in result.output
    [entry] = _audit(app, "two_factor_reset")
    assert entry.actor.startswith("flask reset-two-factor") and email in entry.detail
    with app.app_context():
        assert db.session.execute(select(StaffUser.totp_secret).where(StaffUser.email == email)).scalar() is None
    assert app.test_cli_runner().invoke(args=["reset-two-factor", "nobody@fly2any.test"]).exit_code != 0


def test_create_staff_is_unchanged_and_asks_nothing_about_two_factor(app):
    email = staff_email("supervisor")
    result = app.test_cli_runner().invoke(args=["create-staff", email, "--role", "supervisor"],
                                          input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0 and f"Staff account {email} (supervisor) is ready." in result.output


@pytest.mark.parametrize("demo", [False, True])
def test_only_the_demo_config_lets_its_own_account_skip_two_factor(app, client, monkeypatch, demo):
    email = make_staff(app, "supervisor", two_factor=False)
    monkeypatch.setitem(app.config, "STAFF_2FA_EXEMPT", (email,))
    monkeypatch.setitem(app.config, "DEMO", demo)
    response = _password(StaffClient(client), email)
    assert response.location == ("/staff/bookings" if demo else "/staff/two-factor/enrol")
    # Production has no demo and names no exempt account.
    assert not CONFIGS["production"].DEMO and not getattr(CONFIGS["production"], "STAFF_2FA_EXEMPT", ())
