"""`make bench SCALE=1000000`: staff search and the dashboard at 10k bookings and at SCALE.

Seeds in SQL (INSERT ... SELECT over generate_series, no ORM): bookings over the last year
in every status, 1-3 passengers each, a payment attempt, a webhook event, refunds for the
cancelled, and funnel rows. Then, in the app's own code under the production settings,
times each staff search and the dashboard (BENCH_SCALE_RUNS runs each, p50/p95) and saves
the EXPLAIN (ANALYZE, BUFFERS) of every statement they send to bench/plans/<size>-<name>.txt.
After each load the sweeper's roll-up of the dashboard's closed days runs once, as it would
within a minute in production (its time is reported too). Writes bench/scale.json and prints
a table; flat means the p95 at SCALE is within a small factor of the p95 at 10k.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import statistics
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PLANS = ROOT / "bench" / "plans"
RESULT = ROOT / "bench" / "scale.json"
SMALL = 10_000
RUNS = int(os.environ.get("BENCH_SCALE_RUNS", "20"))
SURNAMES = ("Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
            "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
            "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
            "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
            "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts")
RARE = "Zweistein"  # exactly one booking: a search that must not read the whole table

SEED_SQL = """
CREATE TEMP TABLE scale_flights AS
  SELECT row_number() OVER (ORDER BY id) - 1 AS k, id, base_fare FROM flights;
INSERT INTO bookings (reference, status, flight_id, fare_family_code, bundle_code, insurance, priority_boarding,
                      contact_email, contact_phone, currency, held_base_fare, total_amount, hold_expires_at,
                      created_at, updated_at, submitted_at, channel, confirmed_at)
SELECT 'FLY2A-' || upper(lpad(to_hex(n), 6, '0')),
       CASE WHEN n %% 20 < 14 THEN 'CONFIRMED' WHEN n %% 20 < 16 THEN 'CANCELLED'
            WHEN n %% 20 < 19 THEN 'EXPIRED' ELSE 'PENDING_PAYMENT' END,
       f.id, (ARRAY['BASIC','STANDARD','FLEX'])[1 + n %% 3], CASE WHEN n %% 4 = 0 THEN 'COMFORT' END,
       n %% 5 = 0, n %% 7 = 0,
       'traveller' || n || '@example.com', '+12125550100', 'USD', f.base_fare, f.base_fare * (1 + n %% 3) + 7000,
       t.at + interval '15 minutes', t.at, t.at + interval '20 minutes', t.at + interval '10 minutes',
       CASE WHEN n %% 9 = 0 THEN 'api' ELSE 'web' END,
       CASE WHEN n %% 20 < 16 THEN t.at + interval '12 minutes' END
FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS n
JOIN scale_flights f ON f.k = n %% (SELECT count(*) FROM scale_flights)
CROSS JOIN LATERAL (SELECT now() - ((n * 7919) %% 525600) * interval '1 minute' AS at) t;
INSERT INTO passengers (booking_id, position, passenger_type, first_name, last_name, date_of_birth, nationality,
                        checked_bags)
SELECT b.id, p.position, 'adult', 'Pat',
       CASE WHEN b.reference = %(rare_reference)s AND p.position = 0 THEN %(rare)s
            ELSE (%(surnames)s::text[])[1 + (b.id + p.position) %% %(surname_count)s] END,
       date '1980-01-01', 'GB', p.position %% 2
FROM bookings b CROSS JOIN generate_series(0, 2) AS p(position)
WHERE b.id BETWEEN %(first_id)s AND %(last_id)s AND p.position <= b.id %% 3;
INSERT INTO payment_attempts (booking_id, number, payment_intent_id, status, amount, currency, card_brand, card_last4,
                              used_3ds, created_at, updated_at, confirm_requested_at, succeeded_at, failure_code)
SELECT b.id, 1, 'pi_scale_' || b.id,
       CASE WHEN b.status IN ('CONFIRMED', 'CANCELLED') THEN 'succeeded'
            WHEN b.status = 'EXPIRED' AND b.id %% 3 = 0 THEN 'failed' ELSE 'canceled' END,
       b.total_amount, 'USD', 'visa', lpad((b.id %% 10000)::text, 4, '0'), b.id %% 7 = 0,
       b.submitted_at, b.submitted_at, b.submitted_at + interval '30 seconds',
       CASE WHEN b.status IN ('CONFIRMED', 'CANCELLED') THEN b.submitted_at + interval '32 seconds' END,
       CASE WHEN b.status = 'EXPIRED' AND b.id %% 3 = 0 THEN 'card_declined' END
