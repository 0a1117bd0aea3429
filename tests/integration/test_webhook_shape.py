"""A correctly signed body that is not an event we can store is a 400 with nothing stored
(it was a 500, or a 503 forever that Stripe would retry for three days)."""
import copy

import pytest
from sqlalchemy import func, select

from checkout.extensions import db
from checkout.models import WebhookEvent
from tests.payments_support import event, payment_intent_object, post_event


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
