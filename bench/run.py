"""`make bench`: the checkout under the Procfile's gunicorn, against three baselines of the same run.

    make bench                      every endpoint, BENCH_SECONDS (5) each, ~3 minutes
    make bench SCALE=1000000        staff search and dashboard at 10k and 1M bookings (bench/scale.py)

Sets up its own PostgreSQL database (60 days of demo flights), the offline Stripe server
(localstripe), and two gunicorn servers started exactly as the Procfile's `web:` line: the
app (production settings from .env.example) and bench/baseline_app.py (a bare template, a
bare read of two rows by key, a bare one-row insert). wrk drives each endpoint from its own
process, after a second of warm-up (BENCH_THREADS x BENCH_CONNECTIONS, Accept-Encoding: br, gzip as browsers send);
sessions for the step pages are set up first by bench/traveller.py. A whole booking is
driven to CONFIRMED through localstripe by Python clients; the app's CPU per booking is read
from /proc for the gunicorn master and workers, localstripe's apart.

Prints a table and writes bench/last.json: machine, endpoints{NAME: rps, p50_ms, p95_ms,
p99_ms, errors, ratio_to_baseline, ...}, baseline, read_baseline, write_baseline. Each
ratio is rps / the rps of the matching baseline measured in this run.
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import gzip
import http.client
import json
import os
import platform
import re
import secrets
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import brotli
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.databases import fresh_database  # noqa: E402
from bench.load import CONNECTIONS, THREADS, Request, cpu_seconds, run_wrk  # noqa: E402
from bench.traveller import Browser  # noqa: E402
from config import read_env_file  # noqa: E402

LAST = ROOT / "bench" / "last.json"
LOG = Path(tempfile.gettempdir()) / "fly2any-bench-gunicorn.log"  # the servers' own messages
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
WARMUP = float(os.environ.get("BENCH_WARMUP", "1"))  # seconds of load before each measurement, not counted
SESSIONS = int(os.environ.get("BENCH_SESSIONS", "24"))  # travellers whose drafts the step scenarios share
BOOKING_CLIENTS = int(os.environ.get("BENCH_BOOKING_CLIENTS", "4"))
ADULTS = 3
ACCEPT = {"Accept-Encoding": "br, gzip"}
HX = {"HX-Request": "true"}
WEBHOOK_GOAL = 0.5  # webhook ingestion: at least half the bare one-insert rate


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def procfile_web() -> str:
    line = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:"))
    return line.split(":", 1)[1].strip()


def start_gunicorn(app_path: str, port: int, env: dict) -> subprocess.Popen:
    """The Procfile's web process, listening on 127.0.0.1:port, serving `app_path`."""
    command = procfile_web().replace("wsgi:app", app_path).replace("0.0.0.0:", "127.0.0.1:")
    command = re.sub(r"^gunicorn\b", f"{shlex.quote(sys.executable)} -m gunicorn", command)
    with LOG.open("ab") as log:
        server = subprocess.Popen(["bash", "-c", "exec " + command], cwd=ROOT, env={**env, "PORT": str(port)},
                                  stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit(f"gunicorn for {app_path} did not start; see {LOG}")
            time.sleep(0.2)


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def measure(url: str, requests: list[Request]) -> dict:
    """Warm the workers up (templates compiled, pools filled), then the counted run."""
    if WARMUP:
        run_wrk(url, requests, WARMUP)
    return run_wrk(url, requests, SECONDS)


def sizes(port: int, request: Request) -> tuple[int, int]:
    """Bytes of one answer as it is and as sent to a client accepting br/gzip."""
    measured = []
    for extra in ({}, ACCEPT):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {k: v for k, v in request.headers.items() if k != "Accept-Encoding"}
        conn.request(request.method, request.path, body=request.body or None, headers={**headers, **extra})
        response = conn.getresponse()
        body = response.read()
        encoding = response.getheader("Content-Encoding")
        conn.close()
        measured.append(len(body))
        if encoding == "br":
            assert brotli.decompress(body)
        elif encoding == "gzip":
            assert gzip.decompress(body)
    return measured[0], measured[1]


# -- the scenarios ------------------------------------------------------------------------

def session_headers(browser: Browser, extra: dict | None = None, form: bool = False) -> dict:
    headers = {"Cookie": browser.cookie_header, "X-CSRFToken": browser.csrf, **ACCEPT, **(extra or {})}
    if form:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    return headers


def form_body(browser: Browser, fields: dict) -> str:
    import urllib.parse
    return urllib.parse.urlencode({"csrf_token": browser.csrf, **fields})


def free_seats(db_url: str, flight_id: int, count: int) -> list[str]:
    from checkout.catalog.seatmaps import seats_by_code
    with psycopg.connect(db_url) as conn:
        aircraft = conn.execute("SELECT aircraft FROM flights WHERE id = %s", (flight_id,)).fetchone()[0]
        taken = {row[0] for row in conn.execute("SELECT seat_code FROM seat_holds WHERE flight_id = %s", (flight_id,))}
    free = [code for code, seat in seats_by_code(aircraft).items()
            if seat.cabin == "economy" and seat.seat_type == "standard" and code not in taken]
    if len(free) < count:
        raise SystemExit(f"only {len(free)} free seats for {count} travellers; lower BENCH_SESSIONS")
    return free[:count]


def return_offer(db_url: str, day: str, back: str) -> str:
    """The itinerary offer id of FA100 JFK-LHR on `day` and FA101 LHR-JFK on `back`."""
    with psycopg.connect(db_url) as conn:
        ids = [conn.execute("SELECT id FROM flights WHERE flight_number = %s AND "
                            "(departs_at AT TIME ZONE 'UTC')::date BETWEEN %s::date - 1 AND %s::date + 1 "
                            "ORDER BY abs(extract(epoch FROM departs_at - %s::date)) LIMIT 1",
                            (number, when, when, when)).fetchone()[0]
               for number, when in (("FA100", day), ("FA101", back))]
    return f"off_{ids[0]}_{ids[1]}"


def step_scenarios(browsers: list[Browser], seats: list[str]) -> dict[str, tuple[str, list[Request]]]:
    """NAME -> (baseline it is compared with, requests): one or two per traveller, interleaved."""
    def each(make) -> list[Request]:
        return [make(i, b) for i, b in enumerate(browsers)]

    def toggled(make) -> list[Request]:  # every request really changes something
        return each(lambda i, b: make(i, b, True)) + each(lambda i, b: make(i, b, False))

    form, read = dict(form=True), {}
    check = {"passengers-0-first_name": "Ada", "passengers-0-last_name": "Lovelace",
             "passengers-0-date_of_birth": "1985-12-10", "email": "ada@example"}
    return {
        "customise": ("read_baseline", each(lambda i, b: Request("GET", "/customize", session_headers(b)))),
        "passengers": ("read_baseline", each(lambda i, b: Request("GET", "/passengers", session_headers(b)))),
        "review": ("read_baseline", each(lambda i, b: Request("GET", "/review", session_headers(b)))),
        "seat_map_tab": ("read_baseline", each(lambda i, b: Request(
            "GET", "/customize?seat_for=1", session_headers(b, HX, **read)))),
        "field_check": ("read_baseline", each(lambda i, b: Request(
            "POST", "/passengers/check?field=email", session_headers(b, HX, **form), form_body(b, check)))),
        "save_fare": ("write_baseline", toggled(lambda i, b, on: Request(
            "POST", "/customize/fare", session_headers(b, HX, **form),
            form_body(b, {"fare_family": "FLEX" if on else "STANDARD"})))),
        "save_bundle": ("write_baseline", toggled(lambda i, b, on: Request(
            "POST", "/customize/bundle", session_headers(b, HX, **form),
            form_body(b, {"bundle": "COMFORT" if on else ""})))),
        "save_extras": ("write_baseline", toggled(lambda i, b, on: Request(
            "POST", "/customize/extras", session_headers(b, HX, **form),
            form_body(b, {"extras_shown": "1", "bags-0": "1" if on else "0", "insurance": "y" if on else ""})))),
        "save_seat": ("write_baseline", toggled(lambda i, b, on: Request(
            "POST", "/customize/seat", session_headers(b, HX, **form),
            form_body(b, {"seat_passenger": "0", "seat": seats[2 * i] if on else seats[2 * i + 1]})))),
        "save_passengers": ("write_baseline", toggled(lambda i, b, on: Request(
            "POST", "/passengers", session_headers(b, HX, **form),
            form_body(b, {**b.passengers_form(ADULTS, True), "phone": "+1 212 555 0100" if on else "+1 212 555 0199"})))),
    }


def api_booking_requests(port: int, day: str) -> list[Request]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    # Sixteen flights, one a day from `day`: one A321 fills after ~130 bookings, which the
    # scenario passes in two seconds; every call after that would measure a 409.
    offers = []
    for n in range(16):
        on = (date.fromisoformat(day) + timedelta(days=n)).isoformat()
        conn.request("GET", f"/api/flights?origin=JFK&destination=LAX&date={on}&adults=1")
        offers.append(json.loads(conn.getresponse().read())["offers"][0]["offerId"])
    conn.request("GET", "/api/acknowledgements")
    accepted = [{"key": a["key"], "version": a["version"]}
                for a in json.loads(conn.getresponse().read())["acknowledgements"]]
    conn.close()
    # Each call as from its own client behind one trusted proxy (TRUSTED_PROXY_HOPS=1 below): calls
    # for one address take turns (the open-hold caps), and real clients are not all one address.
    return [Request("POST", "/api/bookings", {"Content-Type": "application/json", "X-Forwarded-For": f"10.9.0.{n + 1}",
                                              **ACCEPT}, json.dumps(api_booking_body(offers[n], n, accepted)))
            for n in range(16)]


def api_booking_body(offer_id: str, n: int, accepted: list[dict]) -> dict:
    """One adult on the standard fare; `n` names the traveller and the contact email."""
    return {"offerId": offer_id, "fareFamily": "STANDARD",
            "passengers": [{"type": "adult", "firstName": "Bench", "lastName": "Traveller" + "abcdefghijklmnop"[n % 16],
                            "dateOfBirth": "1980-01-01", "gender": "U", "nationality": "US"}],
            "contact": {"email": f"bench{n}@example.com", "phone": "+1 212 555 0100"},
            "acknowledgements": accepted}


def synthetic_event(event_id: str, now: int) -> str:
    """A Stripe event the app stores and needs no work for (payment_intent.created)."""
    return json.dumps({"id": event_id, "object": "event", "type": "payment_intent.created", "created": now,
                       "data": {"object": {"id": f"pi_{event_id}", "object": "payment_intent"}}})


def stripe_signature(secret: str, payload: str, now: int) -> str:
    """Stripe's scheme: v1 = HMAC-SHA256(secret, "<timestamp>.<payload>"); the app verifies it
    with the SDK, so a mistake here shows as rejected events in the table."""
    return f"t={now},v1={hmac.new(secret.encode(), f'{now}.{payload}'.encode(), hashlib.sha256).hexdigest()}"


def signed_events(path: Path, count: int, secret: str, prefix: str) -> None:
    """`count` distinct synthetic Stripe events, signed as Stripe signs them, one a line."""
    now = int(time.time())
    with path.open("w") as out:
        for n in range(count):
            payload = synthetic_event(f"{prefix}{n:07d}", now)
            out.write(f"{stripe_signature(secret, payload, now)}\t{payload}\n")


def webhook_ingestion(port: int, db_url: str, secret: str) -> dict:
    prefix = f"evt_bench{secrets.token_hex(3)}_"
    with tempfile.TemporaryDirectory() as folder:
        events = Path(folder) / "events.tsv"
        signed_events(events, max(20000, int(4000 * SECONDS)), secret, prefix)
        row = run_wrk(f"http://127.0.0.1:{port}", None, SECONDS, events_file=events,
                      events_path="/api/payments/webhook")
        first = events.read_text().split("\n", 1)[0].split("\t")
    time.sleep(1)  # answers still in flight when wrk stopped
    with psycopg.connect(db_url) as conn:
        stored, doubled, unprocessed = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE deliveries > 1), count(*) FILTER (WHERE status <> 'processed') "
            "FROM webhook_events WHERE stripe_event_id LIKE %s", (prefix + "%",)).fetchone()
    # Every event acknowledged is stored (none lost), none twice (each sent once), none left unprocessed.
    row.update(events_sent=row["sent"], events_acknowledged=row["acknowledged"], events_stored=stored,
               events_lost=max(0, row["acknowledged"] - stored), events_doubled=doubled + max(0, stored - row["sent"]),
               events_unprocessed=unprocessed)
    row["_size_request"] = Request("POST", "/api/payments/webhook", {"Content-Type": "application/json",
                                   "Stripe-Signature": first[0], **ACCEPT}, first[1])
    return row


