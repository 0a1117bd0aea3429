"""`make bench`: requests per second and latency of the main endpoints, under gunicorn.

Sets up its own PostgreSQL database (60 days of demo flights), starts gunicorn as in the
Procfile (2 workers x 4 threads), and drives each endpoint from 8 client threads over
keep-alive connections for a few seconds. Prints a table and writes bench/last.json;
`make bench WRITE_BASELINE=1` also stores the run as bench/baseline.json, against which
later runs report ratio_to_baseline (rps now / rps then). Stripe is not exercised: the
offline Stripe server's own speed would dominate (see STRIPE_OFFLINE.md).
"""
from __future__ import annotations

import base64
import http.client
import json
import os
import platform
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "bench" / "baseline.json"
LAST = ROOT / "bench" / "last.json"
SERVER = os.environ.get("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database(name: str) -> str:
    with psycopg.connect(re.sub(r"^postgres(ql)?(\+psycopg)?://", "postgresql://", SERVER), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return re.sub(r"/[^/?]*(\?|$)", f"/{name}\\1", SERVER, count=1)


def _booking_body(offer_id: str, accepted: list[dict], n: int) -> bytes:
    return json.dumps({
        "offerId": offer_id, "fareFamily": "STANDARD",
        "passengers": [{"type": "adult", "firstName": "Bench", "lastName": "Traveller", "dateOfBirth": "1980-01-01",
                        "nationality": "US"}],
        "contact": {"email": f"bench{n}@example.com", "phone": "+1 212 555 0100"},
        "acknowledgements": accepted,
    }).encode()


def measure(port: int, name: str, method: str, path: str, body=None) -> dict:
    latencies, errors, stop = [], [0], time.monotonic() + SECONDS
    lock, counter = threading.Lock(), [0]

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        while time.monotonic() < stop:
            with lock:
                counter[0] += 1
                n = counter[0]
            payload = body(n) if callable(body) else body
            headers = {"Content-Type": "application/json"} if payload else {}
            started = time.perf_counter()
            try:
                conn.request(method, path, body=payload, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status >= 400:
                    errors[0] += 1
            except OSError:
                errors[0] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            mine.append((time.perf_counter() - started) * 1000)
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    began = time.monotonic()
    [t.start() for t in threads]
    [t.join() for t in threads]
    elapsed = time.monotonic() - began
    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [latencies[0] if latencies else 0] * 99
    return {"rps": round(len(latencies) / elapsed, 1), "p50_ms": round(q[49], 1), "p95_ms": round(q[94], 1),
            "p99_ms": round(q[98], 1), "errors": errors[0], "requests": len(latencies), "method": method}


def main() -> int:
    db_url = _database("fly2any_bench")
    port = _free_port()
    # Production settings as .env.example gives them (production refuses to start without
    # them), then what this run needs.
    sys.path.insert(0, str(ROOT))
    from config import read_env_file
    env = {**os.environ, **read_env_file(ROOT / ".env.example"),
           "DATABASE_URL": db_url, "SECRET_KEY": secrets.token_urlsafe(32), "FLASK_CONFIG": "production",
           "FLASK_APP": "wsgi", "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
           "RATELIMIT_KEY_PREFIX": f"bench-{secrets.token_hex(4)}",
           # Quiet like gunicorn's --log-level below (no line per request), and a throwaway key.
           "LOG_LEVEL": "WARNING", "PII_ENCRYPTION_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
           # Every bench client calls from 127.0.0.1: lift the per-address booking limits (not the
           # per-email one: each booking has its own email), or api_create_booking measures 429s.
           "API_BOOKINGS_PER_MINUTE": "1000000", "API_OPEN_HOLDS_PER_ADDRESS": "1000000"}
    python = sys.executable
    subprocess.run([python, "-m", "flask", "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([python, "-m", "flask", "seed", "--days", "60"], cwd=ROOT, env=env, check=True, capture_output=True)
    server = subprocess.Popen([python, "-m", "gunicorn", "wsgi:app", "--workers", "2", "--threads", "4",
                               "--bind", f"127.0.0.1:{port}", "--log-level", "warning"], cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("gunicorn did not start")
                time.sleep(0.2)
        day = (date.today() + timedelta(days=10)).isoformat()
        # Bookings are spread over the flights of 20 days: one flight's seats would run out
        # (a full cabin is refused) long before the run ends.
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        offer_ids = []
        for ahead in range(10, 30):
            conn.request("GET", f"/api/flights?origin=JFK&destination=LAX&date={date.today() + timedelta(days=ahead)}")
            offer_ids += [offer["offerId"] for offer in json.loads(conn.getresponse().read())["offers"]]
        # As a client does once: the notices to show, whose {key, version} every booking sends back.
        conn.request("GET", "/api/acknowledgements")
        accepted = [{"key": a["key"], "version": a["version"]}
                    for a in json.loads(conn.getresponse().read())["acknowledgements"]]
        conn.close()
        scenarios = {
            "home": ("GET", "/", None),
            "search_results_page": ("GET", f"/flights?origin=JFK&destination=LHR&date={day}&adults=2", None),
            "api_flights": ("GET", f"/api/flights?origin=JFK&destination=LHR&date={day}&adults=2", None),
            "api_create_booking": ("POST", "/api/bookings",
                                   lambda n: _booking_body(offer_ids[n % len(offer_ids)], accepted, n)),
        }
        results = {name: measure(port, name, *spec) for name, spec in scenarios.items()}
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)

    baseline = json.loads(BASELINE.read_text()) if BASELINE.exists() else {}
    base_endpoints = baseline.get("endpoints", {})
    for name, row in results.items():
        before = base_endpoints.get(name, {}).get("rps")
        row["ratio_to_baseline"] = round(row["rps"] / before, 2) if before else None
    machine = {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
               "clients": CLIENTS, "seconds_per_endpoint": SECONDS}
    report = {
        "machine": machine,
        "endpoints": results,
        "baseline": {name: base_endpoints.get(name) for name in results if base_endpoints.get(name, {}).get("method") == "GET"},
        "write_baseline": {name: base_endpoints.get(name) for name in results if base_endpoints.get(name, {}).get("method") == "POST"},
    }
    LAST.write_text(json.dumps(report, indent=2) + "\n")
    if os.environ.get("WRITE_BASELINE") == "1":
        BASELINE.write_text(json.dumps({"machine": machine, "endpoints": results}, indent=2) + "\n")
    print(f"{'endpoint':24} {'rps':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7} {'vs base':>8}")
    for name, row in results.items():
        ratio = f"{row['ratio_to_baseline']:.2f}" if row["ratio_to_baseline"] else "—"
        print(f"{name:24} {row['rps']:8.1f} {row['p50_ms']:8.1f} {row['p95_ms']:8.1f} {row['p99_ms']:8.1f} "
              f"{row['errors']:7d} {ratio:>8}")
    print(f"written to {LAST.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
