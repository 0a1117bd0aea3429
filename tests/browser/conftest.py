"""Browser fixtures: the app served on a real port, and Debian's Chromium driven by Playwright.

`playwright install` cannot download here, so the browser is the system Chromium.
"""
from __future__ import annotations

import io
import threading

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import WSGIRequestHandler, make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# Generous enough for a cold first request, short enough that a broken step fails fast.
TIMEOUT_MS = 10_000


class _QuietHandler(WSGIRequestHandler):
    """No access log line per request; errors are still logged."""

    def log_request(self, *args, **kwargs):
        pass


class RequestRecorder:
    """WSGI middleware that keeps a copy of every request the live server receives
    (method, path, query string, headers and body), except for /static files, so tests
    can prove what never reached our server (card numbers)."""

    def __init__(self, app):
        self.app = app
        self.seen: list[bytes] = []
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not path.startswith("/static"):
            length = environ.get("CONTENT_LENGTH") or ""
            stream = environ["wsgi.input"]
            if length.isdigit():
                body = stream.read(int(length)) if int(length) else b""
            elif environ.get("wsgi.input_terminated"):  # chunked: the server ends the stream
                body = stream.read()
            else:
                body = b""
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            environ.pop("wsgi.input_terminated", None)
            headers = "\n".join(f"{k}: {v}" for k, v in environ.items() if k.startswith("HTTP_"))
            record = (f"{environ.get('REQUEST_METHOD')} {path}?{environ.get('QUERY_STRING', '')}\n{headers}\n\n"
                      .encode("latin-1", "replace") + body)
            with self._lock:
                self.seen.append(record)
        return self.app(environ, start_response)

    def clear(self) -> None:
        with self._lock:
            self.seen.clear()

    def requests(self) -> list[bytes]:
        with self._lock:
            return list(self.seen)


@pytest.fixture(scope="session")
def _recorder(app):
    return RequestRecorder(app)


@pytest.fixture
def server_requests(_recorder, live_server):
    """What the live server receives during this test (see RequestRecorder)."""
    _recorder.clear()
    return _recorder


@pytest.fixture(scope="session")
def live_server(app, _recorder):
    """The session app on 127.0.0.1 and a free port, served from a daemon thread
    (behind RequestRecorder)."""
    server = make_server("127.0.0.1", 0, _recorder, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    # Stripe's return URL and emails' links are built on PUBLIC_BASE_URL, never the Host header.
    public, app.config["PUBLIC_BASE_URL"] = app.config["PUBLIC_BASE_URL"], url
    try:
        yield url
    finally:
        app.config["PUBLIC_BASE_URL"] = public
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _new_page(browser, live_server, **context_options):
    context = browser.new_context(base_url=live_server, **context_options)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    return context, context.new_page()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser (own cookies, so its own session) with JavaScript on."""
    context, page = _new_page(browser, live_server)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def page_without_js(browser, live_server):
    """A fresh browser with JavaScript off: <noscript> buttons show, forms post and redirect."""
    context, page = _new_page(browser, live_server, java_script_enabled=False)
    try:
        yield page
    finally:
        context.close()
