"""`flask check-payment-page [URL]`: the payment page compared with its approved baseline.

PCI DSS 4.0.1 asks, for the page that loads the card form (our booking page while the booking
waits for payment): an inventory of its scripts, each authorised and its integrity assured
(6.4.3), and a check, at least weekly, that its security headers and scripts are the ones
approved (11.6.1). docs/payment-page-scripts.md is the inventory and says why each is there;
docs/payment-page-baseline.json is what was approved, written by `--update`.

How the page is reached: a specimen booking is made (one adult on the first flight more than
a day away, contact OPS_EMAIL, channel "check") and given a session of its own, exactly as
the browser that made it would have; the page is then fetched through the test client, or
from URL (the site as travellers reach it, through its load balancer) with that session's
cookie. The booking is cancelled and the session ended afterwards (its PaymentIntent is
cancelled with it). Needs the app's configuration, so run it where the app runs.

What is compared, so that nothing per request or per day makes a difference:
- the security headers, with the CSP nonce written 'nonce-{per request}' and the Stripe API
  origin the configuration names (https://api.stripe.com, or localstripe offline) written
  {stripe-api};
- every <script>, in page order: its address and the SHA-384 of the file (SRI format).
  Stripe.js, the script at STRIPE_JS_URL, is pinned by address only: Stripe changes it
  without notice and does not support Subresource Integrity, and the CSP lets scripts come
  from Stripe's origin alone. Offline the stand-in at that address is treated the same.
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Callable
from urllib.parse import urljoin, urlsplit

import click
from flask import Flask, current_app
from sqlalchemy import select

from checkout import payments, web_session
from checkout.bookings import service
from checkout.bookings.acknowledgements import ACKNOWLEDGEMENTS
from checkout.catalog.search import Party
from checkout.clock import utcnow
from checkout.extensions import db
from checkout.models import Flight

BASELINE = Path(__file__).resolve().parent.parent / "docs" / "payment-page-baseline.json"
HEADERS = ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy",
           "Strict-Transport-Security", "Cache-Control")
PAGE = "/booking/{reference}"
STRIPE_JS_NOTE = "Stripe.js: pinned by address; Stripe does not support SRI for it (the CSP allows its origin only)"
ACTOR = "payment page check"


class CheckFailed(Exception):
    """The page could not be fetched as a payment page; nothing was compared."""


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


Fetch = Callable[[str], Answer]  # absolute URL -> answer, with the specimen's cookie


# -- reading the page -----------------------------------------------------------------

class _Scripts(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[dict] = []
        self._inline: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            src = dict(attrs).get("src")
            if src:
                self.found.append({"src": src})
            else:
                self._inline = []

    def handle_data(self, data):
        if self._inline is not None:
            self._inline.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._inline is not None:
            self.found.append({"inline": "".join(self._inline)})
            self._inline = None


def sri_sha384(content: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(content).digest()).decode()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def stripe_api_origin(config) -> str:
    return _origin(config.get("STRIPE_API_BASE") or "https://api.stripe.com")


def normalised_headers(headers: dict[str, str], config) -> dict[str, str | None]:
    found = {name.lower(): value for name, value in headers.items()}
    values: dict[str, str | None] = {name: found.get(name.lower()) for name in HEADERS}
    csp = values["Content-Security-Policy"]
    if csp:
        csp = re.sub(r"'nonce-[^']*'", "'nonce-{per request}'", csp)
        values["Content-Security-Policy"] = re.sub(
            rf"(?<![\w.-]){re.escape(stripe_api_origin(config))}(?![\w.:-])", "{stripe-api}", csp)
    return values


def inventory(page_url: str, answer: Answer, fetch: Fetch, config) -> dict:
    """What the baseline records about this answer of the payment page."""
    parser = _Scripts()
    parser.feed(answer.body.decode("utf-8", "replace"))
    scripts = []
    for script in parser.found:
        if "inline" in script:
            scripts.append({"inline": True, "sha384": sri_sha384(script["inline"].encode())})
            continue
        src = script["src"]
        if src == config.get("STRIPE_JS_URL"):
            scripts.append({"src": src, "sha384": None, "note": STRIPE_JS_NOTE})
            continue
        url = urljoin(page_url, src)
        if _origin(url) != _origin(page_url):
            scripts.append({"src": src, "sha384": None, "note": "another origin: not approved"})
            continue
        served = fetch(url)
        if served.status != 200:
            raise CheckFailed(f"the script {src} answered {served.status}")
        # Our own files carry a content fingerprint (?v=…) that changes with every edit; the
        # file is named by its path and pinned by its hash, so the baseline says what changed.
        scripts.append({"src": urlsplit(src).path, "sha384": sri_sha384(served.body)})
    return {"page": PAGE, "headers": normalised_headers(answer.headers, config), "scripts": scripts}


def differences(baseline: dict, current: dict) -> list[str]:
    """Each change from the baseline, one line (or three) each, in words."""
    lines = []
    for name in HEADERS:
        was, now = baseline.get("headers", {}).get(name), current["headers"].get(name)
        if was != now:
            lines += [f"header {name} changed:", f"    baseline: {was}", f"    now:      {now}"]

    def label(script):
        return script.get("src") or "inline script"

    def described(script):
        return f"{label(script)} ({script['sha384'] or 'address only'})"

    before, after = baseline.get("scripts", []), current["scripts"]
    for script in after:
        if not any(label(old) == label(script) for old in before):
            lines.append(f"script added: {described(script)}")
    for script in before:
        if not any(label(new) == label(script) for new in after):
            lines.append(f"script removed: {described(script)}")
    for script in after:
        old = next((old for old in before if label(old) == label(script)), None)
        if old is not None and old.get("sha384") != script.get("sha384"):
            lines.append(f"script {label(script)} changed: {old.get('sha384')} -> {script.get('sha384')}")
    if not lines and [label(s) for s in before] != [label(s) for s in after]:
        lines.append("scripts reordered: " + ", ".join(label(s) for s in after))
    return lines


# -- reaching the page ------------------------------------------------------------------

def make_specimen_booking():
    """A pending booking that stands for any traveller's: one adult, no extras."""
    flight = db.session.execute(
        select(Flight).where(Flight.departs_at > utcnow() + timedelta(days=1)).order_by(Flight.departs_at).limit(1)
    ).scalar_one_or_none()
    if flight is None:
        raise CheckFailed("there is no flight more than a day away to make a specimen booking on")
    try:
        booking = service.create_draft(flight, Party(1), channel="check")
        service.save_passengers(
            booking, [service.PassengerDetails("Payment", "Pagecheck", date(1980, 1, 1), "GB", "X0000000",
                                               date.today() + timedelta(days=3650), gender="U")],
            service.Contact(current_app.config.get("OPS_EMAIL") or "ops@fly2any.test", "+12125550100"))
        return service.submit(booking, [a.key for a in ACKNOWLEDGEMENTS], actor=ACTOR)
    except service.BookingError as err:
        db.session.rollback()
        raise CheckFailed(f"the specimen booking could not be made: {err}") from err


