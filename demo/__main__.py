"""`make demo`: everything a newcomer needs, offline, with one command.

Generates the secrets it needs (kept under instance/ so sessions survive a restart),
starts the offline Stripe API (localstripe, its own process) and registers our webhook
with it, runs the migrations, seeds the demo catalogue, runs the sweeper and the mailer
(emails become .eml files under instance/mail/) in background threads, and serves
http://127.0.0.1:5000 (PORT overrides). With DATABASE_URL unset the data lives in
instance/demo.sqlite3. Ctrl-C stops everything it started.
"""
from __future__ import annotations

import os
import secrets
import sys
import threading
import time
from datetime import date
from pathlib import Path

DEMO_PUBLISHABLE_KEY = "pk_test_fly2any_demo"
DEMO_SECRET_KEY = "sk_test_fly2any_demo"
DEMO_STAFF_EMAIL = "support@fly2any.test"


def _secret(instance: Path, name: str, prefix: str = "", make=lambda: secrets.token_urlsafe(32)) -> str:
    path = instance / name
    if not path.exists():
        path.write_text(prefix + make())
        path.chmod(0o600)
    return path.read_text().strip()


def _pause(stop: threading.Event, seconds: float, step: float = 0.25) -> None:
    """Wait `seconds`, or less once `stop` is set.

    Short sleeps rather than stop.wait(seconds): under libfaketime (the suite run as if on
    another day) a timed Event.wait never times out, and the mailer would never run again.
    """
    deadline = time.monotonic() + seconds
    while not stop.is_set() and time.monotonic() < deadline:
        time.sleep(step)


def _background(app, target, name: str, stop: threading.Event, every: float) -> threading.Thread:
    def loop():
        while not stop.is_set():
            with app.app_context():
                try:
                    target()
                except Exception:  # noqa: BLE001 - the demo keeps going; the error is logged
                    app.logger.exception("%s failed", name)
            _pause(stop, every)
    thread = threading.Thread(target=loop, name=name, daemon=True)
    thread.start()
    return thread


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Run the Fly2Any checkout demo.")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5000")))
    parser.add_argument("--days", type=int, default=60, help="days of flights to seed")
    args = parser.parse_args(argv)

    from config import INSTANCE_DIR
    from offline.control import register_webhook, start_localstripe, stop

    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    secret_key = os.environ.get("SECRET_KEY") or _secret(INSTANCE_DIR, "demo-secret-key")
    webhook_secret = os.environ.get("STRIPE_WEBHOOK_SECRET") or _secret(INSTANCE_DIR, "demo-webhook-secret", "whsec_")
    from checkout.encryption import new_key
    pii_keys = os.environ.get("PII_ENCRYPTION_KEYS") or _secret(INSTANCE_DIR, "demo-pii-key", make=new_key)
    stripe_base, stripe_process = start_localstripe(log_path=str(INSTANCE_DIR / "localstripe.log"))
    app_url = f"http://127.0.0.1:{args.port}"
    stop_workers = threading.Event()
    try:
        register_webhook(stripe_base, f"{app_url}/api/payments/webhook", webhook_secret,
                         events=["payment_intent.succeeded", "payment_intent.payment_failed",
                                 "payment_intent.canceled", "charge.refunded"])

        from flask_migrate import upgrade

        from checkout import create_app
        from demo.history import seed_history
        from checkout.catalog.seed import seed_all
        from checkout.notifications.sender import send_due
        from checkout.payments import sweep

        app = create_app("development", {
            "SECRET_KEY": secret_key,
            "STRIPE_API_BASE": stripe_base,
            "STRIPE_SECRET_KEY": DEMO_SECRET_KEY,
            "STRIPE_PUBLISHABLE_KEY": DEMO_PUBLISHABLE_KEY,
            "STRIPE_WEBHOOK_SECRET": webhook_secret,
            "STRIPE_JS_URL": "/offline/stripe/v3.js",
            "PUBLIC_BASE_URL": app_url,
            "PII_ENCRYPTION_KEYS": pii_keys,
            # DESIGN.md: a newcomer signs in with email and password. Honoured only with the demo's
            # config (DEMO); every other supervisor, and production, must use two-factor.
            "STAFF_2FA_EXEMPT": (DEMO_STAFF_EMAIL,),
        })
        with app.app_context():
            upgrade()
            created = seed_all(date.today(), args.days)
            history = seed_history()  # a month of past bookings for the dashboard; once only
            # The demo-only support account (DESIGN.md); production creates staff with `flask create-staff`.
            from checkout.staff.auth import create_staff
            create_staff(DEMO_STAFF_EMAIL, "demo-support", "supervisor")
            from demo.restart import forget_last_runs_payments, restart_line
            forgotten = restart_line(forget_last_runs_payments())
        from checkout.clock import utcnow
        from checkout.staff import dashboard_days

        def sweep_then_roll_up():
            sweep()
            dashboard_days.roll_up(utcnow())  # the dashboard's closed days, as `flask sweep` does (PostgreSQL only)

        _background(app, sweep_then_roll_up, "sweeper", stop_workers, every=60)
        _background(app, send_due, "mailer", stop_workers, every=5)
        where = app.config["SQLALCHEMY_DATABASE_URI"].split("@")[-1]
        print(f"Database ready ({where}); {created} new flights seeded"
              + ("." if history.skipped else f", {history.bookings} past bookings added."), flush=True)
        print(f"Offline Stripe at {stripe_base}; emails are written to {INSTANCE_DIR / 'mail'}", flush=True)
        if forgotten:
            print(forgotten, flush=True)
        print("Test cards: 4242 4242 4242 4242 pays; 4000 0027 6000 3184 asks for 3-D Secure; "
              "4000 0000 0000 0002 is declined; 4000 0000 0000 9995 has insufficient funds.", flush=True)
        print(f"Staff console: {app_url}/staff/login  ({DEMO_STAFF_EMAIL} / demo-support; this demo-only "
              "account skips two-factor sign-in, other supervisors set it up at their first sign-in)", flush=True)
        print(f"Fly2Any demo: {app_url}  (Ctrl-C stops it)", flush=True)
        from checkout.security import UndisclosedServerHandler
        app.run(host="127.0.0.1", port=args.port, threaded=True, use_reloader=False, debug=False,
                request_handler=UndisclosedServerHandler)
    except KeyboardInterrupt:
        pass
    finally:
        stop_workers.set()
        stop(stripe_process)
    return 0


if __name__ == "__main__":
    sys.exit(main())
