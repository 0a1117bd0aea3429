"""Helpers for operations tests: a port nobody listens on, and a second app built for one test.

Flask-Limiter's `limiter` and the root logger are process-wide: building another app
re-points them. `another_app` puts both back afterwards, so the session's app keeps
counting rate limits in Redis and logging as before.
"""
from __future__ import annotations

import logging
import socket
from contextlib import contextmanager

from checkout import create_app
from checkout.extensions import db, limiter


def closed_port() -> int:
    """A local port with nothing listening (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def another_app(app, **overrides):
    """An app like the session's, with some settings changed."""
    keys = ("SQLALCHEMY_DATABASE_URI", "STRIPE_API_BASE", "STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY",
            "STRIPE_WEBHOOK_SECRET", "STRIPE_JS_URL", "RATELIMIT_STORAGE_URI", "RATELIMIT_KEY_PREFIX",
            "PII_ENCRYPTION_KEYS")
    settings = {key: app.config[key] for key in keys} | overrides
    storage, strategy = limiter._storage, limiter._limiter
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    other = None
    try:
        other = create_app("test", settings)
        yield other
    finally:
        limiter._storage, limiter._limiter = storage, strategy
        root.handlers[:] = handlers
        root.setLevel(level)
        if other is not None:
            with other.app_context():
                db.engine.dispose()
