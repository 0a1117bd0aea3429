"""Where a request's time goes, in process, for the bench's endpoints.

    .venv/bin/python bench/profile.py                 milliseconds per request, every endpoint
    .venv/bin/python bench/profile.py customise -p    and pyinstrument's profile of one of them

wrk's requests/s move 2-3x between runs on a shared 2-core machine; one process timing
the same requests back to back moves far less (±20 % between rounds here), so this is where
a change is judged, in interleaved runs of the old and new trees, before `make bench`. Runs the app with production settings (.env.example) through
Flask's test client against the bench database (`make bench` creates it; run that once
first), the same travellers' flow as bench/run.py: three adults on the wide-body JFK-LHR
flight, passengers entered. The baseline app's three routes are timed the same way.
It writes what the requests write: its travellers' drafts and choices, API bookings on
JFK-LAX and webhook events, on a day of the bench's 60 picked at random each run.
"""
from __future__ import annotations

import argparse
import os
import re
import secrets
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config import read_env_file  # noqa: E402

ALL = bool(os.environ.get("PROFILE_ALL"))
HX = {"HX-Request": "true"}
ACCEPT = {"Accept-Encoding": "br, gzip"}


def environment() -> None:
    from bench.run import REDIS
    os.environ.update({**read_env_file(ROOT / ".env.example"), "FLASK_CONFIG": "production",
                       "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/fly2any_bench"),
                       "SECRET_KEY": secrets.token_urlsafe(32), "RATELIMIT_STORAGE_URI": REDIS,
                       "RATELIMIT_KEY_PREFIX": f"profile-{secrets.token_hex(4)}", "LOG_LEVEL": "WARNING",
                       "API_BOOKINGS_PER_MINUTE": "1000000", "API_OPEN_HOLDS_PER_ADDRESS": "1000000",
                       "API_OPEN_HOLDS_PER_EMAIL": "1000000"})
    os.environ.pop("REDIS_URL", None)
    import importlib

    import config
    importlib.reload(config)  # its classes read the environment when imported


class Traveller:
    """One browser's cookies and CSRF token on the test client."""

    def __init__(self, app):
        self.client = app.test_client()
        self.csrf = ""

    def call(self, method: str, path: str, form: dict | None = None, headers: dict | None = None,
             compressed: bool = True):
        headers = {**(ACCEPT if compressed else {}), **(headers or {})}
        if self.csrf:
            headers["X-CSRFToken"] = self.csrf
        data = {"csrf_token": self.csrf, **form} if form is not None else None
        response = self.client.open(path, method=method, data=data, headers=headers)
        body = response.get_data()
        found = re.search(rb'name="csrf-token" content="([^"]+)"', body)
        if found:
            self.csrf = found.group(1).decode()
        return response


def travellers(app, count: int, search: str):
    from bench.traveller import passengers_form
    people = []
    for _ in range(count):
        t = Traveller(app)
        page = t.call("GET", search, compressed=False).get_data(as_text=True)
        offer = re.search(r'name="offer_id" value="([^"]+)"', page).group(1)
        assert t.call("POST", "/select", {"offer_id": offer, "adults": 3, "children": 0, "infants": 0}).status_code == 303
        t.call("GET", "/passengers", compressed=False)
        form = passengers_form(3, international=True)
        assert t.call("POST", "/passengers", form).status_code == 303
        t.passengers = form
        people.append(t)
    return people


