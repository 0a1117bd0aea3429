"""Staff two-factor sign-in: a TOTP authenticator app (RFC 6238, 30-second steps, 6 digits)
and one-time recovery codes.

Required for supervisors (they refund and cancel), optional for agents. A code is accepted
one step either side of now (clock drift), and only for a step later than the last one
accepted for that account, so a code seen over a shoulder cannot be used again. Recovery
codes are shown once and stored as argon2id hashes like passwords; each works once.

Everything here takes plain values, owns its transaction and audits what changes; the
screens (staff/auth.py, staff/routes.py) keep the half-signed-in state in the session.
"""
from __future__ import annotations

import hmac
import secrets
from datetime import datetime

import pyotp
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select

from .. import audit
from ..clock import utcnow
from ..extensions import db
from ..models import StaffRecoveryCode, StaffRole, StaffUser
from .passwords import hasher  # argon2id, as for passwords

ISSUER = "Fly2Any staff"
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no look-alikes: 10 characters = 50 bits
WINDOW_STEPS = 1  # one 30-second step either side of now


def required(user: StaffUser) -> bool:
    return user.role == StaffRole.SUPERVISOR


def enrolled(user: StaffUser) -> bool:
    return user.totp_secret is not None


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits


def provisioning_uri(secret: str, email: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def _digits(code: str) -> str:
    return "".join((code or "").split())


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code this is (within the window), or None."""
    code = _digits(code)
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - WINDOW_STEPS, current + WINDOW_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _normal_recovery_code(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def _new_recovery_codes(user: StaffUser, now: datetime) -> list[str]:
    db.session.execute(delete(StaffRecoveryCode).where(StaffRecoveryCode.staff_user_id == user.id))
    codes = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10)) for _ in range(RECOVERY_CODES)]
    for code in codes:
        db.session.add(StaffRecoveryCode(staff_user_id=user.id, code_hash=hasher().hash(code), created_at=now))
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def _lock(user_id: int) -> StaffUser:
    return db.session.execute(select(StaffUser).where(StaffUser.id == user_id).with_for_update()
                              .execution_options(populate_existing=True)).scalar_one()


def enrol(user_id: int, secret: str, code: str, actor: str, now: datetime | None = None) -> list[str] | None:
    """Turn two-factor on with `secret` once the person shows a code their app made from it.

    Returns the new recovery codes in plain text (to show once; only hashes are kept), or
    None when the code is wrong (nothing changes). Replaces any earlier secret and codes.
    Audited. Commits.
    """
    now = now or utcnow()
    step = _matching_step(secret, code, now)
    if step is None:
        return None
    user = _lock(user_id)
    user.totp_secret, user.totp_last_step = secret, step
    codes = _new_recovery_codes(user, now)
    audit.record(actor, "two_factor_enrolled", detail=f"{user.email}: authenticator app and "
                                                      f"{RECOVERY_CODES} recovery codes", now=now)
    db.session.commit()
    return codes


def verify(user_id: int, code: str, now: datetime | None = None) -> str | None:
    """Check the second step: "authentication code" or "recovery code" when accepted (and now
    spent), None when not. Locks the staff row, so two tabs cannot spend one code. Commits
    an accepted code; the caller counts a refusal as a failed sign-in."""
    now = now or utcnow()
    user = _lock(user_id)
    if user.totp_secret is None:
        db.session.rollback()
        return None
    step = _matching_step(user.totp_secret, code, now)
    if step is not None:
        if user.totp_last_step is not None and step <= user.totp_last_step:
            db.session.rollback()  # this code (or an older one) was already used
            return None
        user.totp_last_step = step
        db.session.commit()
        return "authentication code"
    given = _normal_recovery_code(code)
    if len(given) == 10:
        unused = db.session.execute(select(StaffRecoveryCode).where(
            StaffRecoveryCode.staff_user_id == user.id, StaffRecoveryCode.used_at.is_(None))).scalars().all()
        for row in unused:
            try:
                hasher().verify(row.code_hash, given)
            except (VerificationError, InvalidHashError):
                continue
            row.used_at = now
            left = len(unused) - 1
            audit.record(user.email, "recovery_code_used", detail=f"{left} recovery codes left", now=now)
            db.session.commit()
            return "recovery code"
    db.session.rollback()
    return None


def recovery_codes_left(user: StaffUser) -> int:
    return db.session.execute(select(func.count()).where(
        StaffRecoveryCode.staff_user_id == user.id, StaffRecoveryCode.used_at.is_(None))).scalar()


def _clear(user: StaffUser) -> None:
    user.totp_secret, user.totp_last_step = None, None
    db.session.execute(delete(StaffRecoveryCode).where(StaffRecoveryCode.staff_user_id == user.id))


def disable(user_id: int, code: str, now: datetime | None = None) -> bool:
    """An agent turns two-factor off, proving it with a current code (or a recovery code).
    Supervisors cannot: it is required for them. False when refused. Audited. Commits."""
    now = now or utcnow()
    user = db.session.get(StaffUser, user_id)
    if user is None or required(user) or verify(user_id, code, now) is None:
        return False
    user = _lock(user_id)
    _clear(user)
    audit.record(user.email, "two_factor_disabled", detail=user.email, now=now)
    db.session.commit()
    return True


class NoSuchStaff(LookupError):
    pass


def reset(email: str, actor: str, now: datetime | None = None) -> StaffUser:
    """Forget a staff member's authenticator and recovery codes (a lost phone). A supervisor
    must enrol again at their next sign-in. Audited with who did it. Commits."""
    now = now or utcnow()
    user = db.session.execute(select(StaffUser).where(StaffUser.email == email.strip().lower())).scalar_one_or_none()
    if user is None:
        raise NoSuchStaff(f"There is no staff account {email.strip()}.")
    user = _lock(user.id)
    _clear(user)
    audit.record(actor, "two_factor_reset", detail=f"{user.email}: authenticator and recovery codes removed", now=now)
    db.session.commit()
    return user
