"""Alembic migrations build the whole schema from an empty PostgreSQL database, and a
database at any earlier revision, under its old revision id too, upgrades to the same schema."""
import secrets

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from flask_migrate.cli import db as db_command
from sqlalchemy import inspect, text

from checkout import create_app
from checkout.extensions import db
from tests.conftest import BASE_URL, RATE_LIMITS, _admin, _with_database

HEAD = "0015"
# The revision ids the migrations had before they were named after their files' numbers
# (migrations/env.py renames them), each with the migration it names now. Databases
# migrated back then hold one of them in alembic_version.
OLD_REVISION_IDS = [
    ("0004_h8c", "0004"), ("0004_h8d", "0005"), ("0004_h8a", "0006"), ("0005_h10d", "0007"),
    ("0005_h9a", "0008"), ("0004_h10c", "0009"), ("0008_h11b", "0010"), ("0011_staff_order", "0011"),
    ("0011_h9p", "0012"),
]

# Everything a migration makes in the public schema, as PostgreSQL prints it back. Not a
# column's position: a column dropped by a downgrade and added again comes last.
SCHEMA_QUERIES = {
    "columns": """SELECT table_name, column_name, data_type, character_maximum_length, is_nullable, column_default
                  FROM information_schema.columns WHERE table_schema = 'public'""",
    "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'",
    "constraints": """SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
                      FROM pg_constraint WHERE connamespace = 'public'::regnamespace""",
    "triggers": """SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid)
                   FROM pg_trigger WHERE NOT tgisinternal""",
    "functions": """SELECT proname, pg_get_functiondef(oid) FROM pg_proc
                    WHERE pronamespace = 'public'::regnamespace""",
    "sequences": "SELECT sequence_name, data_type FROM information_schema.sequences WHERE sequence_schema = 'public'",
}


def schema() -> dict[str, list[tuple]]:
    with db.engine.connect() as conn:
        return {name: sorted(tuple(row) for row in conn.execute(text(sql))) for name, sql in SCHEMA_QUERIES.items()}


def version() -> str:
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()


@pytest.fixture(scope="module")
def migrated():
    """An empty database migrated by `flask db upgrade`, that command's answer and the schema
    it made. One for the module (a full upgrade takes seconds); each test leaves it at head."""
    name = f"fly2any_migrate_{secrets.token_hex(4)}"
    _admin(f'CREATE DATABASE "{name}"')
    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": _with_database(BASE_URL, name), **RATE_LIMITS})
    try:
        with app.app_context():
            result = app.test_cli_runner().invoke(db_command, ["upgrade"])
            fresh = schema() if result.exit_code == 0 else None
            db.engine.dispose()
        yield app, result, fresh
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_flask_db_upgrade_from_empty_matches_the_models(migrated):
    app, result, _ = migrated
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert version() == HEAD
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        assert {"bookings", "seat_holds", "flights", "passengers"} <= set(inspect(db.engine).get_table_names())
        db.engine.dispose()


def test_the_migrations_downgrade_cleanly_and_upgrade_again(migrated):
    app, _, fresh = migrated
    with app.app_context():
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert schema() == fresh
        db.engine.dispose()


def test_a_database_under_any_old_revision_id_upgrades_to_the_fresh_schema(migrated):
    app, _, fresh = migrated
    assert fresh["triggers"] and fresh["functions"]  # 0012's, so they are compared too
    with app.app_context():
        upgrade()
        # Newest first, so each round goes down only to the migration it names.
        for old, new in reversed(OLD_REVISION_IDS):
            downgrade(revision=new)
            with db.engine.begin() as conn:  # as a database migrated before the renaming holds it
                conn.execute(text("UPDATE alembic_version SET version_num = :old"), {"old": old})
            upgrade()
            assert (old, version()) == (old, HEAD)
            assert schema() == fresh, f"upgraded from {old} ({new}), the schema differs from a fresh one"
        db.engine.dispose()
