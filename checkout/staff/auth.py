"""Staff sign-in: argon2id passwords, a second step with an authenticator code
(staff/two_factor.py), sessions with idle and absolute timeouts, lock-out.

A new session id is issued after the password and again at sign-in (no session fixation).
Between the two steps the session holds only `staff_pending_id`, which opens no page: a
supervisor who has not enrolled is sent to enrolment and can do nothing else until then.
Failed passwords and failed codes are counted alike. A browser that signed in to an account
before carries a signed device cookie for it (OWASP's "device cookies"): its failures count
for that browser alone, and strangers' failures never lock it out. From anywhere else they
count per account and per address: after 3 for an account each further try must wait longer
(2, 4, 8 … s), after 5 in 15 minutes the account is locked for 15 minutes to browsers without
its device cookie, and an address with 20 failures in 15 minutes is locked out whatever
account it tries. A device cookie with 5 failures in 15 minutes counts as a stranger's
until then. Every failure is in the audit log.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps

from argon2.exceptions import InvalidHashError, VerificationError
from flask import abort, current_app, g, request, session, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, select

from .. import audit
from ..clock import utcnow
from ..extensions import db
from ..models import ApiToken, LoginFailure, StaffRole, StaffUser
from ..presentation import go_to
from .passwords import dummy_hash, hasher

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=8)
FAILURE_WINDOW = timedelta(minutes=15)
SLOW_DOWN_AFTER = 3
ACCOUNT_LOCK_AFTER = 5
ADDRESS_LOCK_AFTER = 20
SECOND_STEP_TIMEOUT = timedelta(minutes=10)  # from the password to the code (or enrolment)
DEVICE_COOKIE = "fly2any_staff_device"
DEVICE_LIFETIME = timedelta(days=90)  # renewed at every sign-in
DEVICE_SALT = "fly2any-staff-device"


class SignInRefused(Exception):
    def __init__(self, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.message, self.retry_after = message, retry_after


def create_staff(email: str, password: str, role: str, now: datetime | None = None) -> StaffUser:
    if role not in StaffRole.ALL:
        raise ValueError(f"role must be one of {', '.join(StaffRole.ALL)}")
    if len(password) < 10:
        raise ValueError("use a password of at least 10 characters")
    email = email.strip().lower()
    user = db.session.execute(select(StaffUser).where(StaffUser.email == email)).scalar_one_or_none()
    if user is None:
        user = StaffUser(email=email, created_at=now or utcnow())
        db.session.add(user)
    user.password_hash, user.role, user.active = hasher().hash(password), role, True
    db.session.commit()
    return user


def _recent_failures(now: datetime, where) -> tuple[int, datetime | None]:
    count, last = db.session.execute(
        select(func.count(), func.max(LoginFailure.at)).where(where, LoginFailure.at >= now - FAILURE_WINDOW)
    ).one()
    return count, last


def _slow_down(count: int, last: datetime | None, now: datetime) -> None:
    if count >= SLOW_DOWN_AFTER:
        wait = timedelta(seconds=2 ** (count - SLOW_DOWN_AFTER + 1))
        if now < last + wait:
            seconds = max(1, int((last + wait - now).total_seconds()) + 1)
            raise SignInRefused(f"Please wait {seconds} seconds before trying again.", retry_after=seconds)


def _locked(last: datetime, now: datetime) -> SignInRefused:
    return SignInRefused("This account is locked after repeated failed sign-ins. Try again in 15 minutes, "
                         "or ask a supervisor.", retry_after=max(1, int((last + FAILURE_WINDOW - now).total_seconds())))


def check_not_locked(email: str, ip_address: str, now: datetime, device: str | None = None) -> str | None:
    """SignInRefused while this try must wait; otherwise the device its failure will count
    against (`device` while that browser has fewer than 5 recent failures, else None: it is
    counted as a stranger, per account and address)."""
    if device is not None:
        count, last = _recent_failures(now, LoginFailure.device == device)
        if count < ACCOUNT_LOCK_AFTER:
            _slow_down(count, last, now)
            return device
    stranger = LoginFailure.device.is_(None)
    by_address, _ = _recent_failures(now, (LoginFailure.ip_address == ip_address) & stranger)
    if by_address >= ADDRESS_LOCK_AFTER:
        raise SignInRefused("Too many failed sign-ins from this network. Please wait 15 minutes.",
                            retry_after=int(FAILURE_WINDOW.total_seconds()))
    count, last = _recent_failures(now, (LoginFailure.email == email) & stranger)
    if count >= ACCOUNT_LOCK_AFTER:
        raise _locked(last, now)
    _slow_down(count, last, now)
    return None


def authenticate(email: str, password: str, ip_address: str, now: datetime | None = None,
                 device: str | None = None) -> StaffUser:
    """The staff user, or SignInRefused with a message that does not say which part was wrong.
    `device`: the id of this browser's device cookie for this email (trusted_device)."""
    now = now or utcnow()
    email = (email or "").strip().lower()
    device = check_not_locked(email, ip_address, now, device)
    user = db.session.execute(select(StaffUser).where(StaffUser.email == email)).scalar_one_or_none()
    try:
        hasher().verify(user.password_hash if user else dummy_hash(), password or "")
        ok = user is not None and user.active
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        record_failure(email, ip_address, now, "wrong password", device)
        raise SignInRefused("That email and password don't match an active staff account.")
    if hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hasher().hash(password)
    user.last_login_at = now
    db.session.commit()
    return user


