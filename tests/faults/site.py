"""The Procfile's web process (gunicorn, its workers and threads) on the private services,
with production settings from `.env.example` and the small deadlines below, and a browser
over HTTP that the suite's `Checkout` walker can drive.

A stuck dependency only stalls other pages through the worker model (threads busy waiting
on it), so these scenarios run the real gunicorn line, not the in-process test client.
"""
from __future__ import annotations

import re

import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from markupsafe import escape

from config import read_env_file
from tests.conftest import PUBLISHABLE_KEY, WEBHOOK_SECRET, csrf_from, travel_day
from tests.process_support import ROOT, procfile_command, shared_clock
from tests.smtp_support import free_port

# Small deadlines, so each scenario takes seconds (production's are in config.py and
# docs/DEPLOY.md). Stripe's is long enough that home and search are measured while the
# payment pages that hold Stripe slots are still waiting.
DEADLINES = {
    "STRIPE_TIMEOUT_SECONDS": "3",
    "STRIPE_CONCURRENT_CALLS": "2",
    # Small, but not so small that a busy 2-core test machine misses them with nothing frozen.
    "DB_READ_TIMEOUT_SECONDS": "1.5",
    "DB_WRITE_TIMEOUT_SECONDS": "2.5",
    "DB_CONNECT_TIMEOUT_SECONDS": "2",
    "DB_STATEMENT_TIMEOUT_SECONDS": "2",
    "DB_LOCK_TIMEOUT_SECONDS": "2",
    "DB_RETRY_AFTER_SECONDS": "5",  # open through the whole measurement (a probe would wait)
    "REDIS_TIMEOUT_SECONDS": "0.15",
}
# The requirement under test: with any one dependency stuck, the home page and search answer
# (a page, or a clear 503) within this many seconds.
HOME_AND_SEARCH_SECONDS = 1.0
# A page that waited on the stuck dependency answers within its deadline plus this: the
# page's own work before and after the call, on a shared 2-core machine under load.
PAGE_MARGIN_SECONDS = 2.5


class Site:
    """gunicorn with the Procfile's line; restart() when a service moved (localstripe's port)."""

    def __init__(self, environment: dict, folder: Path):
        self.environment, self.folder = environment, folder
        self.process: subprocess.Popen | None = None
        self.base_url = ""

    def start(self) -> None:
        port = free_port()
        self.base_url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(["bash", "-c", "exec " + procfile_command("web", port)], cwd=ROOT,
                                        env=self.environment, stdout=subprocess.DEVNULL,
                                        stderr=open(self.folder / "gunicorn.log", "ab"))
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(self.base_url + "/healthz", timeout=2)
                break
            except requests.RequestException:
                assert self.process.poll() is None, (self.folder / "gunicorn.log").read_text()[-3000:]
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        # Every thread of both workers has answered once (imports, templates, pools warm).
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda _: requests.get(self.base_url + "/", timeout=10), range(16)))

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def restart(self, **changes: str) -> None:
        self.stop()
        self.environment.update(changes)
        self.start()


def site_environment(app, postgres_url: str, redis_url: str, stripe_base: str, folder: Path) -> dict:
    return {
        **read_env_file(ROOT / ".env.example"),
        "DATABASE_URL": postgres_url,
        "RATELIMIT_STORAGE_URI": redis_url,
        # The test's own app shares the sessions (Redis keys under this prefix) and the data.
        "RATELIMIT_KEY_PREFIX": app.config["RATELIMIT_KEY_PREFIX"],
        "PII_ENCRYPTION_KEYS": app.config["PII_ENCRYPTION_KEYS"],
        "STRIPE_API_BASE": stripe_base,
        "STRIPE_JS_URL": "/offline/stripe/v3.js",
        "STRIPE_SECRET_KEY": "sk_test_fly2any",
        "STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "MAIL_PORT": "1",
        "INSTANCE_PATH": str(folder),
        "LOG_FORMAT": "text",
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        **DEADLINES,
        **shared_clock(),
    }


class HttpResponse:
    """The parts of a Flask test response that tests.conftest.Checkout reads."""

    def __init__(self, response: requests.Response, seconds: float):
        self.raw, self.seconds = response, seconds
        self.status_code = response.status_code
        self.headers = response.headers
        self.data = response.content
        self.location = response.headers.get("Location")

    def get_data(self, as_text: bool = False):
        return self.raw.text if as_text else self.data

    def text(self) -> str:
        return self.raw.text


class Browser:
    """One traveller's browser (its own cookies) against the site; every answer is timed."""

    def __init__(self, site: Site, cookies=None):
        self.site = site
        self.session = requests.Session()
        if cookies is not None:  # another tab of the same browser
            self.session.cookies.update(cookies)

    @property
    def cookies(self):
        return self.session.cookies

    def _url(self, url: str) -> str:
        return url if url.startswith("http") else self.site.base_url + url

    def get(self, url: str, timeout: float = 15, **kwargs) -> HttpResponse:
        started = time.monotonic()
        response = self.session.get(self._url(url), allow_redirects=False, timeout=timeout, **kwargs)
        return HttpResponse(response, time.monotonic() - started)

    def post(self, url: str, data=None, timeout: float = 15, **kwargs) -> HttpResponse:
        started = time.monotonic()
        response = self.session.post(self._url(url), data=data, allow_redirects=False, timeout=timeout, **kwargs)
        return HttpResponse(response, time.monotonic() - started)


def search_url(day=None) -> str:
    day = day or travel_day()
    return f"/flights?origin=JFK&destination=LHR&date={day.isoformat()}&adults=1&children=0&infants=0"


def csrf_of(response: HttpResponse) -> str:
    return csrf_from(response.get_data(as_text=True))


def assert_answer(response: HttpResponse, status: int, words: str, within: float) -> None:
    """The exact status, the words on the page (as HTML escapes them), and the wall time."""
    text = response.get_data(as_text=True)
    assert response.status_code == status, (response.status_code, text[:600])
    said = re.search(r"<main.*?</main>", text, re.S)  # the page's own words, past the head
    assert str(escape(words)) in text, (said.group(0) if said else text)[:1200]
    assert response.seconds < within, f"{response.raw.request.url} took {response.seconds:.2f}s (deadline {within}s)"


def home_and_search_answer(site: Site, cookies=None, search_status: int = 200, search_words: str = "Select") -> None:
    """The requirement: while one dependency is stuck, / and /flights answer within a second,
    for a newcomer and for a traveller who has a session."""
    for browser in (Browser(site), Browser(site, cookies)):
        assert_answer(browser.get("/"), 200, "Departure date", within=HOME_AND_SEARCH_SECONDS)
        assert_answer(browser.get(search_url()), search_status, search_words, within=HOME_AND_SEARCH_SECONDS)


def loading(browsers: list[Browser], url_for_each) -> list:
    """Each browser starts loading its page at once; the futures of their answers."""
    pool = ThreadPoolExecutor(len(browsers))
    futures = [pool.submit(browser.get, url_for_each(browser)) for browser in browsers]
    pool.shutdown(wait=False)
    return futures


def answered(futures, count: int, within: float) -> list:
    """Wait until `count` of the futures have answered (at most `within` seconds); the rest."""
    deadline = time.monotonic() + within
    while sum(f.done() for f in futures) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return [f for f in futures if not f.done()]
