"""The hold's countdown and its 2-minute warning, spoken once (issue 11 #10)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import update

from checkout.clock import utcnow
from checkout.extensions import db
from checkout.models import Booking, BookingStatus
from tests.browser.flow import search, select_first_flight

pytestmark = pytest.mark.browser


def test_a_hold_near_its_end_warns_in_a_status_and_offers_more_time(page: Page, app):
    search(page)
    select_first_flight(page)
    hold = page.get_by_role("note").filter(has_text="Held until")
    expect(hold).to_contain_text(re.compile(r"Held until\s+\d\d:\d\d New York time"))
    expect(hold.locator(".countdown")).to_have_text(re.compile(r"^ · 1[45]:\d\d left$"))
    expect(page.get_by_role("status").filter(has_text="2 minutes")).to_have_count(0)

    with app.app_context():
        db.session.execute(update(Booking).where(Booking.status == BookingStatus.DRAFT)
                           .values(hold_expires_at=utcnow() + timedelta(seconds=100)))
        db.session.commit()
    page.reload()
    expect(page.get_by_role("status").filter(has_text="About 2 minutes left on your hold")).to_be_visible()
    page.get_by_role("button", name=re.compile(r"^Need more time\?")).click()
    expect(page.get_by_text("held for longer")).to_be_visible()
    expect(hold.locator(".countdown")).to_have_text(re.compile(r"^ · 1[67]:\d\d left$"))
