"""When the network drops an htmx request, the traveller is told and it is retried."""
import pytest
from playwright.sync_api import expect

from tests.browser.flow import drop_first_request, search, select_first_flight, shown_total, total_element


@pytest.mark.browser
def test_a_dropped_request_says_connection_lost_then_retries_and_recovers(page):
    search(page, destination="LAX")
    select_first_flight(page)
    before = shown_total(page)
    dropped = drop_first_request(page, "**/customize/extras")
    page.get_by_label("Checked bags, passenger 1 (adult)").select_option("1")
    banner = page.get_by_role("alert").filter(has_text="Connection lost. Please try again.")
    expect(banner).to_be_visible()
    # The retry (after a backoff of about a second) goes through: the total moves, the banner goes.
    expect(total_element(page)).not_to_have_attribute("data-total", str(before), timeout=10_000)
    expect(banner).to_be_hidden()
    assert len(dropped) == 1
    # The choice is on the server: a reload shows it.
    page.reload()
    expect(page.get_by_label("Checked bags, passenger 1 (adult)")).to_have_value("1")