FROM bookings b WHERE b.id BETWEEN %(first_id)s AND %(last_id)s AND b.status <> 'PENDING_PAYMENT';
INSERT INTO webhook_events (stripe_event_id, event_type, payment_intent_id, status, deliveries, received_at, processed_at)
SELECT 'evt_scale_' || a.id, 'payment_intent.' || CASE WHEN a.status = 'succeeded' THEN 'succeeded'
       WHEN a.status = 'failed' THEN 'payment_failed' ELSE 'canceled' END, a.payment_intent_id,
       CASE WHEN a.id %% 500 = 0 THEN 'failed' ELSE 'processed' END, 1, a.created_at + interval '1 minute',
       a.created_at + interval '1 minute'
FROM payment_attempts a WHERE a.booking_id BETWEEN %(first_id)s AND %(last_id)s;
INSERT INTO refunds (booking_id, payment_attempt_id, stripe_refund_id, amount, currency, status, reason,
                     idempotency_key, created_by, created_at, updated_at)
SELECT b.id, a.id, 're_scale_' || b.id, b.total_amount / 2, 'USD', 'succeeded', 'cancelled under the fare rules',
       'scale-refund-' || b.id, 'support@fly2any.test', b.confirmed_at + interval '2 days',
       b.confirmed_at + interval '2 days'
FROM bookings b JOIN payment_attempts a ON a.booking_id = b.id
WHERE b.id BETWEEN %(first_id)s AND %(last_id)s AND b.status = 'CANCELLED';
INSERT INTO funnel_events (stage, visitor, booking_id, at)
SELECT s.stage, 'scale-' || b.id, b.id, b.created_at + s.offset_seconds * interval '1 second'
FROM bookings b CROSS JOIN (VALUES ('search', -300), ('results_viewed', -280), ('booking_started', 0),
                                   ('payment_reached', 600), ('payment_completed', 720)) AS s(stage, offset_seconds)
WHERE b.id BETWEEN %(first_id)s AND %(last_id)s
  AND (s.stage <> 'payment_completed' OR b.status IN ('CONFIRMED', 'CANCELLED'));
