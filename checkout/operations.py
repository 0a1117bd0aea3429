"""What the load balancer asks: is the process alive (/healthz), can it serve (/readyz).

/healthz answers from the process alone: no database, no network, so a slow database never
gets a healthy process restarted. /readyz checks PostgreSQL, Redis (the shared rate-limit
store) and Stripe at once, each with a short timeout, and answers 200 with every check or
503 naming what failed, so the load balancer stops sending traffic to an instance that
cannot take bookings. The body names checks and timings only: no address, key or message
from a driver, which could carry a password.
"""
from __future__ import annotations

import threading
import time

from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy import text

from .extensions import db
from . import payments

bp = Blueprint("operations", __name__)
PROBES = ("/healthz", "/readyz")


@bp.get("/healthz")
def healthz():
    response = jsonify({"status": "ok"})
    response.headers["Cache-Control"] = "no-store"
    return response


def _database(timeout: float) -> None:
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"SET LOCAL statement_timeout = {int(timeout * 1000)}"))
        connection.execute(text("SELECT 1"))


def _redis(timeout: float) -> str | None:
    uri = current_app.config.get("RATELIMIT_STORAGE_URI") or "memory://"
    if not uri.startswith(("redis://", "rediss://", "unix://")):
        return "not used"  # in-memory rate limits (the demo): nothing to reach
    import redis
    client = redis.Redis.from_url(uri, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        client.ping()
    finally:
        client.close()
    return None


def _stripe(timeout: float) -> None:
    payments.check_stripe_reachable(timeout)


CHECKS = {"database": _database, "redis": _redis, "stripe": _stripe}


def _run(app: Flask, check, timeout: float, result: dict) -> None:
    started = time.perf_counter()
    try:
        with app.app_context():
            note = check(timeout)
        result.update(ok=True, **({"note": note} if note else {}))
    except Exception as err:  # noqa: BLE001 - any failure means "not ready"; its text may hold secrets
        result.update(ok=False, error=f"unreachable ({type(err).__name__})")
    result["ms"] = round((time.perf_counter() - started) * 1000)


def readiness() -> dict[str, dict]:
    """Every check, run side by side, each given READINESS_TIMEOUT_SECONDS (default 2)."""
    app = current_app._get_current_object()
    timeout = float(app.config.get("READINESS_TIMEOUT_SECONDS", 2))
    results = {name: {} for name in CHECKS}
    threads = [threading.Thread(target=_run, args=(app, check, timeout, results[name]), daemon=True,
                                name=f"readyz-{name}") for name, check in CHECKS.items()]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout + 0.5
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    for result in results.values():
        if "ok" not in result:  # still waiting: a driver that ignored its own timeout
            result.update(ok=False, error=f"no answer within {timeout:g} s")
    return {name: dict(result) for name, result in results.items()}


@bp.get("/readyz")
def readyz():
    checks = readiness()
    failed = [name for name, result in checks.items() if not result["ok"]]
    if failed:
        current_app.logger.warning("not ready: %s", ", ".join(f"{n} {checks[n]['error']}" for n in failed))
    body = {"status": "not ready", "failed": failed, "checks": checks} if failed else {"status": "ready", "checks": checks}
    response = jsonify(body)
    response.status_code = 503 if failed else 200
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