def _cancel_specimen(booking_id: int, reference: str) -> None:
    try:
        payments.cancel_booking(booking_id, actor=ACTOR)
    except Exception:  # noqa: BLE001 - Stripe unreachable, say: the sweeper expires it with its hold
        db.session.rollback()
        current_app.logger.warning("payment page check: specimen booking %s left to expire with its hold", reference)


def _in_process(app: Flask, cookie_name: str, token: str) -> Fetch:
    client = app.test_client()
    client.set_cookie(cookie_name, token)  # the test client keeps cookies itself, ignoring a Cookie header

    def fetch(url: str) -> Answer:
        parts = urlsplit(url)
        response = client.get(parts.path + (f"?{parts.query}" if parts.query else ""))
        return Answer(response.status_code, dict(response.headers), response.get_data())
    return fetch


def _over_http(cookie_name: str, token: str) -> Fetch:
    opener = urllib.request.build_opener()
    cookie = f"{cookie_name}={token}"

    def fetch(url: str) -> Answer:
        request = urllib.request.Request(url, headers={"Cookie": cookie, "User-Agent": "fly2any-payment-page-check"})
        try:
            with opener.open(request, timeout=30) as response:
                return Answer(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as err:
            return Answer(err.code, dict(err.headers), err.read())
        except OSError as err:
            raise CheckFailed(f"{url} could not be reached: {err}") from err
    return fetch


def take(app: Flask, site_url: str | None = None) -> dict:
    """The payment page's inventory, as served now (in-process, or by the site at site_url)."""
    booking = make_specimen_booking()
    booking_id, reference = booking.id, booking.reference
    token = web_session.open_for({"booking_ids": [booking_id]}, timedelta(minutes=10))
    try:
        name = app.config["SESSION_COOKIE_NAME"]
        base = site_url.rstrip("/") if site_url else "http://localhost"
        fetch = _over_http(name, token) if site_url else _in_process(app, name, token)
        page_url = base + PAGE.format(reference=reference)
        answer = fetch(page_url)
        if answer.status != 200 or b'id="payment-form"' not in answer.body:
            raise CheckFailed(f"{page_url} answered {answer.status} without the card form "
                              "(is Stripe reachable? does the site use this database?)")
        return inventory(page_url, answer, fetch, app.config)
    finally:
        db.session.rollback()
        web_session.end(token)
        _cancel_specimen(booking_id, reference)


# -- the command ------------------------------------------------------------------------

def register_cli(app: Flask) -> None:
    @app.cli.command("check-payment-page")
    @click.argument("url", required=False)
    @click.option("--update", is_flag=True, help="Record the page as it is now as the approved baseline.")
    @click.option("--baseline", "baseline_path", type=click.Path(dir_okay=False, path_type=Path), default=BASELINE,
                  show_default=True)
    def check_payment_page(url: str | None, update: bool, baseline_path: Path):
        """Compare the payment page's security headers and scripts with the approved baseline.

        URL is the site's address (https://checkout.example.com); without it the page is
        fetched in-process. Exit code 0: as approved; 1: changed (the differences are listed);
        2: the page could not be checked.
        """
        try:
            current = take(current_app._get_current_object(), url)
        except CheckFailed as err:
            click.echo(f"Could not check the payment page: {err}", err=True)
            raise SystemExit(2)
        if update:
            baseline_path.write_text(json.dumps(current, indent=2) + "\n")
            click.echo(f"Recorded the payment page ({len(current['scripts'])} scripts) in {baseline_path}.")
            return
        try:
            baseline = json.loads(baseline_path.read_text())
        except (OSError, ValueError) as err:
            click.echo(f"Could not read the baseline {baseline_path}: {err}", err=True)
            raise SystemExit(2)
        changes = differences(baseline, current)
        if changes:
            click.echo(f"The payment page differs from {baseline_path}:")
            for line in changes:
                click.echo("  " + line)
            click.echo("If the change is intended and reviewed, list it in docs/payment-page-scripts.md and record "
                       "it with: flask check-payment-page --update")
            raise SystemExit(1)
        click.echo(f"The payment page matches {baseline_path} ({len(current['scripts'])} scripts, "
                   f"{sum(v is not None for v in current['headers'].values())} security headers).")
