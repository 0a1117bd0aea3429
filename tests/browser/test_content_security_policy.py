"""The Content-Security-Policy in real Chromium: a script injected into the payment page does
not run and is reported, while the checkout, Stripe.js (the offline stand-in) and the payment
itself work without a single violation."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Error, Page, expect

from tests.browser.conftest import TIMEOUT_MS
from tests.browser.flow import to_pending_booking
from tests.browser.test_payment_flow import expect_confirmed, pay_with

pytestmark = pytest.mark.browser

# Runs before the page's own scripts in every document (devtools injects it, so the policy
# does not apply to it); violations are kept in sessionStorage across page loads.
RECORD_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  const seen = JSON.parse(sessionStorage.getItem("violations") || "[]");
  seen.push({directive: event.effectiveDirective, blocked: event.blockedURI, page: location.pathname});
  sessionStorage.setItem("violations", JSON.stringify(seen));
});
"""


def violations(page: Page) -> list[dict]:
    return page.evaluate("() => JSON.parse(sessionStorage.getItem('violations') || '[]')")


def reports_received(server_requests) -> list[bytes]:
    return [r for r in server_requests.requests() if r.startswith(b"POST /csp-report")]


def test_an_injected_script_is_blocked_and_reported_and_payment_still_works(page: Page, app, server_requests):
    page.add_init_script(RECORD_VIOLATIONS)
    reference = to_pending_booking(page, walk=True)  # every step's page, clicked through
    expect(page.get_by_label("Card number")).to_be_visible()  # the stand-in Stripe.js ran
    assert violations(page) == []  # search, customise, passengers, review and the payment page

    with pytest.raises(Error, match="violates the following Content Security Policy directive"):
        page.add_script_tag(content="window.injected = true;")
    assert page.evaluate("() => window.injected") is None
    [blocked] = violations(page)
    assert blocked["directive"] == "script-src-elem" and blocked["blocked"] == "inline"
    assert blocked["page"] == f"/booking/{reference}"
    waited = 0
    while not reports_received(server_requests) and waited < TIMEOUT_MS:
        page.wait_for_timeout(100)
        waited += 100
    [report] = reports_received(server_requests)
    body = json.loads(report.split(b"\n\n", 1)[1])["csp-report"]
    assert body["blocked-uri"] == "inline" and body["document-uri"].endswith(f"/booking/{reference}")

    pay_with(page, "4242424242424242")
    expect_confirmed(page, reference)
    assert len(violations(page)) == 1  # nothing else was blocked, before or after


@pytest.fixture
def another_site(live_server):
    """A page on another origin (another port on this machine) that frames our /manage."""
    page_html = f'<!doctype html><iframe id="ours" src="{live_server}/manage"></iframe>'.encode()

    class Framer(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(page_html)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Framer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


def test_the_page_cannot_be_framed_by_another_site(page: Page, live_server, another_site):
    """frame-ancestors 'none' (and X-Frame-Options: DENY): a site that frames ours gets an
    empty frame, so no button of ours can be clicked through it."""
    with page.expect_response(f"{live_server}/manage") as answer:
        page.goto(another_site)  # returns once the page and its frame have loaded (or been refused)
    assert answer.value.status == 200
    expect(page.frame_locator("#ours").get_by_role("button", name="Find my booking")).to_have_count(0)


def test_a_boosted_link_to_the_payment_page_loads_it_whole_and_the_card_form_works(page: Page):
    """htmx does not run scripts it swaps in (allowScriptTags: false): a boosted link to the
    payment page (like its own "Try again") must load a new page, or no card form appears."""
    reference = to_pending_booking(page)
    expect(page.get_by_label("Card number")).to_be_visible()
    page.evaluate("""(href) => {
        window.samePage = true;
        const link = Object.assign(document.createElement("a"), {href: href, textContent: "Open my booking again"});
        document.querySelector("main").append(link);
        htmx.process(link);  // boosted, as every link under <body data-hx-boost="true">
    }""", f"/booking/{reference}")
    page.get_by_role("link", name="Open my booking again").click()
    expect(page.get_by_role("link", name="Open my booking again")).to_have_count(0)
    expect(page.get_by_label("Card number")).to_be_visible()
    assert page.evaluate("() => window.samePage") is None  # a new document, with its own policy
    pay_with(page, "4242424242424242")
    expect_confirmed(page, reference)
