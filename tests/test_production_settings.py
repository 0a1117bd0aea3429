"""Production refuses to start without what it needs, and starts on `.env.example` alone.

Each start runs in a fresh Python process whose environment is exactly the one given
(config.py reads the environment when imported), so nothing from this test run leaks in.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from config import ProductionConfig, read_env_file
from tests.process_support import procfile_command

ROOT = Path(__file__).resolve().parent.parent
ENV_EXAMPLE = ROOT / ".env.example"

# Starts the app once per environment given on stdin; answers, for each, "started" and a few
# settings, or the RuntimeError's message.
STARTER = r"""
import importlib, json, os, sys
import config
from checkout import create_app

results = []
for environment in json.load(sys.stdin):
    os.environ.clear()
    os.environ.update(environment)
    importlib.reload(config)
    try:
        app = create_app()
    except RuntimeError as err:
        results.append({"refused": str(err)})
    else:
        with app.app_context():
            from checkout.staff.passwords import hasher
            password_hash = hasher().hash("correct horse battery")
        results.append({"started": {key: str(app.config[key]) for key in (
            "SQLALCHEMY_DATABASE_URI", "RATELIMIT_STORAGE_URI", "STRIPE_PUBLISHABLE_KEY", "MAIL_SERVER",
            "PUBLIC_BASE_URL", "SESSION_COOKIE_SECURE", "HSTS_SECONDS")}, "password_hash": password_hash})
print(json.dumps(results))
"""


def start_production(*environments: dict) -> list[dict]:
    """create_app() under each environment (and nothing else), in one fresh process."""
    done = subprocess.run([sys.executable, "-c", STARTER], cwd=ROOT, env={}, input=json.dumps(environments),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def example() -> dict:
    return read_env_file(ENV_EXAMPLE)


def without(environment: dict, *names: str) -> dict:
    return {k: v for k, v in environment.items() if k not in names}


def test_env_example_is_plain_name_value_lines():
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            assert re.fullmatch(r"[A-Z][A-Z0-9_]*=[^\s'\"]*", line), f"not a plain NAME=value line: {line!r}"


def test_env_example_lists_every_setting_production_requires(example):
    assert set(ProductionConfig.REQUIRED) <= set(example)
    assert example["FLASK_CONFIG"] == "production"


def test_production_starts_on_exactly_the_env_example(example):
    [result] = start_production(example)
    assert "started" in result, result
    started = result["started"]
    assert started["SQLALCHEMY_DATABASE_URI"] == example["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://")
    assert started["RATELIMIT_STORAGE_URI"] == example["RATELIMIT_STORAGE_URI"]
    assert started["STRIPE_PUBLISHABLE_KEY"] == example["STRIPE_PUBLISHABLE_KEY"]
    assert started["PUBLIC_BASE_URL"] == example["PUBLIC_BASE_URL"]
    assert started["SESSION_COOKIE_SECURE"] == "False"  # SESSION_COOKIE_SECURE=0 for plain-http localhost
    assert started["HSTS_SECONDS"] == "63072000"


def test_production_hashes_staff_passwords_at_the_recommended_argon2_cost(example):
    """The suite hashes at argon2's cheapest (config.TestConfig); production never does: a
    staff password made there is argon2id at RFC 9106's low-memory cost (64 MiB, 3 passes, 4 lanes)."""
    [result] = start_production(example)
    assert re.match(r"\$argon2id\$v=19\$m=65536,t=3,p=4\$", result["password_hash"]), result["password_hash"]


def test_each_missing_setting_stops_production_and_is_named(example):
    names = list(ProductionConfig.REQUIRED)
    results = start_production(*(without(example, name) for name in names))
    for name, result in zip(names, results):
        assert "refused" in result, f"production started without {name}"
        message = result["refused"]
        assert re.search(rf"\b{name}\b", message), message
        # Only the missing one is named as missing.
        others = [other for other in names if other != name and re.search(rf"\b{other}\b", message)]
        assert not others, message


def test_every_missing_setting_is_named_in_one_message():
    [result] = start_production({"FLASK_CONFIG": "production"})
    message = result["refused"]
    assert all(name in message for name in ProductionConfig.REQUIRED), message
    assert "POSTGRES_URL" in message  # the other name DATABASE_URL goes by


def test_an_empty_value_counts_as_missing(example):
    [result] = start_production({**example, "STRIPE_WEBHOOK_SECRET": ""})
    assert "STRIPE_WEBHOOK_SECRET" in result["refused"]


def test_postgres_url_is_accepted_for_database_url(example):
    [result] = start_production({**without(example, "DATABASE_URL"), "POSTGRES_URL": example["DATABASE_URL"]})
    assert "started" in result, result


@pytest.mark.parametrize("name, value, said", [
    ("DATABASE_URL", "sqlite:///instance/prod.sqlite3", "PostgreSQL"),
    ("RATELIMIT_STORAGE_URI", "memory://", "not memory://"),
    ("STRIPE_SECRET_KEY", "pk_test_wrong_kind", "sk_"),
    ("STRIPE_WEBHOOK_SECRET", "secret", "whsec_"),
])
def test_a_stand_in_value_is_refused_too(example, name, value, said):
    [result] = start_production({**example, name: value})
    assert "refused" in result and name in result["refused"] and said in result["refused"], result


def test_the_demo_and_test_configurations_need_none_of_it(tmp_path):
    done = subprocess.run([sys.executable, "-c", (
        "from checkout import create_app;"
        "dev = create_app('development', {'SECRET_KEY': 'x'});"
        "test = create_app('test', {'SQLALCHEMY_DATABASE_URI': 'sqlite://'});"
        "print(dev.config['SQLALCHEMY_DATABASE_URI'].split(':')[0], dev.config['RATELIMIT_STORAGE_URI'],"
        " test.config['RATELIMIT_STORAGE_URI'])")],
        cwd=ROOT, env={"INSTANCE_PATH": str(tmp_path)}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["sqlite", "memory://", "memory://"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def production_web(app, database_url, example):
    """The Procfile's web process (gunicorn, two workers) on .env.example, pointed at this
    run's database and its own rate-limit keys, as a tool outside the code base starts it."""
    port = _free_port()
    environment = {**example, "DATABASE_URL": database_url, "RATELIMIT_KEY_PREFIX": f"prod-{secrets.token_hex(4)}",
                   "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"}
    web = subprocess.Popen(["bash", "-c", "exec " + procfile_command("web", port)], cwd=ROOT, env=environment,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/static/css/checkout.css", timeout=5).close()
            break
        except OSError:
            assert web.poll() is None, web.stderr.read()[-3000:]
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.3)
    yield base
    web.terminate()
    web.wait(timeout=20)


def _get(url: str, data: bytes | None = None, headers: dict | None = None):
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as err:
        return err.code, err.headers


def test_production_names_no_server_software_and_sends_hsts(production_web):
    status, headers = _get(production_web + "/")
    assert status == 200
    assert headers.get_all("Server") == ["Fly2Any"]  # gunicorn would say "gunicorn"
    assert headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["Cache-Control"] == "no-store"


def test_two_workers_share_one_create_intent_limit(production_web):
    """The limit holds across gunicorn's workers because production keeps it in Redis."""
    body = json.dumps({"bookingReference": "FLY2A-ZZZZZZ", "email": "ada@example.com"}).encode()
    answers = [_get(production_web + "/api/payments/create-intent", body, {"Content-Type": "application/json"})[0]
               for _ in range(12)]
    assert answers == [404] * 5 + [429] * 7
