"""Fault tests: the app on its own PostgreSQL, Redis and localstripe, which the tests stop.

`app` here replaces the suite's for tests/faults only, so the shared services stay up for
everyone else. After each test every private service is running again.
"""
from __future__ import annotations

import secrets

import pytest

from checkout import create_app
from checkout.extensions import db, limiter
from tests.conftest import migrate_and_seed, stripe_offline_settings
from tests.faults.services import PrivatePostgres, PrivateRedis, PrivateStripe
from tests.faults.site import Site, site_environment

# Seconds a Stripe call may take before it counts as "unreachable" (STRIPE_TIMEOUT_SECONDS,
# read by checkout/payments/gateway.py).
STRIPE_TIMEOUT_SECONDS = 2


@pytest.fixture(scope="package")
def postgres():
    server = PrivatePostgres()
    yield server
    server.destroy()


@pytest.fixture(scope="package")
def redis_server():
    server = PrivateRedis()
    yield server
    server.stop()


@pytest.fixture(scope="package")
def stripe_server():
    server = PrivateStripe()
    yield server
    server.stop()


@pytest.fixture(scope="package")
def app(postgres, redis_server, stripe_server):
    # Flask-Limiter keeps one storage per Limiter, and the Limiter is a module singleton:
    # binding it to this app would leave the suite's app counting in our private Redis.
    shared_limits = limiter._storage, limiter._limiter
    postgres.create_database("fly2any_faults")
    app = create_app("test", {
        **stripe_offline_settings(stripe_server.base_url),
        "SQLALCHEMY_DATABASE_URI": postgres.url("fly2any_faults"),
        "RATELIMIT_STORAGE_URI": redis_server.url,
        "RATELIMIT_KEY_PREFIX": f"fly2any-faults-{secrets.token_hex(4)}",
        "STRIPE_TIMEOUT_SECONDS": STRIPE_TIMEOUT_SECONDS,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "pool_size": 5, "max_overflow": 5},
    })
    migrate_and_seed(app)
    yield app
    with app.app_context():
        db.engine.dispose()
    limiter._storage, limiter._limiter = shared_limits


@pytest.fixture(scope="package")
def _site(app, postgres, redis_server, stripe_server, tmp_path_factory):
    folder = tmp_path_factory.mktemp("site")
    site = Site(site_environment(app, postgres.url("fly2any_faults"), redis_server.url, stripe_server.base_url,
                                 folder), folder)
    site.start()
    yield site
    site.stop()


@pytest.fixture
def site(_site, stripe_server):
    """The Procfile's gunicorn on the private services (tests/faults/site.py), started once;
    again when a test restarted localstripe on another port."""
    if _site.environment["STRIPE_API_BASE"] != stripe_server.base_url:
        _site.restart(STRIPE_API_BASE=stripe_server.base_url)
    return _site


@pytest.fixture(autouse=True)
def _services_back_up(app, postgres, redis_server, stripe_server):
    """Whatever a test stopped or froze runs again before the next one (and the clean-up)."""
    yield
    postgres.thaw()
    redis_server.thaw()
    stripe_server.thaw()
    if stripe_server.process.poll() is not None:
        app.config["STRIPE_API_BASE"] = stripe_server.restart()
    if not redis_server.running():
        redis_server.start()
    if not postgres.running():
        postgres.start()
