"""Feedback on every click (issue 19): with 400 ms of network latency, a click on Search,
Select or Continue shows the loading bar and disables its button at once, and the button
stays disabled until the answer, so a second click sends nothing.

"At once" is measured inside the page: the time from the click event to the button's
`disabled` attribute and the bar's `htmx-request` class, by a MutationObserver, so a busy
test machine cannot make it flaky the way a wall-clock wait in the test would."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.flow import fill_passenger, iso, search
from tests.conftest import travel_day

pytestmark = pytest.mark.browser
LATENCY_MS = 400

WATCH = """button => new Promise(resolve => {
  const bar = document.getElementById('page-loading');
  const seen = {};
  const started = performance.now();
  const look = () => {
    if (seen.disabled === undefined && button.disabled) seen.disabled = performance.now() - started;
    if (seen.bar === undefined && bar.classList.contains('htmx-request')) seen.bar = performance.now() - started;
    if (seen.disabled !== undefined && seen.bar !== undefined) { observer.disconnect(); resolve(seen); }
  };
  const observer = new MutationObserver(look);
  observer.observe(document.body, {attributes: true, subtree: true, attributeFilter: ['disabled', 'class']});
  button.click();
  look();
  setTimeout(() => { observer.disconnect(); resolve(seen); }, 3000);
})"""


def slow_network(page: Page) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": LATENCY_MS,
                                                  "downloadThroughput": -1, "uploadThroughput": -1})


def click_and_time(page: Page, button) -> dict:
    """Click `button` in the page; milliseconds until it was disabled and the bar shown."""
    return button.evaluate(WATCH)


def assert_feedback_at_once(seen: dict, what: str) -> None:
    assert seen.get("disabled") is not None and seen["disabled"] < 100, (what, seen)
    assert seen.get("bar") is not None and seen["bar"] < 100, (what, seen)


def test_search_select_and_continue_show_loading_at_once_and_stay_disabled_until_the_answer(page: Page):
    page.goto("/")
    slow_network(page)
    page.get_by_label("From").fill("JFK")
    page.get_by_label("To", exact=True).fill("LHR")
    page.get_by_label("Departure date").fill(iso(travel_day()))
    search_button = page.get_by_role("button", name="Search")
    assert_feedback_at_once(click_and_time(page, search_button.element_handle()), "Search")
    expect(page.get_by_role("button", name="Select").first).to_be_visible()
    expect(page.locator("#page-loading")).not_to_have_class(re.compile("htmx-request"))

    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url) if request.method == "POST" else None)
    select = page.get_by_role("button", name="Select").first.element_handle()
    assert_feedback_at_once(click_and_time(page, select), "Select")
    select.evaluate("button => button.isConnected && button.click()")  # a second click while the first is on its way
    expect(page.get_by_role("heading", name="Customise your trip")).to_be_visible()
    assert sum(1 for url in requests if url.endswith("/select")) == 1, requests  # sent once

    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.get_by_role("heading", name="Who is travelling?")).to_be_visible()
    fill_passenger(page)
    continue_button = page.get_by_role("button", name="Continue", exact=True)
    assert_feedback_at_once(click_and_time(page, continue_button.element_handle()), "Continue")
    expect(page.get_by_role("heading", name="Review your booking")).to_be_visible()
