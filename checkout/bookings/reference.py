"""Booking references: FLY2A- and six characters without look-alikes (no 0/O, 1/I)."""
import secrets

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
PREFIX = "FLY2A-"
LENGTH = 6


def new_reference() -> str:
    return PREFIX + "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def looks_like_reference(text: str) -> bool:
    text = (text or "").strip().upper()
    return (
        len(text) == len(PREFIX) + LENGTH and text.startswith(PREFIX)
        and all(c in ALPHABET for c in text[len(PREFIX):])
    )
