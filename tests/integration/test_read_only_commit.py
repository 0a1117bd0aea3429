"""A request that only read ends with COMMIT, so PostgreSQL keeps its prepared plans
(checkout/transactions.py); a request that wrote and did not commit still loses its write."""
from __future__ import annotations

import pytest
from sqlalchemy import delete, func, insert, select, text

from checkout import create_app
from checkout.clock import utcnow
from checkout.extensions import db
from checkout.models import Airport, ErrorEvent
from tests.conftest import RATE_LIMITS, stripe_offline_settings

MARK = "/read-only-commit-test"


@pytest.fixture(scope="module")
def one_connection_app(app, database_url, localstripe):  # app: the migrated, seeded database
    # One pooled connection, so every request and the checks below share it.
    own = create_app("test", {**stripe_offline_settings(localstripe), "SQLALCHEMY_DATABASE_URI": database_url,
                              **RATE_LIMITS, "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 1, "max_overflow": 0}})

    @own.get("/t/read")
    def read():
        return {"airports": db.session.execute(select(func.count()).select_from(Airport)).scalar()}

    @own.get("/t/flushed-not-committed")
    def flushed():
        db.session.add(ErrorEvent(at=utcnow(), kind="test", status=299, path=MARK))
        db.session.flush()  # sent, then the view answers without committing
        return {"ok": True}

    @own.get("/t/written-not-committed")
    def written():
        db.session.execute(insert(ErrorEvent).values(at=utcnow(), kind="test", status=299, path=MARK))
        return {"ok": True}

    @own.get("/t/text-select")
    def text_select():
        # SQL text starting with SELECT that changes the connection: it must not be committed.
        db.session.execute(text("SELECT set_config('application_name', 'changed-by-a-read', false)"))
        return {"ok": True}

    @own.get("/t/read-after-write")
    def read_after_write():
        db.session.execute(insert(ErrorEvent).values(at=utcnow(), kind="test", status=299, path=MARK))
        return {"airports": db.session.execute(select(func.count()).select_from(Airport)).scalar()}

    yield own
    with own.app_context():
        db.session.execute(delete(ErrorEvent).where(ErrorEvent.path == MARK))
        db.session.commit()
        db.engine.dispose()


def test_sql_text_is_never_taken_for_a_read(one_connection_app):
    client = one_connection_app.test_client()
    assert client.get("/t/text-select").status_code == 200
    with one_connection_app.app_context():  # the same pooled connection: the change was rolled back
        assert db.session.execute(text("SELECT current_setting('application_name')")).scalar() != "changed-by-a-read"


def _prepared(app) -> int:
    with app.app_context():
        return db.session.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar()


def test_a_read_only_request_keeps_its_prepared_statement(one_connection_app):
    client = one_connection_app.test_client()
    for _ in range(8):  # psycopg prepares a statement on its fifth run on a connection
        assert client.get("/t/read").status_code == 200
    # Ended with ROLLBACK, psycopg would have deallocated it after every request.
    assert _prepared(one_connection_app) >= 1


@pytest.mark.parametrize("path", ["/t/flushed-not-committed", "/t/written-not-committed", "/t/read-after-write"])
def test_a_write_the_request_did_not_commit_is_not_kept(one_connection_app, path):
    client = one_connection_app.test_client()
    assert client.get(path).status_code == 200
    with one_connection_app.app_context():
        assert db.session.execute(select(func.count()).select_from(ErrorEvent)
                                  .where(ErrorEvent.path == MARK)).scalar() == 0