def booking_flow(port: int, gunicorn: subprocess.Popen, stripe_process, stripe_base: str, publishable_key: str,
                 day: str, db_url: str) -> dict:
    """Whole bookings to CONFIRMED through localstripe, BOOKING_CLIENTS at a time, for SECONDS."""
    from offline.control import clear
    clear(stripe_base)  # localstripe slows with everything it stores: start empty
    search = f"/flights?origin=JFK&destination=LAX&date={day}&adults=1"
    durations, failures, references, lock = [], [], [], threading.Lock()
    app_before, stripe_before = cpu_seconds(gunicorn.pid), cpu_seconds(stripe_process.pid)
    started = time.monotonic()
    stop_at = started + SECONDS

    def client():
        while time.monotonic() < stop_at:
            browser = Browser(port)
            began = time.perf_counter()
            try:
                reference = browser.book_and_pay(search, stripe_base, publishable_key)
            except Exception as err:  # noqa: BLE001 - counted and shown, never hidden
                with lock:
                    failures.append(f"{type(err).__name__}: {str(err)[:200]}")
                continue
            finally:
                browser.close()
            with lock:
                durations.append((time.perf_counter() - began) * 1000)
                references.append(reference)

    threads = [threading.Thread(target=client) for _ in range(BOOKING_CLIENTS)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    elapsed = time.monotonic() - started
    time.sleep(2.5)  # localstripe's webhooks come about a second later: their cost is the booking's too
    app_cpu, stripe_cpu = cpu_seconds(gunicorn.pid) - app_before, cpu_seconds(stripe_process.pid) - stripe_before
    with psycopg.connect(db_url) as conn:
        confirmed = conn.execute("SELECT count(*) FROM bookings WHERE status = 'CONFIRMED' AND reference = ANY(%s)",
                                 (references,)).fetchone()[0]
    done = len(durations)
    q = statistics.quantiles(durations, n=100) if done > 1 else [durations[0] if durations else 0.0] * 99
    return {"rps": round(done / elapsed, 2), "p50_ms": round(q[49], 1), "p95_ms": round(q[94], 1),
            "p99_ms": round(q[98], 1), "errors": len(failures), "requests": done, "confirmed": confirmed,
            "app_cpu_ms_per_booking": round(1000 * app_cpu / done, 1) if done else None,
            "localstripe_cpu_ms_per_booking": round(1000 * stripe_cpu / done, 1) if done else None,
            "first_errors": failures[:3]}


# -- the run --------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--scale", type=int, default=int(os.environ.get("SCALE") or 0),
                        help="Seed this many bookings and measure staff search and dashboard (bench/scale.py).")
    args = parser.parse_args()
    if args.scale:
        from bench.scale import main as scale_main
        return scale_main(args.scale)

    began = time.monotonic()
    from offline.control import register_webhook, start_localstripe
    from offline.control import stop as stop_localstripe
    db_url = fresh_database("fly2any_bench")
    production = read_env_file(ROOT / ".env.example")
    stripe_base, stripe_process = start_localstripe()
    # Production settings as .env.example gives them, then what this run needs.
    env = {**os.environ, **production, "DATABASE_URL": db_url, "SECRET_KEY": secrets.token_urlsafe(32),
           "FLASK_CONFIG": "production", "FLASK_APP": "wsgi", "RATELIMIT_STORAGE_URI": REDIS,
           "RATELIMIT_KEY_PREFIX": f"bench-{secrets.token_hex(4)}", "STRIPE_API_BASE": stripe_base,
           "STRIPE_JS_URL": "/offline/stripe/v3.js",
           "LOG_LEVEL": "WARNING",  # no log line per request: the bench measures requests, not logging
           # Every bench client calls from 127.0.0.1 and the bookings reuse 16 emails: lift the limits on
           # POST /api/bookings (10 a minute, 5 open holds per address and per email), or it measures 429s.
           "API_BOOKINGS_PER_MINUTE": "1000000", "API_OPEN_HOLDS_PER_ADDRESS": "1000000",
           "API_OPEN_HOLDS_PER_EMAIL": "1000000",
           # As behind a load balancer on this machine: the API bookings name their client in
           # X-Forwarded-For, believed because they come from loopback.
           "TRUSTED_PROXY_HOPS": "1", "TRUSTED_PROXIES": "127.0.0.0/8,::1"}
    env.pop("REDIS_URL", None)
    python = sys.executable
    for step in (["db", "upgrade"], ["seed", "--days", "60"]):
        subprocess.run([python, "-m", "flask", *step], cwd=ROOT, env=env, check=True, capture_output=True)
    with psycopg.connect(db_url, autocommit=True) as conn:  # the baseline app's one table
        conn.execute("CREATE TABLE bench_writes (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), "
                     "note text NOT NULL)")
    port, base_port = free_port(), free_port()
    app_server = start_gunicorn("wsgi:app", port, env)
    base_server = start_gunicorn("bench.baseline_app:app", base_port, env)
    register_webhook(stripe_base, f"http://127.0.0.1:{port}/api/payments/webhook", production["STRIPE_WEBHOOK_SECRET"])
    day = (date.today() + timedelta(days=10)).isoformat()
    app, bare = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{base_port}"
    rows, size_of, compare_with = {}, {}, {}
    try:
        baselines = {}
        for name, request in (("baseline", Request("GET", "/bare", dict(ACCEPT))),
                              ("read_baseline", Request("GET", "/bare/read", dict(ACCEPT))),
                              ("write_baseline", Request("POST", "/bare/write", dict(ACCEPT)))):
            baselines[name] = measure(bare, [request])
            baselines[name]["bytes"], baselines[name]["bytes_compressed"] = sizes(base_port, request)
        stop(base_server)

        search = f"/flights?origin=JFK&destination=LHR&date={day}&adults={ADULTS}"
        back = (date.fromisoformat(day) + timedelta(days=7)).isoformat()
        pages = {"home": ("baseline", [Request("GET", "/", dict(ACCEPT))]),
                 "search_results": ("baseline", [Request("GET", search, dict(ACCEPT))]),
                 # Trips: JFK-CDG has no nonstop (every result is a connection at London);
                 # a return search lists the outbound, each priced as the whole trip.
                 "search_connections": ("baseline", [Request(
                     "GET", f"/flights?origin=JFK&destination=CDG&date={day}&adults={ADULTS}", dict(ACCEPT))]),
                 "search_return": ("baseline", [Request(
                     "GET", f"{search}&return_date={back}", dict(ACCEPT))])}
        # Travellers on the wide-body (B789) JFK-LHR flight, three adults each, passengers entered.
        browsers = [Browser(port) for _ in range(SESSIONS)]
        flight_id = None
        for browser in browsers:
            flight_id = browser.select(search, ADULTS)
            browser.save_passengers(ADULTS, international=True)
        seats = free_seats(db_url, flight_id, 2 * SESSIONS)
        # The same travellers' customise page on a return trip (two flights, a seat map per flight).
        returning = [Browser(port) for _ in range(SESSIONS)]
        trip = return_offer(db_url, day, back)
        for browser in returning:
            browser.select_offer(trip, ADULTS)
            browser.save_passengers(ADULTS, international=True)
        scenarios = {**pages, **step_scenarios(browsers, seats),
                     "customise_return": ("read_baseline", [Request("GET", "/customize", session_headers(b))
                                                            for b in returning]),
                     "api_create_booking": ("write_baseline", api_booking_requests(port, day))}
        for name, (against, requests) in scenarios.items():
            size_of[name] = sizes(port, requests[0])
            rows[name] = measure(app, requests)
            compare_with[name] = against
        rows["webhook_ingestion"] = webhook_ingestion(port, db_url, production["STRIPE_WEBHOOK_SECRET"])
        size_of["webhook_ingestion"] = sizes(port, rows["webhook_ingestion"].pop("_size_request"))
        compare_with["webhook_ingestion"] = "write_baseline"
        rows["booking_to_confirmed"] = booking_flow(port, app_server, stripe_process, stripe_base,
                                                    production["STRIPE_PUBLISHABLE_KEY"], day, db_url)
        compare_with["booking_to_confirmed"] = None
    finally:
        stop(app_server)
        stop(base_server)
        stop_localstripe(stripe_process)

    for name, row in rows.items():
        against = compare_with[name]
        row["baseline_name"] = against
        row["ratio_to_baseline"] = round(row["rps"] / baselines[against]["rps"], 3) if against else None
        if name in size_of:
            row["bytes"], row["bytes_compressed"] = size_of[name]
        row.pop("sent", None) if name != "webhook_ingestion" else None
        row.pop("acknowledged", None)
    webhook = rows["webhook_ingestion"]
    webhook["goal"] = f">= {WEBHOOK_GOAL} x write_baseline, no event lost or doubled"
    webhook["goal_met"] = (webhook["ratio_to_baseline"] >= WEBHOOK_GOAL and webhook["events_lost"] == 0
                           and webhook["events_doubled"] == 0 and webhook["events_unprocessed"] == 0)
    load = os.getloadavg()
    report = {
        "machine": {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
                    "load_average_at_end": [round(x, 2) for x in load], "wrk": f"-t{THREADS} -c{CONNECTIONS}",
                    "seconds_per_endpoint": SECONDS, "gunicorn": procfile_web(), "sessions": SESSIONS,
                    "booking_clients": BOOKING_CLIENTS, "run_seconds": round(time.monotonic() - began)},
        "endpoints": rows,
        **baselines,
    }
    LAST.write_text(json.dumps(report, indent=2) + "\n")
    print_table(report)
    print(f"written to {LAST.relative_to(ROOT)} in {report['machine']['run_seconds']} s")
    return 0


