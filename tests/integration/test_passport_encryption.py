"""Passport, redress and Known Traveler numbers at rest, on PostgreSQL: ciphertext to anyone
reading the table, plain text to the checkout; keys rotate without losing a row; the migration encrypts what was stored
in plain text, and refuses to run without a key rather than leave it readable."""
import secrets
from datetime import date

import pytest
from cryptography.fernet import Fernet, InvalidToken
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from checkout import create_app
from checkout.catalog.seed import seed_all
from checkout.encryption import new_key
from checkout.extensions import db
from checkout.models import Passenger
from tests.conftest import BASE_URL, RATE_LIMITS, _admin, _with_database
from tests.payments_support import KTN, REDRESS, pending_booking

PASSPORT = "X1234567"  # what payments_support.pending_booking's traveller types


def stored_passports(booking_id: int, column: str = "passport_number") -> list[str]:
    """What someone with SQL access to the table sees (no model, no type: the raw column)."""
    return list(db.session.execute(text(f"SELECT {column} FROM passengers WHERE booking_id = :id"),
                                   {"id": booking_id}).scalars())


def test_the_table_holds_ciphertext_and_the_checkout_reads_the_number(app_ctx):
    first, second = pending_booking(), pending_booking()
    db.session.expire_all()

    stored = stored_passports(first.id) + stored_passports(second.id)
    assert len(stored) == 2 and all(PASSPORT not in value for value in stored)
    assert all(value.startswith("gAAAAA") for value in stored)  # Fernet tokens
    assert stored[0] != stored[1], "the same number must not give the same ciphertext (a fresh IV each time)"
    assert db.session.get(Passenger, first.passengers[0].id).passport_number == PASSPORT


def test_redress_and_known_traveler_numbers_are_stored_as_ciphertext_too(app_ctx):
    booking = pending_booking()
    db.session.expire_all()
    for column, number in (("redress_number", REDRESS), ("known_traveler_number", KTN)):
        stored = stored_passports(booking.id, column)[0]
        assert number not in stored and stored.startswith("gAAAAA"), column
        assert getattr(db.session.get(Passenger, booking.passengers[0].id), column) == number


def test_rotating_the_key_re_encrypts_every_passport_with_the_newest(app, app_ctx, monkeypatch):
    old, new = new_key(), new_key()
    monkeypatch.setitem(app.config, "PII_ENCRYPTION_KEYS", old)
    booking = pending_booking()
    before = stored_passports(booking.id)[0]
    assert Fernet(old).decrypt(before.encode()).decode() == PASSPORT

    monkeypatch.setitem(app.config, "PII_ENCRYPTION_KEYS", f"{new},{old}")
    db.session.expire_all()
    assert db.session.get(Passenger, booking.passengers[0].id).passport_number == PASSPORT  # old rows still read
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["rotate-pii-key"])
    assert result.exit_code == 0, result.output
    assert "Re-encrypted the numbers of 1 passenger with the newest key" in result.output

    after = stored_passports(booking.id)[0]
    assert Fernet(new).decrypt(after.encode()).decode() == PASSPORT
    assert Fernet(new).decrypt(stored_passports(booking.id, "known_traveler_number")[0].encode()).decode() == KTN
    with pytest.raises(InvalidToken):
        Fernet(old).decrypt(after.encode())  # the old key can now be dropped
    monkeypatch.setitem(app.config, "PII_ENCRYPTION_KEYS", new)
    db.session.expire_all()
    assert db.session.get(Passenger, booking.passengers[0].id).passport_number == PASSPORT


def test_a_malformed_key_stops_the_start_without_showing_the_key():
    with pytest.raises(ValueError) as refused:
        create_app("test", {"PII_ENCRYPTION_KEYS": f"{new_key()},not-a-real-key", **RATE_LIMITS})
    assert "key 2 of 2 is not a Fernet key" in str(refused.value)
    assert "not-a-real-key" not in str(refused.value)


# -- the migration ------------------------------------------------------------------------

@pytest.fixture
def database_with_plain_passports(monkeypatch):
    """A database at the revision before encryption, holding a passport number in plain text."""
    monkeypatch.delenv("PII_ENCRYPTION_KEYS", raising=False)
    name = f"fly2any_pii_{secrets.token_hex(4)}"
    _admin(f'CREATE DATABASE "{name}"')
    url = _with_database(BASE_URL, name)
    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": url, "PII_ENCRYPTION_KEYS": "", **RATE_LIMITS})
    with app.app_context():
        upgrade(revision="0006")
        seed_all(date.today(), 1)
        db.session.execute(text(
            "INSERT INTO bookings (reference, status, flight_id, fare_family_code, insurance, priority_boarding,"
            " currency, held_base_fare, hold_expires_at, created_at, updated_at, channel)"
            " SELECT 'FLY2A-PLAIN2', 'CONFIRMED', id, 'BASIC', false, false, 'USD', base_fare, now(), now(), now(),"
            " 'web' FROM flights ORDER BY id LIMIT 1"))
        db.session.execute(text(
            "INSERT INTO passengers (booking_id, position, passenger_type, first_name, last_name, passport_number,"
            " checked_bags) SELECT id, 0, 'adult', 'Ada', 'Lovelace', :passport, 0 FROM bookings"),
            {"passport": PASSPORT})
        db.session.commit()
        db.engine.dispose()
    yield url
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_migration_without_a_key_refuses_and_leaves_the_data_as_it_was(database_with_plain_passports, caplog):
    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": database_with_plain_passports, "PII_ENCRYPTION_KEYS": "", **RATE_LIMITS})
    with app.app_context():
        with pytest.raises(SystemExit):  # `flask db upgrade` prints the message and exits with 1
            upgrade()
        assert "1 passport numbers are stored in plain text and PII_ENCRYPTION_KEYS is not set" in caplog.text
        db.session.rollback()
        assert db.session.execute(text("SELECT passport_number FROM passengers")).scalar_one() == PASSPORT
        assert db.session.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0006"
        db.engine.dispose()


def test_the_migration_encrypts_plain_passports_and_the_downgrade_decrypts_them(database_with_plain_passports):
    key = new_key()
    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": database_with_plain_passports, "PII_ENCRYPTION_KEYS": key, **RATE_LIMITS})
    with app.app_context():
        upgrade()
        stored = db.session.execute(text("SELECT passport_number FROM passengers")).scalar_one()
        assert PASSPORT not in stored and Fernet(key).decrypt(stored.encode()).decode() == PASSPORT
        assert db.session.execute(select(Passenger.passport_number)).scalar_one() == PASSPORT
        db.session.commit()

        downgrade(revision="0006")
        assert db.session.execute(text("SELECT passport_number FROM passengers")).scalar_one() == PASSPORT
        db.session.commit()
        db.engine.dispose()
