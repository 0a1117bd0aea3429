"""Alembic migrations build the whole schema from an empty PostgreSQL database."""
import secrets

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from checkout import create_app
from checkout.extensions import db
from tests.conftest import BASE_URL, RATE_LIMITS, _admin, _with_database


@pytest.fixture
def empty_database():
    name = f"fly2any_migrate_{secrets.token_hex(4)}"
    _admin(f'CREATE DATABASE "{name}"')
    yield _with_database(BASE_URL, name)
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_upgrade_from_empty_matches_the_models_and_downgrades_cleanly(empty_database):
    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": empty_database, **RATE_LIMITS})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        assert {"bookings", "seat_holds", "flights", "passengers"} <= set(inspect(db.engine).get_table_names())
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        db.engine.dispose()
