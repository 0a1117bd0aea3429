"""What the load balancer sees: /healthz from the process alone, /readyz from PostgreSQL,
Redis and Stripe, 503 naming what failed and nothing secret. Failures are made real: a
Redis or Stripe address where nothing listens, or a Stripe that never answers."""
import socket

from sqlalchemy import func, select

from checkout.extensions import db
from checkout.models import ErrorEvent
from tests.ops_support import another_app, closed_port


def test_healthz_answers_200_without_touching_the_database(app):
    assert app.test_client().get("/healthz").get_json() == {"status": "ok"}
    nowhere = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/nothing"
    with another_app(app, SQLALCHEMY_DATABASE_URI=nowhere) as down:
        response = down.test_client().get("/healthz")
        assert response.status_code == 200 and response.get_json() == {"status": "ok"}
        assert response.headers["Cache-Control"] == "no-store"
        ready = down.test_client().get("/readyz")
        assert ready.status_code == 503 and ready.get_json()["failed"] == ["database"]


def test_readyz_is_200_listing_every_check_when_all_answer(app):
    response = app.test_client().get("/readyz")
    body = response.get_json()
    assert response.status_code == 200 and body["status"] == "ready", body
    assert set(body["checks"]) == {"database", "redis", "stripe"}
    assert all(check["ok"] is True and isinstance(check["ms"], int) for check in body["checks"].values())


def test_readyz_is_503_naming_a_stopped_redis_and_shows_no_secret(app, app_ctx):
    password = "s3cret-redis-password"
    with another_app(app, RATELIMIT_STORAGE_URI=f"redis://:{password}@127.0.0.1:{closed_port()}/0") as redis_down:
        response = redis_down.test_client().get("/readyz")
    body = response.get_json()
    assert response.status_code == 503 and body["status"] == "not ready" and body["failed"] == ["redis"]
    assert body["checks"]["redis"]["ok"] is False and body["checks"]["database"]["ok"] is True
    text = response.get_data(as_text=True)
    for secret in (password, "127.0.0.1", app.config["STRIPE_SECRET_KEY"], "postgres"):
        assert secret not in text
    # The load balancer's polls are not counted as errors on the monitoring dashboard.
    assert db.session.execute(select(func.count()).select_from(ErrorEvent)
                              .where(ErrorEvent.path == "/readyz")).scalar_one() == 0


def test_readyz_is_503_naming_stripe_when_its_api_does_not_answer(app):
    with another_app(app, STRIPE_API_BASE=f"http://127.0.0.1:{closed_port()}") as stripe_down:
        response = stripe_down.test_client().get("/readyz")
    body = response.get_json()
    assert response.status_code == 503 and body["failed"] == ["stripe"]
    assert body["checks"]["stripe"]["error"].startswith("unreachable")
    assert body["checks"]["redis"]["ok"] is True and body["checks"]["database"]["ok"] is True


def test_readyz_gives_up_on_a_stripe_that_accepts_and_never_answers(app):
    with socket.socket() as silent:  # accepts connections (the kernel's backlog), never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        base = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with another_app(app, STRIPE_API_BASE=base, READINESS_TIMEOUT_SECONDS=0.5) as stripe_hangs:
            response = stripe_hangs.test_client().get("/readyz")
    body = response.get_json()
    assert response.status_code == 503 and body["failed"] == ["stripe"], body
