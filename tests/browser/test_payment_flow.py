"""Paying for a booking in a real browser, with Stripe's test cards, as a person would.

The payment page mounts the offline Stripe.js stand-in (offline/stripe-v3.js): its
"Card number", "Expiration date" and "Security code" fields send the card straight to
localstripe, and only a token reaches us. Its 3-D Secure dialog offers "Complete
authentication" and "Fail authentication". Confirmation emails go to a real SMTP server
(aiosmtpd) on a free port, sent by the same function the mailer worker runs.

After a decline the page stays (no reload): it records the decline, shows our notice and
gets a new PaymentIntent for the next attempt, and the card form keeps what was typed.
Where the page shows something for only a moment (Stripe's error before our notice replaces
it, the busy Pay button before the redirect), the request that would end that moment is
held with page.route until the test has looked, then let through unchanged.
"""
from __future__ import annotations

import re
import urllib.parse
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect
from sqlalchemy import select, text

from checkout.extensions import db
from checkout.models import Booking, BookingStatus, PaymentAttempt
from tests.browser.conftest import TIMEOUT_MS
from tests.browser.flow import TRAVELLER, to_pending_booking

pytestmark = pytest.mark.browser

SUCCEEDS = "4242424242424242"
NEEDS_3DS = "4000002760003184"
DECLINED = "4000000000000002"
INSUFFICIENT_FUNDS = "4000000000009995"
CONTACT_EMAIL = TRAVELLER["Email"]
def card_number_shapes(number: str) -> re.Pattern[bytes]:
    """The card number as digits or grouped ("4242 4242 ...", "4242-4242-...")."""
    return re.compile(rb"\D{0,3}".join(group.encode() for group in re.findall(r"\d{4}", number)))


CARD_NUMBER_SHAPES = card_number_shapes(SUCCEEDS)


def carries_card_number(record: bytes, shapes: re.Pattern[bytes] = CARD_NUMBER_SHAPES) -> bool:
    """Whether a request carries the card number, also once URL-decoded."""
    decoded = urllib.parse.unquote_to_bytes(record.replace(b"+", b" "))
    return bool(shapes.search(record) or shapes.search(decoded))


# --- A real SMTP server -----------------------------------------------------------------

# --- The payment form, as a person uses it ----------------------------------------------

def expiry() -> str:
    return f"12 / {(date.today().year + 3) % 100:02d}"


def pay_button(page: Page):
    return page.get_by_role("button", name=re.compile(r"^Pay\b"))


def enter_card(page: Page, number: str) -> None:
    expect(pay_button(page)).to_be_enabled()  # enabled once the card form is mounted
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiration date").fill(expiry())
    page.get_by_label("Security code").fill("123")
    expect(page.get_by_label("Card number")).to_have_value(re.sub(r"(\d{4})(?=\d)", r"\1 ", number))


def pay_with(page: Page, number: str) -> None:
    enter_card(page, number)
    pay_button(page).click()


def three_d_secure(page: Page):
    return page.get_by_role("dialog", name="3D Secure 2 Test Page")


def payment_message(page: Page):
    """The page's own error line under the card form (#payment-message, role=alert)."""
    return page.get_by_role("alert").and_(page.locator("#payment-message"))


def last_failure(page: Page):
    return page.get_by_role("alert").filter(has_text="Your payment did not go through")


def expect_confirmed(page: Page, reference: str) -> None:
    expect(page).to_have_url(re.compile(rf"/booking/{reference}$"))
    expect(page.get_by_role("heading", name="You're booked", level=1)).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Confirmed\.?$"))).to_be_visible()
    expect(page.locator(".reference")).to_have_text(reference)


def expect_awaiting_payment_after_failure(page: Page, *words: str) -> None:
    """After a failure the page shows it as recorded and is ready for the next attempt,
    the card form still holding what was typed (enter_card's expiry and security code)."""
    box = last_failure(page)
    expect(box).to_be_visible()
    for word in words:
        expect(box).to_contain_text(word)
    expect(page.get_by_text(re.compile(r"^Awaiting payment\.?$"))).to_be_visible()
    expect(pay_button(page)).to_be_enabled()
    expect(page.get_by_label("Expiration date")).to_have_value(expiry())
    expect(page.get_by_label("Security code")).to_have_value("123")


class Held:
    """Requests matching `url` wait until release(): what the page shows meanwhile stays."""

    def __init__(self, page: Page, url: str):
        self.page, self.url = page, url
        self.routes: list[Route] = []
        page.route(url, self._hold)

    def _hold(self, route: Route) -> None:
        self.routes.append(route)

    def release(self, expected: int = 1) -> None:
        waited = 0
        while len(self.routes) < expected and waited < TIMEOUT_MS:
            self.page.wait_for_timeout(50)
            waited += 50
        assert len(self.routes) == expected, f"{len(self.routes)} requests to {self.url}, expected {expected}"
        for route in self.routes:
            route.continue_()
        self.page.unroute(self.url)


