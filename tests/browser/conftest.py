"""Browser fixtures: the app served on a real port, and Debian's Chromium driven by Playwright.

`playwright install` cannot download here, so the browser is the system Chromium.
"""
from __future__ import annotations

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


@pytest.fixture(scope="session")
def live_server(app):
    """The session app on 127.0.0.1 and a free port, served from a daemon thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
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