def record_failure(email: str, ip_address: str, now: datetime, what: str, device: str | None = None) -> None:
    """A failed password or code: counted towards the lock-outs and audited. Commits."""
    db.session.add(LoginFailure(email=email[:254], ip_address=ip_address[:64], at=now, device=device))
    detail = f"{what} from {ip_address}" + (" (a browser that signed in before)" if device else "")
    audit.record(email[:254] or "(no email)", "sign_in_failed", detail=detail, now=now)
    db.session.commit()


# -- device cookies: a browser that signed in before is not locked out by strangers --------

def _device_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=DEVICE_SALT)


def trusted_device(email: str | None) -> str | None:
    """The id in this browser's device cookie when it was issued at a sign-in to `email`
    (signed with SECRET_KEY, younger than DEVICE_LIFETIME); None otherwise."""
    value = request.cookies.get(DEVICE_COOKIE, "")
    if not value or len(value) > 500:
        return None
    try:
        issued = _device_serializer().loads(value, max_age=int(DEVICE_LIFETIME.total_seconds()))
    except BadSignature:  # also an expired one (SignatureExpired)
        return None
    if not isinstance(issued, dict) or issued.get("email") != (email or "").strip().lower():
        return None
    device = issued.get("device")
    return device if isinstance(device, str) and len(device) <= 32 else None


def remember_device(response, user: StaffUser):
    """After a full sign-in: a new device cookie for this account, sent only to /staff."""
    value = _device_serializer().dumps({"email": user.email, "device": secrets.token_urlsafe(16)})
    response.set_cookie(DEVICE_COOKIE, value, max_age=int(DEVICE_LIFETIME.total_seconds()), path="/staff",
                        httponly=True, secure=current_app.config.get("SESSION_COOKIE_SECURE", True), samesite="Strict")
    return response


def skips_two_factor(user: StaffUser) -> bool:
    """Only the demo's own account (DESIGN.md: a newcomer signs in with email and password),
    only while the config is the demo's: never in production, whatever else is set."""
    return bool(current_app.config.get("DEMO")) and user.email in current_app.config.get("STAFF_2FA_EXEMPT", ())


def start_second_step(user: StaffUser, next_path: str | None, now: datetime | None = None) -> None:
    """The password was right; the code (or enrolment) is still to come. Opens no page."""
    now = now or utcnow()
    session.clear()
    session.regenerate()
    session["staff_pending_id"] = user.id
    session["staff_pending_at"] = now.isoformat()
    session["staff_pending_next"] = next_path or ""
    g.pop("staff_request", None)


def pending_staff(now: datetime | None = None) -> StaffUser | None:
    """The staff member between password and code, for SECOND_STEP_TIMEOUT at most."""
    user_id = session.get("staff_pending_id")
    if not user_id:
        return None
    if (now or utcnow()) - datetime.fromisoformat(session["staff_pending_at"]) > SECOND_STEP_TIMEOUT:
        for key in ("staff_pending_id", "staff_pending_at", "staff_pending_next", "staff_enrol_secret"):
            session.pop(key, None)
        return None
    user = db.session.get(StaffUser, user_id)
    return user if user is not None and user.active else None


