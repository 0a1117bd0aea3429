"""The payment page looks finished (issue 11 #7): it says what paying does, shows the price,
drops the loading line once the card form is there, and a new attempt starts clean."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.flow import price_summary, to_pending_booking, total_element
from tests.browser.test_payment_flow import (DECLINED, NEEDS_3DS, expect_awaiting_payment_after_failure,
                                             expect_confirmed, last_failure, pay_button, pay_with, three_d_secure)

pytestmark = pytest.mark.browser

LOADING = "Loading the secure card form"


def test_the_payment_page_names_the_price_shows_it_and_pay_is_the_main_button(page: Page):
    reference = to_pending_booking(page, destination="LAX")
    expect(page.get_by_label("Card number")).to_be_visible()
    expect(page.get_by_text(LOADING)).to_be_hidden()

    amount = total_element(page).inner_text()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Pay {amount} to confirm {reference}")
    expect(page).to_have_title(f"Pay {amount} to confirm {reference} · Fly2Any")
    expect(price_summary(page)).to_be_visible()
    expect(pay_button(page)).to_have_text(f"Pay {amount}")

    form_box = page.locator("#payment-form").bounding_box()
    button_box = pay_button(page).bounding_box()
    assert button_box["width"] >= 0.95 * form_box["width"], (button_box, form_box)


def test_without_javascript_the_page_never_says_the_card_form_is_loading(page_without_js: Page, page: Page):
    to_pending_booking(page, destination="LAX")
    page_without_js.context.add_cookies(page.context.cookies())
    page_without_js.goto(page.url)
    expect(page_without_js.get_by_role("heading", level=1)).to_contain_text("to confirm")
    expect(page_without_js.get_by_text(LOADING)).to_be_hidden()
    expect(page_without_js.get_by_text(LOADING)).to_be_hidden()


def test_the_last_decline_is_cleared_when_pay_is_pressed_again(page: Page):
    reference = to_pending_booking(page, destination="LAX")
    pay_with(page, DECLINED)
    expect_awaiting_payment_after_failure(page, "Your card was declined")

    pay_with(page, NEEDS_3DS)
    dialog = three_d_secure(page)
    expect(dialog).to_be_visible()
    expect(last_failure(page)).to_be_hidden()  # while the new attempt runs
    dialog.get_by_role("button", name="Complete authentication").click()
    expect_confirmed(page, reference)
