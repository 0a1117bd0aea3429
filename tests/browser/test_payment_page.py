"""The payment page looks finished (issue 11 #7): it says what paying does, shows the price,
drops the loading line once the card form is there, a new attempt starts clean, and a
decline leaves the card form as typed (one field corrected, Pay again, a new PaymentIntent)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from checkout.extensions import db
from checkout.models import Booking, BookingStatus, PaymentAttempt, Refund
from checkout.payments import gateway
from tests.browser.flow import drop_first_request, price_summary, to_pending_booking, total_element
from tests.browser.test_payment_flow import (DECLINED, NEEDS_3DS, SUCCEEDS, card_number_shapes,
                                             carries_card_number, expect_awaiting_payment_after_failure,
                                             expect_confirmed, expiry, last_failure, pay_button, pay_with,
                                             payment_message, three_d_secure)

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


def test_after_a_decline_the_card_form_keeps_what_was_typed_and_one_corrected_field_pays(page: Page, app,
                                                                                         server_requests):
    reference = to_pending_booking(page, destination="LAX")
    expect(pay_button(page)).to_be_enabled()
    number, expiration = page.get_by_label("Card number"), page.get_by_label("Expiration date")
    security_code, postal_code = page.get_by_label("Security code"), page.get_by_label("Postal code")
    number.fill(DECLINED)
    expiration.fill(expiry())
    security_code.fill("123")
    postal_code.fill("10001")
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url) if frame == page.main_frame else None)
    pay_button(page).click()

    box = last_failure(page)
    for words in ("Your payment did not go through.", "Please use another card or contact your bank.",
                  "You have not been charged.", "4 attempts left."):
        expect(box).to_contain_text(words)
    expect(pay_button(page)).to_be_enabled()
    # Still the same page, and the card form as the traveller left it.
    assert navigations == []
    expect(number).to_have_value("4000 0000 0000 0002")
    expect(expiration).to_have_value(expiry())
    expect(security_code).to_have_value("123")
    expect(postal_code).to_have_value("10001")

    number.fill(SUCCEEDS)  # only the card number changes
    pay_button(page).click()
    expect_confirmed(page, reference)

    with app.app_context():
        booking = db.session.execute(select(Booking).where(Booking.reference == reference)).scalar_one()
        attempts = db.session.execute(select(PaymentAttempt).where(PaymentAttempt.booking_id == booking.id)
                                      .order_by(PaymentAttempt.number)).scalars().all()
        assert booking.status == BookingStatus.CONFIRMED and booking.attention_reason is None
        assert [(a.status, a.card_last4, a.failure_code) for a in attempts] == [
            ("failed", "0002", "generic_decline"), ("succeeded", "4242", None)]
        first, second = (a.payment_intent_id for a in attempts)
        assert first != second  # one attempt, one PaymentIntent
        # At Stripe: one payment taken, the declined intent closed, nothing refunded.
        assert gateway.retrieve_payment_intent(first).status == "canceled"
        assert gateway.retrieve_payment_intent(second).status == "succeeded"
        assert db.session.execute(select(Refund).where(Refund.booking_id == booking.id)).scalars().all() == []
    # Neither card number reached our server, the next attempt's requests included.
    seen = server_requests.requests()
    assert any(b"/next-attempt" in r for r in seen), "the recorder saw no next attempt"
    assert [r[:200] for r in seen if carries_card_number(r) or carries_card_number(r, card_number_shapes(DECLINED))] == []


def test_after_the_last_allowed_decline_the_page_says_whom_to_contact_and_offers_no_pay(page: Page, app):
    reference = to_pending_booking(page, destination="LAX")
    for left in (4, 3, 2, 1):
        pay_with(page, DECLINED)
        expect(last_failure(page)).to_contain_text(f"{left} attempt{'s' if left != 1 else ''} left.")
        expect(pay_button(page)).to_be_enabled()
    pay_with(page, DECLINED)

    expect(page.get_by_role("alert").filter(has_text="Payment has failed 5 times")).to_be_visible()
    payment = page.get_by_role("region", name="Payment")
    expect(payment.get_by_role("link", name=app.config["SUPPORT_EMAIL"])).to_be_visible()
    expect(last_failure(page)).not_to_contain_text("left")
    expect(pay_button(page)).to_be_hidden()
    expect(page.get_by_label("Card number")).to_be_hidden()
    with app.app_context():
        booking = db.session.execute(select(Booking).where(Booking.reference == reference)).scalar_one()
        assert [a.status for a in booking.payment_attempts] == ["failed"] * 5
        assert booking.status == BookingStatus.PENDING_PAYMENT


def test_when_the_next_attempt_cannot_be_fetched_pay_asks_for_it_again(page: Page, app):
    reference = to_pending_booking(page, destination="LAX")
    dropped = drop_first_request(page, "**/next-attempt")
    pay_with(page, DECLINED)
    expect(payment_message(page)).to_contain_text("Your card was declined")
    expect(payment_message(page)).to_contain_text("Check your connection, then press Pay to try again.")
    expect(pay_button(page)).to_be_enabled()
    expect(page.get_by_label("Security code")).to_have_value("123")

    page.get_by_label("Card number").fill(SUCCEEDS)
    pay_button(page).click()
    expect_confirmed(page, reference)
    assert len(dropped) == 1
    with app.app_context():
        booking = db.session.execute(select(Booking).where(Booking.reference == reference)).scalar_one()
        assert [(a.status, a.card_last4) for a in booking.payment_attempts] == [("failed", "0002"), ("succeeded", "4242")]