def scenarios(people, seats: list[str], search: str) -> dict:
    """NAME -> a function of (traveller index, iteration) that makes one request."""
    def who(i):
        return people[i % len(people)]

    check = {"passengers-0-first_name": "Ada", "passengers-0-last_name": "Lovelace",
             "passengers-0-date_of_birth": "1985-12-10", "email": "ada@example"}
    return {
        "home": lambda i: who(i).call("GET", "/"),
        "search_results": lambda i: who(i).call("GET", search),
        "customise": lambda i: who(i).call("GET", "/customize"),
        "passengers": lambda i: who(i).call("GET", "/passengers"),
        "review": lambda i: who(i).call("GET", "/review"),
        "seat_map_tab": lambda i: who(i).call("GET", "/customize?seat_for=1", headers=HX),
        "field_check": lambda i: who(i).call("POST", "/passengers/check?field=email", check, HX),
        "save_fare": lambda i: who(i).call("POST", "/customize/fare",
                                           {"fare_family": "FLEX" if i // len(people) % 2 else "STANDARD"}, HX),
        "save_bundle": lambda i: who(i).call("POST", "/customize/bundle",
                                             {"bundle": "COMFORT" if i // len(people) % 2 else ""}, HX),
        "save_extras": lambda i: who(i).call("POST", "/customize/extras", {
            "extras_shown": "1", "bags-0": str(i // len(people) % 2), "insurance": "y" if i // len(people) % 2 else ""}, HX),
        "save_seat": lambda i: who(i).call("POST", "/customize/seat", {
            "seat_passenger": "0", "seat": seats[2 * (i % len(people)) + i // len(people) % 2]}, HX),
        "save_passengers": lambda i: who(i).call("POST", "/passengers", {
            **who(i).passengers, "phone": "+1 212 555 0100" if i // len(people) % 2 else "+1 212 555 0199"}, HX),
    }


def api_booking(app, day: str):
    """POST /api/bookings, one adult JFK-LAX, as bench/run.py sends it."""
    import json

    from bench.run import api_booking_body
    client = app.test_client()
    offer = client.get(f"/api/flights?origin=JFK&destination=LAX&date={day}&adults=1").get_json()["offers"][0]["offerId"]
    accepted = [{"key": a["key"], "version": a["version"]} for a in client.get("/api/acknowledgements").get_json()["acknowledgements"]]

    def book(i):
        return client.post("/api/bookings", data=json.dumps(api_booking_body(offer, i, accepted)),
                           headers={"Content-Type": "application/json", **ACCEPT})
    return book


def webhook(app):
    """POST /api/payments/webhook: a new signed event each time, as bench/run.py sends them."""
    import itertools

    from bench.run import stripe_signature, synthetic_event
    client, secret, prefix = app.test_client(), app.config["STRIPE_WEBHOOK_SECRET"], f"evt_prof{secrets.token_hex(3)}_"
    numbers = itertools.count()  # never the same event twice: a redelivery is another path

    def send(_):
        now = int(time.time())
        payload = synthetic_event(f"{prefix}{next(numbers):07d}", now)
        return client.post("/api/payments/webhook", data=payload, headers={
            "Content-Type": "application/json", "Stripe-Signature": stripe_signature(secret, payload, now), **ACCEPT})
    return send


def time_it(make, count: int) -> tuple[float, float]:
    """Median wall-clock ms of one request, and this process's CPU ms per request.

    The CPU figure leaves out PostgreSQL's and Redis's own time (they are other processes)
    and is steadier on a shared machine; the wall figure includes waiting for them."""
    for i in range(min(10, count)):  # warm: templates compiled, pools filled, statements prepared
        make(i)
    took = []
    cpu = time.process_time()
    for i in range(count):
        began = time.perf_counter()
        response = make(i)
        took.append((time.perf_counter() - began) * 1000)
        assert response.status_code < 400, (response.status_code, response.get_data(as_text=True)[:300])
    return statistics.median(took), (time.process_time() - cpu) * 1000 / count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("only", nargs="*", help="endpoint names (default: all)")
    parser.add_argument("-n", type=int, default=60, help="requests per endpoint")
    parser.add_argument("-p", "--profile", action="store_true", help="print pyinstrument's profile of each")
    args = parser.parse_args()
    environment()
    from bench.run import free_seats
    from checkout import create_app
    app = create_app()
    baseline = __import__("bench.baseline_app", fromlist=["app"]).app.test_client()
    # A day of its own each run: every run's travellers hold 24 seats on that day's flight.
    day = (date.today() + timedelta(days=11 + secrets.randbelow(45))).isoformat()
    search = f"/flights?origin=JFK&destination=LHR&date={day}&adults=3"
    people = travellers(app, 8, search)
    flight = int(re.search(r"off_(\d+)", people[0].call("GET", search, compressed=False).get_data(as_text=True)).group(1))
    seats = free_seats(os.environ["DATABASE_URL"], flight, 16)
    table = {"baseline": lambda i: baseline.get("/bare"), "read_baseline": lambda i: baseline.get("/bare/read"),
             "write_baseline": lambda i: baseline.post("/bare/write"), **scenarios(people, seats, search),
             "api_create_booking": api_booking(app, day), "webhook_ingestion": webhook(app)}
    for name, make in table.items():
        if args.only and name not in args.only:
            continue
        wall, cpu = time_it(make, args.n)
        print(f"{name:18} {wall:7.2f} ms  {cpu:7.2f} ms of CPU", flush=True)
        if args.profile:
            from pyinstrument import Profiler
            profiler = Profiler(interval=0.0002)
            with profiler:
                for i in range(args.n):
                    make(i)
            print(profiler.output_text(unicode=True, color=False, show_all=ALL))
    return 0


if __name__ == "__main__":
    sys.exit(main())
