"""`make demo` end to end: SQLite under instance/, migrations on start, 60 days of demo data,
offline Stripe, and a test card taken to a confirmed booking with its email written."""
import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browserless:
    """Just enough of a browser: a cookie jar and JSON/form helpers."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path):
        with self.opener.open(self.base + path, timeout=10) as response:
            return response.read().decode()

    def post_form(self, path, fields):
        request = urllib.request.Request(self.base + path, data=urllib.parse.urlencode(fields).encode())
        with self.opener.open(request, timeout=30) as response:  # follows the 303, as a browser does
            return response.read().decode()

    def post_json(self, path, body, headers=None):
        request = urllib.request.Request(self.base + path, data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"{}")


def test_demo_serves_sixty_days_and_takes_a_test_card_to_a_confirmed_booking(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "POSTGRES_URL", "SECRET_KEY", "STRIPE_WEBHOOK_SECRET")}
    env.update(INSTANCE_PATH=str(tmp_path), PORT=str(port))
    # Read before the demo starts: if midnight passes meanwhile, the demo seeds from the
    # next day and still covers every day asked about below.
    today = date.today()
    proc = subprocess.Popen([sys.executable, "-m", "demo"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = []
    reader = threading.Thread(target=lambda: output.extend(proc.stdout), daemon=True)
    reader.start()
    site = Browserless(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                home = site.get("/")
                break
            except OSError:
                assert proc.poll() is None, "".join(output)
                assert time.monotonic() < deadline, "demo did not start in time"
                time.sleep(0.3)
        assert ">Search</button>" in home and (tmp_path / "demo.sqlite3").exists()
        with urllib.request.urlopen(site.base + "/", timeout=10) as response:
            assert response.headers.get_all("Server") == ["Fly2Any"]  # not "Werkzeug/x Python/y"
        last_day = today + timedelta(days=59)
        for destination in ("LHR", "LAX"):
            offers = json.loads(site.get(f"/api/flights?origin=JFK&destination={destination}&date={last_day}&adults=1"))["offers"]
            assert len(offers) >= 2

        offer = json.loads(site.get(f"/api/flights?origin=JFK&destination=LAX&date={today + timedelta(days=5)}"))["offers"][0]
        notices = json.loads(site.get("/api/acknowledgements"))["acknowledgements"]  # shown to the traveller
        status, booking = site.post_json("/api/bookings", {
            "offerId": offer["offerId"], "fareFamily": "STANDARD",
            "passengers": [{"type": "adult", "firstName": "Grace", "lastName": "Hopper", "dateOfBirth": "1980-12-09",
                            "gender": "F", "nationality": "US"}],
            "contact": {"email": "grace@example.com", "phone": "+1 212 555 0100"},
            "acknowledgements": [{"key": n["key"], "version": n["version"]} for n in notices]})
        assert status == 201
        status, intent = site.post_json("/api/payments/create-intent",
                                        {"bookingReference": booking["bookingReference"], "email": "grace@example.com"})
        assert status == 200 and intent["amount"] == booking["amount"]

        # The browser's part, as the Stripe.js stand-in does it: the card goes to offline Stripe only.
        stripe_base = re.search(r"Offline Stripe at (http://\S+);", "".join(output)).group(1)
        card = urllib.parse.urlencode({"key": "pk_test_fly2any_demo", "card[number]": "4242424242424242",
                                       "card[exp_month]": "12", "card[exp_year]": str(today.year + 3), "card[cvc]": "123"}).encode()
        with urllib.request.urlopen(urllib.request.Request(f"{stripe_base}/v1/tokens", data=card), timeout=10) as r:
            token = json.loads(r.read())["id"]
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', site.get("/")).group(1)
        status, attached = site.post_json("/offline/stripe/attach", {
            "paymentIntentId": intent["paymentIntentId"], "clientSecret": intent["clientSecret"], "token": token},
            headers={"X-CSRFToken": csrf})
        assert attached.get("status") == "succeeded", (status, attached)
        status, confirmed = site.post_json("/api/payments/confirm", {
            "bookingReference": booking["bookingReference"], "paymentIntentId": intent["paymentIntentId"],
            "clientSecret": intent["clientSecret"]})
        assert confirmed["status"] == "CONFIRMED"

        # The mailer thread writes the confirmation, with its e-ticket, as an .eml file.
        mail_dir = tmp_path / "mail"
        while time.monotonic() < deadline:
            written = [p.read_text(errors="replace") for p in mail_dir.glob("*.eml")] if mail_dir.exists() else []
            if any(booking["bookingReference"] in text for text in written):
                break
            time.sleep(0.5)
        else:
            raise AssertionError("no confirmation email was written")
        assert any("application/pdf" in text for text in written)

        # A newcomer signs in to the staff console with the demo account's email and password alone.
        login = site.get("/staff/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
        console = site.post_form("/staff/login", {"csrf_token": csrf, "email": "support@fly2any.test",
                                                  "password": "demo-support", "next": ""})
        assert "Signed in as support@fly2any.test (supervisor)" in console
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    assert "Traceback" not in "".join(output), "".join(output)
