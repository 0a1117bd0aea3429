"""The one argon2id hasher for staff passwords and recovery codes, at the cost the config names.

Production and the demo hash at argon2-cffi's recommended cost (RFC 9106's low-memory profile,
about a quarter of a second a hash here); the test configuration names the library's cheapest
profile, since a supervisor's account alone costs eleven hashes (a password and ten recovery
codes). A hash carries its own parameters, so verifying works whatever the profile that made it.
"""
from __future__ import annotations

import secrets
from functools import lru_cache

from argon2 import PasswordHasher, Parameters, profiles
from flask import current_app



@lru_cache(maxsize=None)
def _for_profile(name: str) -> tuple[PasswordHasher, str]:
    parameters = getattr(profiles, name)
    if not isinstance(parameters, Parameters):
        raise ValueError(f"ARGON2_PROFILE={name!r} is not a profile in argon2.profiles")
    hasher = PasswordHasher.from_parameters(parameters)
    # Verified against when the email is unknown, so timing does not reveal which accounts
    # exist: made with the same parameters as real hashes, so it costs what they cost.
    return hasher, hasher.hash(secrets.token_urlsafe(16))


def hasher() -> PasswordHasher:
    """The app's hasher (needs an app context)."""
    return _for_profile(current_app.config["ARGON2_PROFILE"])[0]


def dummy_hash() -> str:
    return _for_profile(current_app.config["ARGON2_PROFILE"])[1]