# --- What the database says ---------------------------------------------------------------

def booking_row(app, reference: str) -> tuple[str, list[tuple[str, str | None, str | None]]]:
    """(booking status, [(attempt status, card_last4, failure_code), ...] in attempt order)."""
    with app.app_context():
        booking = db.session.execute(select(Booking).where(Booking.reference == reference)).scalar_one()
        attempts = db.session.execute(
            select(PaymentAttempt).where(PaymentAttempt.booking_id == booking.id).order_by(PaymentAttempt.number)
        ).scalars().all()
        return booking.status, [(a.status, a.card_last4, a.failure_code) for a in attempts]


def rows_mentioning(app, needle: str) -> dict[str, int]:
    """Rows, per table, whose text form (every column) contains `needle`."""
    found = {}
    with app.app_context():
        for table in db.metadata.sorted_tables:
            count = db.session.execute(
                text(f'SELECT count(*) FROM "{table.name}" AS t WHERE t::text LIKE :needle'),
                {"needle": f"%{needle}%"},
            ).scalar_one()
            if count:
                found[table.name] = count
    return found


# --- Tests ----------------------------------------------------------------------------------

def test_card_payment_confirms_sends_eticket_and_keeps_the_card_off_our_server(
        page: Page, app, smtp_inbox, server_requests):
    reference = to_pending_booking(page, destination="LHR", walk=True)  # one full walk, the card's own path
    pay_with(page, SUCCEEDS)

    expect_confirmed(page, reference)
    expect(page.get_by_text(re.compile(r"Visa ending in 4242", re.IGNORECASE))).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download e-ticket").click()
    download = download_info.value
    assert Path(download.path()).read_bytes().startswith(b"%PDF")
    assert download.suggested_filename.endswith(".pdf")

    # The mailer worker's job, done here against the real SMTP server.
    from checkout.notifications.sender import send_due
    with app.app_context():
        send_due()
    messages = smtp_inbox.to(CONTACT_EMAIL)
    assert len(messages) == 1, [m["Subject"] for _, m in smtp_inbox.received]
    message = messages[0]
    assert reference in message["Subject"]
    attachments = list(message.iter_attachments())
    pdfs = [a for a in attachments if a.get_content_type() == "application/pdf"]
    assert len(pdfs) == 1, [a.get_content_type() for a in attachments]
    assert pdfs[0].get_content().startswith(b"%PDF")
    assert pdfs[0].get_filename().endswith(".pdf")

    # PCI SAQ A: the card went to Stripe, never to us.
    status, attempts = booking_row(app, reference)
    assert status == BookingStatus.CONFIRMED
    assert attempts == [("succeeded", "4242", None)]
    assert rows_mentioning(app, SUCCEEDS) == {}
    seen = server_requests.requests()
    assert any(b"/offline/stripe/attach" in r for r in seen), "the recorder saw no payment traffic"
    leaks = [r[:200] for r in seen if carries_card_number(r)]
    assert leaks == []


def test_3d_secure_completed_confirms(page: Page, app):
    reference = to_pending_booking(page, destination="LAX")
    pay_with(page, NEEDS_3DS)

    dialog = three_d_secure(page)
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Complete authentication").click()

    expect_confirmed(page, reference)
    status, attempts = booking_row(app, reference)
    assert status == BookingStatus.CONFIRMED
    assert [(s, last4) for s, last4, _ in attempts] == [("succeeded", "3184")]


def test_3d_secure_failed_then_another_card_confirms(page: Page, app):
    reference = to_pending_booking(page, destination="LHR")
    pay_with(page, NEEDS_3DS)

    recording = Held(page, "**/api/payments/confirm")
    three_d_secure(page).get_by_role("button", name="Fail authentication").click()
    expect(three_d_secure(page)).to_be_hidden()
    expect(payment_message(page)).to_contain_text(re.compile(r"unable to authenticate", re.IGNORECASE))
    recording.release()

    expect_awaiting_payment_after_failure(page, "authenticate", "You have not been charged")
    status, attempts = booking_row(app, reference)
    assert status == BookingStatus.PENDING_PAYMENT
    assert [(s, code) for s, _, code in attempts] == [
        ("failed", "payment_intent_authentication_failure"), ("created", None)]

    pay_with(page, SUCCEEDS)
    expect_confirmed(page, reference)
    status, attempts = booking_row(app, reference)
    assert status == BookingStatus.CONFIRMED
    assert [(s, last4) for s, last4, _ in attempts][-1] == ("succeeded", "4242")


