"""Sentry: error reports only when SENTRY_DSN is set, and never with the traveller's data.

No network: a fake DSN and a transport that keeps events in memory (sentry_sdk's
`transport=` option, passed as SENTRY_TRANSPORT). The failing request carries an email, a
passport number, a session cookie, an API token and a Stripe signature in its body, query
string, headers and in the exception's own message; none of them may reach the event.
"""
import json

import pytest
import sentry_sdk
from sentry_sdk.transport import Transport

from checkout.extensions import csrf
from tests.ops_support import another_app

EMAIL, PASSPORT, COOKIE, TOKEN = "ada@example.com", "X1234567", "cookie-value-4f2a9c", "f2a_token-9d8e7f"
SIGNATURE = "t=1700000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd"
REQUEST_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"


class EventsInMemory(Transport):
    def __init__(self, options=None):
        super().__init__(options)
        self.envelopes = []

    def capture_envelope(self, envelope):
        self.envelopes.append(envelope)

    @property
    def events(self) -> list[dict]:
        return [item.payload.json for envelope in self.envelopes for item in envelope.items if item.type == "event"]


@pytest.fixture
def reported(app):
    """An app reporting to an in-memory Sentry, with a view that fails holding personal data."""
    transport = EventsInMemory()
    with another_app(app, SENTRY_DSN="https://public@sentry.invalid/1", SENTRY_TRANSPORT=transport) as reporting:
        @csrf.exempt
        def fail_with_personal_data():
            raise ValueError(f"passport {PASSPORT} of {EMAIL} was refused")
        reporting.add_url_rule("/test-only/fail", view_func=fail_with_personal_data, methods=["POST"])
        try:
            yield reporting, transport
        finally:
            sentry_sdk.init(dsn="")  # back to no reporting for the rest of the run


def test_an_error_is_reported_with_its_request_id_and_without_personal_data(reported):
    app, transport = reported
    response = app.test_client().post(
        f"/test-only/fail?email={EMAIL}&note={PASSPORT}", json={"passportNumber": PASSPORT, "email": EMAIL},
        headers={"Authorization": f"Bearer {TOKEN}", "Cookie": f"fly2any_session={COOKIE}", "X-Booking-Email": EMAIL,
                 "Stripe-Signature": SIGNATURE, "X-Request-ID": REQUEST_ID})
    assert response.status_code == 500
    sentry_sdk.flush()

    [event] = transport.events
    assert event["exception"]["values"][-1]["type"] == "ValueError"
    assert event["tags"]["request_id"] == REQUEST_ID
    assert event["request"]["url"].endswith("/test-only/fail") and event["request"]["method"] == "POST"
    assert "[Filtered]" not in event["timestamp"] + event["event_id"]  # Sentry's own fields stay whole
    sent = json.dumps(event)
    for secret in (EMAIL, "ada%40example.com", PASSPORT, COOKIE, TOKEN, SIGNATURE, "fly2any_session"):
        assert secret not in sent, f"{secret} reached Sentry"
    assert "passport [Filtered] of [Filtered] was refused" in sent  # the message stays useful


def test_nothing_is_sent_without_a_dsn(app):
    assert not app.config["SENTRY_DSN"]
    assert sentry_sdk.get_client().transport is None  # nowhere to send an event to