def sign_in(user: StaffUser, now: datetime | None = None) -> None:
    now = now or utcnow()
    session.clear()
    session.regenerate()  # a new session id: a planted cookie cannot ride into a staff session
    session["staff_user_id"] = user.id
    session["staff_signed_in_at"] = now.isoformat()
    session["staff_seen_at"] = now.isoformat()
    g.pop("staff_request", None)


def sign_out() -> None:
    session.clear()
    g.pop("staff_request", None)


def current_staff(now: datetime | None = None) -> StaffUser | None:
    """The signed-in staff user, enforcing the idle and absolute timeouts."""
    this_request = request._get_current_object()
    # Cached per request (g outlives a request when a test holds the app context open).
    if g.get("staff_request") is this_request:
        return g.staff_user
    g.session_timed_out = False
    now = now or utcnow()
    user = None
    user_id = session.get("staff_user_id")
    if user_id:
        signed_in = datetime.fromisoformat(session["staff_signed_in_at"])
        seen = datetime.fromisoformat(session["staff_seen_at"])
        if now - seen > IDLE_TIMEOUT or now - signed_in > ABSOLUTE_TIMEOUT:
            session.clear()
            g.session_timed_out = True
        else:
            user = db.session.get(StaffUser, user_id)
            if user is None or not user.active:
                session.clear()
                user = None
            elif now - seen > timedelta(seconds=60):  # refresh the idle clock, not on every request
                session["staff_seen_at"] = now.isoformat()
    g.staff_request, g.staff_user = this_request, user
    return user


def staff_required(role: str | None = None):
    """Pages for staff only; `role="supervisor"` for refunds and cancellations."""
    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            user = current_staff()
            if user is None and pending_staff() is not None:
                return go_to(url_for("staff.login_code"))  # the code, or enrolment: nothing else first
            if user is None:
                # go_to: a 303, or HX-Redirect for htmx (the sign-in page must not land in a fragment's place).
                return go_to(url_for("staff.login", next=request.full_path if request.method == "GET" else None,
                                     timed_out=1 if g.get("session_timed_out") else None))
            if role == StaffRole.SUPERVISOR and user.role != StaffRole.SUPERVISOR:
                abort(403, "Only supervisors can do this. Ask a supervisor to help.")
            return view(*args, **kwargs)
        return wrapper
    return decorator


# -- API tokens ----------------------------------------------------------------------

def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(name: str, staff_user: StaffUser | None = None, now: datetime | None = None) -> str:
    """A new bearer token; shown once, only its SHA-256 is stored."""
    token = "f2a_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(name=name, token_hash=_token_digest(token), staff_user_id=staff_user.id if staff_user else None,
                            created_at=now or utcnow()))
    db.session.commit()
    return token


def api_token_from_request(now: datetime | None = None) -> ApiToken | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    row = db.session.execute(
        select(ApiToken).where(ApiToken.token_hash == _token_digest(header[7:].strip()), ApiToken.revoked_at.is_(None))
    ).scalar_one_or_none()
    if row is not None:
        row.last_used_at = now or utcnow()
        db.session.commit()
    return row


@dataclass(frozen=True)
class StaffActor:
    """Who is acting through the API: a signed-in staff member or a token."""
    name: str
    can_refund: bool
    # Signed in through the staff console's session cookie, which the browser sends with any
    # request, also one another site starts: the API then asks for the CSRF token and our Origin.
    by_cookie: bool = False


def staff_actor() -> StaffActor | None:
    """The token when an Authorization header is sent (a script's credential, never sent by a
    browser on its own), otherwise the staff member signed in by the session cookie."""
    if request.headers.get("Authorization"):
        token = api_token_from_request()
        if token is None:
            return None
        if token.staff_user_id is None:
            # An integration token (no owner) acts with supervisor rights; docs/adr/0026-api-tokens-owned-or-integration.md.
            return StaffActor(f"api token {token.name}", True)
        owner = db.session.get(StaffUser, token.staff_user_id)
        if owner is None or not owner.active:
            return None  # a departed staff member's tokens die with their account
        return StaffActor(f"api token {token.name}", owner.can_refund)
    user = current_staff()
    return StaffActor(user.email, user.can_refund, by_cookie=True) if user is not None else None
