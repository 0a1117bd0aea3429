"""A correctly signed body that is not an event we can store is a 400 with nothing stored
(it was a 500, or a 503 forever that Stripe would retry for three days)."""
import copy
import time

import pytest
import stripe
from sqlalchemy import func, select

from checkout.extensions import db
from checkout.models import WebhookEvent
from tests.payments_support import WEBHOOK_SECRET, event, payment_intent_object, post_event, signed


def _event(**changes):
    evt = event("payment_intent.succeeded", payment_intent_object("pi_shape_test", "succeeded", 1000, "FLY2A-K7M3QX"),
                "evt_shape_test")
    evt = copy.deepcopy(evt)
    for path, value in changes.items():
        *parents, last = path.split("__")
        target = evt
        for key in parents:
            target = target[key]
        target[last] = value
    return evt


@pytest.mark.parametrize("changes", [
    {"id": "evt_" + "x" * 200},                          # longer than the column: was a 503 forever
    {"id": 12345},                                       # not a string
    {"id": "not-an-event-id"},
    {"type": ["payment_intent.succeeded"]},              # was a 500 (AttributeError)
    {"type": "payment_intent." + "x" * 100},
    {"data": "nothing"},
    {"data": {"object": ["pi_x"]}},
    {"data__object__id": "pi_" + "x" * 100},             # longer than payment_intent_id's column
    {"data__object__id": {"id": "pi_x"}},
    {"data__object__id": None},
])
def test_a_signed_but_malformed_event_is_refused_and_nothing_is_stored(app_ctx, client, changes, caplog):
    response = post_event(client, _event(**changes))
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "malformed_event"
    assert db.session.execute(select(func.count()).select_from(WebhookEvent)).scalar() == 0
    assert "malformed Stripe event" in caplog.text


def test_a_charge_event_whose_payment_intent_is_not_a_payment_intent_id_is_refused(app_ctx, client):
    charge = {"id": "ch_shape_test", "object": "charge", "payment_intent": {"id": 42}}
    response = post_event(client, event("charge.refunded", charge, "evt_shape_charge"))
    assert response.status_code == 400
    assert db.session.execute(select(func.count()).select_from(WebhookEvent)).scalar() == 0


def test_a_well_formed_event_for_an_unknown_payment_is_still_stored_and_ignored(app_ctx, client):
    response = post_event(client, _event())
    assert response.status_code == 200 and response.get_json()["status"] == "ignored"
    assert db.session.execute(select(WebhookEvent.stripe_event_id)).scalar() == "evt_shape_test"


def _stored() -> int:
    return db.session.execute(select(func.count()).select_from(WebhookEvent)).scalar()


@pytest.mark.parametrize("header", [
    "t=1,v1=\u00e9\u00e9\u00e9",            # a Latin-1 byte in the signature: TypeError in compare_digest, a 500
    "t=1\u00ff,v1=abc",
    "t=\u00b2,v1=abc",
])
def test_a_non_ascii_signature_header_is_a_400_not_a_500(app_ctx, client, header):
    payload, _ = signed(_event())
    # Werkzeug's test client sends header text as Latin-1, as a browser or a bot would send the byte.
    response = client.post("/api/payments/webhook", data=payload,
                           headers={"Stripe-Signature": header, "Content-Type": "application/json"})
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert response.get_json()["error"]["code"] == "invalid_signature"
    assert _stored() == 0


@pytest.mark.parametrize("body", [b"[" * 10_000, b'{"a":' * 40 + b"1" + b"}" * 40, b'{"id": NaN}', b"[1, 2]"])
def test_a_signed_body_too_deep_or_not_an_object_is_a_400_not_a_500(app_ctx, client, body):
    """10,000 `[` made the parser raise RecursionError (a 500) once the signature had passed."""
    header = stripe.WebhookSignature.generate_signature_header(body.decode(), WEBHOOK_SECRET)
    for content_type in ("application/json", "text/plain"):  # at the edge, and in the gateway itself
        response = client.post("/api/payments/webhook", data=body,
                               headers={"Stripe-Signature": header, "Content-Type": content_type})
        assert response.status_code == 400, (content_type, response.get_data(as_text=True)[:300])
        assert response.get_json()["error"]["code"] in ("invalid_body", "invalid_signature")
    assert _stored() == 0


@pytest.mark.parametrize("seconds, stored", [(-400, 0), (400, 0), (-200, 1), (200, 1)])
def test_an_event_stamped_beyond_the_tolerance_either_way_is_refused(app_ctx, client, seconds, stored):
    """Stripe's SDK refused stamps 5 minutes old but accepted one 400 s in the future."""
    response = post_event(client, _event(), timestamp=int(time.time()) + seconds)
    assert response.status_code == (400 if not stored else 200), response.get_json()
    if not stored:
        assert response.get_json()["error"]["code"] == "invalid_signature"
    assert _stored() == stored