def test_declined_card_keeps_booking_pending_and_another_card_confirms(page: Page, app):
    reference = to_pending_booking(page, destination="LAX")
    recording = Held(page, "**/api/payments/confirm")
    pay_with(page, DECLINED)

    expect(payment_message(page)).to_contain_text("Your card was declined")
    expect(page.get_by_text(re.compile(r"^Awaiting payment\.?$"))).to_be_visible()
    recording.release()

    expect_awaiting_payment_after_failure(page, "Your card was declined", "You have not been charged")
    status, attempts = booking_row(app, reference)
    assert status == BookingStatus.PENDING_PAYMENT
    # The declined attempt is on record; the page asked for a fresh one for the next card.
    assert attempts == [("failed", "0002", "generic_decline"), ("created", None, None)]

    pay_with(page, SUCCEEDS)
    expect_confirmed(page, reference)
    status, attempts = booking_row(app, reference)
    assert status == BookingStatus.CONFIRMED
    assert [s for s, _, _ in attempts] == ["failed", "succeeded"]


def test_insufficient_funds_suggests_cheaper_choices_and_goes_back_to_step_one(page: Page, app):
    def choose_standard_and_two_bags(page: Page) -> None:
        fare = page.get_by_role("radio", name="Standard", exact=True)
        fare.check()
        expect(fare).to_be_checked()
        bags = page.get_by_label("Checked bags, passenger 1 (adult)")
        bags.select_option("2")
        expect(bags).to_have_value("2")

    reference = to_pending_booking(page, destination="LHR", customise=choose_standard_and_two_bags)
    recording = Held(page, "**/api/payments/confirm")
    pay_with(page, INSUFFICIENT_FUNDS)

    expect(payment_message(page)).to_contain_text("insufficient funds")
    expect(payment_message(page)).to_contain_text("cheaper fare or fewer extras")
    recording.release()

    expect_awaiting_payment_after_failure(page, "insufficient funds", "cheaper fare or fewer extras")
    change = last_failure(page).get_by_role("button", name="Change fare or extras (back to step 1)")
    expect(change).to_be_visible()
    change.click()

    expect(page.get_by_role("heading", name="Customise your trip")).to_be_visible()
    expect(page.get_by_role("navigation", name="Checkout progress").locator("[aria-current=step]")) \
        .to_contain_text("Customise")
    expect(page.get_by_role("radio", name="Standard", exact=True)).to_be_checked()
    expect(page.get_by_label("Checked bags, passenger 1 (adult)")).to_have_value("2")
    status, attempts = booking_row(app, reference)
    assert status != BookingStatus.PENDING_PAYMENT  # the unpaid booking made way for the new draft
    # The failed attempt, and the fresh one the page asked for, cancelled at Stripe on the way back.
    assert [(s, code) for s, _, code in attempts] == [("failed", "insufficient_funds"), ("canceled", None)]


def test_pay_button_is_disabled_while_processing_and_a_double_click_pays_once(page: Page, app):
    reference = to_pending_booking(page, destination="LAX")
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    enter_card(page, SUCCEEDS)

    attaching = Held(page, "**/offline/stripe/attach")
    pay_button(page).dblclick()
    busy = page.get_by_role("button", name="Processing…")
    expect(busy).to_be_disabled()
    expect(pay_button(page)).to_have_count(0)
    attaching.release(expected=1)

    expect_confirmed(page, reference)
    assert sum(url.endswith("/v1/tokens") for url in posts) == 1, posts
    assert sum(url.endswith("/offline/stripe/attach") for url in posts) == 1, posts
    status, attempts = booking_row(app, reference)
    assert status == BookingStatus.CONFIRMED
    assert [s for s, _, _ in attempts] == ["succeeded"]


def test_3d_secure_return_opened_in_another_browser_shows_the_outcome_not_the_booking(page: Page, browser,
                                                                                       live_server, app):
    """Banking apps often finish 3-D Secure in their own browser: it must not land on a 404."""
    reference = to_pending_booking(page, destination="LAX")
    returns = []
    page.on("request", lambda request: returns.append(request.url) if "/payment/return" in request.url else None)
    pay_with(page, NEEDS_3DS)
    three_d_secure(page).get_by_role("button", name="Complete authentication").click()
    expect_confirmed(page, reference)  # the browser that booked goes on to its booking page, as before
    assert len(returns) == 1 and "payment_intent_client_secret=" in returns[0]

    # The same return URL in a new browser context: no cookies, so not the session that booked.
    elsewhere_context = browser.new_context(base_url=live_server)
    elsewhere_context.set_default_timeout(TIMEOUT_MS)
    try:
        elsewhere = elsewhere_context.new_page()
        response = elsewhere.goto(returns[0])
        assert response.status == 200
        main = elsewhere.get_by_role("main")
        expect(main.get_by_role("heading", name="Payment received")).to_be_visible()
        expect(main.get_by_text("Confirmed.", exact=True)).to_be_visible()
        expect(main.locator(".reference")).to_have_text(reference)
        expect(main).to_contain_text("email")
        page_text = elsewhere.content()
        for private in (TRAVELLER["Last name"], f'{TRAVELLER["First name"]} {TRAVELLER["Last name"]}', CONTACT_EMAIL,
                        TRAVELLER["Phone"]):
            assert private not in page_text, private

        main.get_by_role("link", name="Manage my booking").click()
        expect(elsewhere.get_by_label("Booking reference")).to_have_value(reference)
    finally:
        elsewhere_context.close()