"""


def seed(db_url: str, first: int, last: int) -> float:
    """Bookings number `first`..`last` and everything around them; seconds taken."""
    began = time.monotonic()
    with psycopg.connect(db_url, autocommit=False) as conn:
        first_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM bookings").fetchone()[0]
        rare_reference = "FLY2A-" + format((first + last) // 2, "06x").upper()
        params = dict(first=first, last=last, first_id=first_id, last_id=first_id + (last - first),
                      rare=RARE, rare_reference=rare_reference, surnames=list(SURNAMES), surname_count=len(SURNAMES))
        for statement in SEED_SQL.split(";\n"):
            if statement.strip():
                conn.execute(statement, params if "%(" in statement else None)
        conn.commit()
        conn.execute("ANALYZE")
    return time.monotonic() - began


def roll_up(app) -> float:
    """What the sweeper does every minute: store the closed days the dashboard reads (all 29 of
    them after a bulk load, whose triggers forgot every day it touched); seconds taken."""
    from checkout.clock import utcnow
    from checkout.staff import dashboard_days
    began = time.monotonic()
    with app.app_context():
        dashboard_days.roll_up(utcnow())
    return time.monotonic() - began


def measure(app, size: int) -> dict:
    """p50/p95 of each staff search and the dashboard, and their plans saved."""
    from sqlalchemy import event, text

    from checkout.clock import utcnow
    from checkout.extensions import db
    from checkout.staff import metrics
    from checkout.staff.bookings import BookingSearch, find_bookings

    cases = {
        "staff_list": lambda: find_bookings(BookingSearch()),
        "staff_search_reference": lambda: find_bookings(BookingSearch(text="FLY2A-000100")),
        "staff_search_email": lambda: find_bookings(BookingSearch(text="traveller12345@example.com")),
        "staff_search_common_surname": lambda: find_bookings(BookingSearch(text="smith")),
        "staff_search_rare_surname": lambda: find_bookings(BookingSearch(text=RARE.lower())),
        "staff_search_last4": lambda: find_bookings(BookingSearch(text="4242")),
        "staff_filter_status": lambda: find_bookings(BookingSearch(status="CANCELLED")),
        "staff_anomaly_needs_attention": lambda: find_bookings(BookingSearch(anomaly="needs_attention")),
        "dashboard_7d": lambda: metrics.dashboard(utcnow(), "7d"),
        "dashboard_30d": lambda: metrics.dashboard(utcnow(), "30d"),
    }
    results = {}
    PLANS.mkdir(exist_ok=True)
    with app.app_context():
        for name, call in cases.items():
            call()  # warm: plans cached, reference data read
            timings = []
            for _ in range(RUNS):
                began = time.perf_counter()
                found = call()
                timings.append((time.perf_counter() - began) * 1000)
                db.session.rollback()
            statements = []

            def capture(conn, cursor, statement, parameters, context, executemany):
                statements.append((statement, parameters))

            event.listen(db.engine, "before_cursor_execute", capture)
            try:
                call()
            finally:
                event.remove(db.engine, "before_cursor_execute", capture)
            plans = []
            with db.engine.connect() as conn:
                for statement, parameters in statements:
                    plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).scalars().all()
                    plans.append(statement + "\n" + json.dumps(parameters, default=str) + "\n\n" + "\n".join(plan))
            (PLANS / f"{size}-{name}.txt").write_text(("\n\n" + "=" * 100 + "\n\n").join(plans) + "\n")
            q = statistics.quantiles(timings, n=20)
            rows = len(found.bookings) if hasattr(found, "bookings") else None
            results[name] = {"p50_ms": round(statistics.median(timings), 1), "p95_ms": round(q[18], 1),
                             "statements": len(statements), "rows_shown": rows}
    return results


def main(scale: int) -> int:
    sys.path.insert(0, str(ROOT))
    from bench.databases import fresh_database
    from config import read_env_file
    import subprocess

    db_url = fresh_database("fly2any_scale")
    env = {**os.environ, **read_env_file(ROOT / ".env.example"), "DATABASE_URL": db_url,
           "SECRET_KEY": secrets.token_urlsafe(32), "FLASK_CONFIG": "production", "FLASK_APP": "wsgi",
           "RATELIMIT_STORAGE_URI": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")}
    for step in (["db", "upgrade"], ["seed", "--days", "60"]):
        subprocess.run([sys.executable, "-m", "flask", *step], cwd=ROOT, env=env, check=True, capture_output=True)
    os.environ.update({k: v for k, v in env.items() if isinstance(v, str)})
    import importlib

    import config
    importlib.reload(config)  # the settings are read from the environment when config is imported
    from checkout import create_app
    app = create_app("production")
    report = {"scale": scale, "runs": RUNS, "sizes": {}}
    sizes = [(0, SMALL)] + ([(SMALL, scale)] if scale > SMALL else [])
    for first, size in sizes:
        seconds = seed(db_url, first, size - 1)
        rolled = roll_up(app)
        print(f"seeded {size - first} bookings in {seconds:.1f} s; the sweeper stored the closed days in {rolled:.1f} s")
        report["sizes"][size] = {"seed_seconds": round(seconds, 1), "roll_up_seconds": round(rolled, 1),
                                 "figures": measure(app, size)}
    with psycopg.connect(db_url) as conn:
        report["rows"] = {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                          for table in ("bookings", "passengers", "payment_attempts", "webhook_events", "refunds",
                                        "funnel_events")}
    RESULT.write_text(json.dumps(report, indent=2) + "\n")
    sizes = list(report["sizes"])
    print(f"{'at':18}" + "".join(f"{f'p95 ms @{s}':>16}" for s in sizes) + f"{'statements':>12}")
    for name in report["sizes"][sizes[0]]["figures"]:
        figures = [report["sizes"][s]["figures"][name] for s in sizes]
        print(f"{name:30}" + "".join(f"{f['p95_ms']:16.1f}" for f in figures) + f"{figures[-1]['statements']:12d}")
    print(f"plans in {PLANS.relative_to(ROOT)}/, figures in {RESULT.relative_to(ROOT)}")
    return 0
