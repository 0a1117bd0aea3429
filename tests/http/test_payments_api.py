"""POST /api/payments/create-intent and /confirm: who may pay, how much, how often."""
import itertools

from checkout.extensions import db
from checkout.models import PaymentAttempt
from tests.payments_support import pay_at_stripe, pending_booking

_addresses = (f"10.9.{n // 250}.{n % 250 + 1}" for n in itertools.count())


def _create(client, body, address=None):
    return client.post("/api/payments/create-intent", json=body,
                       environ_base={"REMOTE_ADDR": address or next(_addresses)})


def test_create_intent_returns_the_client_secret_for_the_server_total_and_reuses_it(app, client):
    with app.app_context():
        booking = pending_booking()
        reference, total = booking.reference, booking.total_amount
    first = _create(client, {"bookingReference": reference, "email": "ADA@example.com"})
    body = first.get_json()
    assert first.status_code == 200, body
    assert body["clientSecret"].startswith(body["paymentIntentId"] + "_secret_")
    assert (body["amount"], body["currency"]) == (total, "USD")
    again = _create(client, {"bookingReference": reference, "email": "ada@example.com", "amount": total, "currency": "usd"})
    assert again.get_json()["clientSecret"] == body["clientSecret"]
    with app.app_context():
        assert db.session.query(PaymentAttempt).count() == 1


def test_amount_or_currency_other_than_the_server_total_is_409(app, client):
    with app.app_context():
        booking = pending_booking()
        reference, total = booking.reference, booking.total_amount
    response = _create(client, {"bookingReference": reference, "email": "ada@example.com", "amount": total - 1})
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "amount_mismatch"
    response = _create(client, {"bookingReference": reference, "email": "ada@example.com", "currency": "EUR"})
    assert response.status_code == 409
    with app.app_context():
        assert db.session.query(PaymentAttempt).count() == 0


def test_wrong_email_or_reference_is_the_same_404(app, client):
    with app.app_context():
        reference = pending_booking().reference
    wrong_email = _create(client, {"bookingReference": reference, "email": "eve@example.com"})
    wrong_reference = _create(client, {"bookingReference": "FLY2A-ZZZZZZ", "email": "ada@example.com"})
    assert wrong_email.status_code == wrong_reference.status_code == 404
    assert wrong_email.get_json() == wrong_reference.get_json()


def test_a_paid_booking_cannot_be_paid_again(app, client):
    with app.app_context():
        booking = pending_booking()
        reference = booking.reference
    body = _create(client, {"bookingReference": reference, "email": "ada@example.com"}).get_json()
    with app.app_context():
        pay_at_stripe(body["paymentIntentId"], "4242424242424242")
    confirmed = client.post("/api/payments/confirm", json={"bookingReference": reference,
                                                           "paymentIntentId": body["paymentIntentId"],
                                                           "clientSecret": body["clientSecret"]})
    assert confirmed.get_json() == {"status": "CONFIRMED", "paymentStatus": "succeeded", "message": None}
    response = _create(client, {"bookingReference": reference, "email": "ada@example.com"})
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "already_paid"


def test_create_intent_is_limited_to_five_a_minute_per_address(app, client):
    with app.app_context():
        reference = pending_booking().reference
    body = {"bookingReference": reference, "email": "ada@example.com"}
    answers = [_create(client, body, address="10.200.0.1").status_code for _ in range(6)]
    assert answers == [200] * 5 + [429]
    limited = _create(client, body, address="10.200.0.1")
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert limited.get_json()["error"]["code"] == "too_many_requests"
    assert _create(client, body, address="10.200.0.2").status_code == 200  # another traveller is not affected


def test_payment_endpoints_want_json(client):
    response = client.post("/api/payments/create-intent", data={"bookingReference": "x"},
                           environ_base={"REMOTE_ADDR": next(_addresses)})  # its own 5 a minute
    assert response.status_code == 415 and "error" in response.get_json()


def test_confirm_refuses_a_payment_of_another_booking(app, client):
    with app.app_context():
        first, second = pending_booking(), pending_booking()
        first_ref, second_ref = first.reference, second.reference
    body = _create(client, {"bookingReference": first_ref, "email": "ada@example.com"}).get_json()
    response = client.post("/api/payments/confirm", json={"bookingReference": second_ref, "email": "ada@example.com",
                                                          "clientSecret": body["clientSecret"],
                                                          "paymentIntentId": body["paymentIntentId"]})
    assert response.status_code == 404


def test_confirm_answers_only_to_the_client_secret_or_the_email(app, client):
    with app.app_context():
        reference = pending_booking().reference
    intent = _create(client, {"bookingReference": reference, "email": "ada@example.com"}).get_json()
    with app.app_context():
        pay_at_stripe(intent["paymentIntentId"], "4242424242424242")
    asked = {"bookingReference": reference, "paymentIntentId": intent["paymentIntentId"]}
    unknown = client.post("/api/payments/confirm", json={**asked, "bookingReference": "FLY2A-ZZZZZZ",
                                                         "clientSecret": intent["clientSecret"]})
    assert unknown.status_code == 404
    forged = intent["paymentIntentId"] + "_secret_" + "x" * 24
    for proof in ({}, {"clientSecret": forged}, {"clientSecret": intent["clientSecret"][:-1]}, {"clientSecret": ""},
                  {"clientSecret": ["x"]}, {"email": "eve@example.com"}, {"email": ""}, {"email": {"a": 1}},
                  {"email": "eve@example.com", "clientSecret": forged}):
        response = client.post("/api/payments/confirm", json={**asked, **proof})
        # Nothing says the booking exists, let alone its status.
        assert (response.status_code, response.get_json()) == (404, unknown.get_json()), proof
    by_secret = client.post("/api/payments/confirm", json={**asked, "clientSecret": intent["clientSecret"]})
    assert by_secret.status_code == 200 and by_secret.get_json()["status"] == "CONFIRMED"
    by_email = client.post("/api/payments/confirm", json={**asked, "email": " ADA@example.com"})
    assert by_email.status_code == 200 and by_email.get_json()["status"] == "CONFIRMED"
