"""Personal data encrypted at rest: passport numbers, with keys from the environment.

PII_ENCRYPTION_KEYS is a comma-separated list of Fernet keys, newest first. New values are
encrypted with the first key; a stored value decrypts with any key in the list. Rotating
is: put a new key in front, run `flask rotate-pii-key` (every row re-encrypted with it),
then drop the old key. Fernet is AES-128-CBC with an HMAC-SHA256, and a fresh IV per
value, so two travellers with the same number never share a ciphertext.

`EncryptedText` is the one place values are encrypted and decrypted: a column typed with
it holds ciphertext in the database (raw SQL sees only that) and plain text in Python.
Because every encryption is different, such a column cannot be searched or compared in SQL.
"""
from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import Flask, current_app
from sqlalchemy import String, TypeDecorator

SETTING = "PII_ENCRYPTION_KEYS"


class EncryptionKeyMissing(RuntimeError):
    pass


def new_key() -> str:
    """A fresh Fernet key (what goes into PII_ENCRYPTION_KEYS)."""
    return Fernet.generate_key().decode()


@lru_cache(maxsize=8)
def keyring(setting: str) -> MultiFernet:
    """The keys of a PII_ENCRYPTION_KEYS value, newest first; a bad key is named, never shown."""
    keys = [key.strip() for key in setting.split(",") if key.strip()]
    if not keys:
        raise EncryptionKeyMissing(f"{SETTING} is not set: personal data cannot be stored or read. "
                                   "Generate a key with `python -c \"from cryptography.fernet import Fernet; "
                                   "print(Fernet.generate_key().decode())\"`.")
    ciphers = []
    for position, key in enumerate(keys, start=1):
        try:
            ciphers.append(Fernet(key))
        except ValueError:
            raise ValueError(f"{SETTING}: key {position} of {len(keys)} is not a Fernet key "
                             "(32 bytes, url-safe base64).") from None
    return MultiFernet(ciphers)


def current_keyring() -> MultiFernet:
    return keyring(current_app.config.get(SETTING) or "")


def encrypt(value: str) -> str:
    return current_keyring().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return current_keyring().decrypt(token.encode()).decode()
    except InvalidToken:
        raise EncryptionKeyMissing(f"A stored value could not be decrypted with any key in {SETTING}. "
                                   "Was a key removed before `flask rotate-pii-key` had run?") from None


class EncryptedText(TypeDecorator):
    """Text encrypted with the newest key on the way in, decrypted on the way out."""
    impl = String(255)  # a 20-character passport number is a 120-character token
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else encrypt(value)

    def process_result_value(self, value, dialect):
        return None if value is None else decrypt(value)


def init_app(app: Flask) -> None:
    """A malformed key stops the start, not the first booking; a missing one is production's
    required-settings check (and the first passport saved says what to set)."""
    if app.config.get(SETTING):
        keyring(app.config[SETTING])