def print_table(report: dict) -> None:
    print(f"{'endpoint':22} {'rps':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>6} {'bytes':>7} "
          f"{'br/gz':>6} {'ratio':>6}  against")
    named = [(name, report[name]) for name in ("baseline", "read_baseline", "write_baseline")]
    for name, row in named + list(report["endpoints"].items()):
        ratio = row.get("ratio_to_baseline")
        print(f"{name:22} {row['rps']:8.1f} {row['p50_ms']:7.1f} {row['p95_ms']:7.1f} {row['p99_ms']:7.1f} "
              f"{row['errors']:6d} {row.get('bytes', 0):7d} {row.get('bytes_compressed', 0):6d} "
              f"{(f'{ratio:.2f}' if ratio is not None else '—'):>6}  {row.get('baseline_name') or ''}")
    flow = report["endpoints"]["booking_to_confirmed"]
    print(f"booking to CONFIRMED: {flow['rps']} bookings/s, {flow['confirmed']} confirmed, app CPU "
          f"{flow['app_cpu_ms_per_booking']} ms/booking, localstripe CPU {flow['localstripe_cpu_ms_per_booking']} ms/booking")
    hook = report["endpoints"]["webhook_ingestion"]
    print(f"webhooks: {hook['events_sent']} sent, {hook['events_acknowledged']} acknowledged, {hook['events_stored']} "
          f"stored, {hook['events_lost']} lost, {hook['events_doubled']} doubled; goal met: {hook['goal_met']}")


if __name__ == "__main__":
    sys.exit(main())
