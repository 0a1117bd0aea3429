"""The only module that talks to Stripe (and the only one that imports `stripe`).

Uses one `stripe.StripeClient` per configuration (key, API base, timeout; empty base =
real Stripe, offline = localstripe), passes an idempotency key on every POST, and turns
Stripe's errors into our own exceptions whose messages are safe to show a traveller.
Returned objects are plain dataclasses, so nothing else depends on the SDK's types.

Request parameters are the SDK's typed `stripe.params` TypedDicts and this module is
type-checked (`make typecheck`, mypy.ini): localstripe accepts parameters real Stripe
refuses, so the types are what keeps a misspelt or retired parameter out.
"""
from __future__ import annotations

import contextlib
import functools
import threading
import time
from dataclasses import dataclass, field
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar, cast

import stripe
from flask import current_app, has_request_context

if TYPE_CHECKING:
    from stripe.params import (
        CustomerCreateParams, PaymentIntentCreateParams, PaymentIntentRetrieveParams, PaymentIntentUpdateParams,
        RefundCreateParams, RefundListParams,
    )

from ..parsing import Unreadable, parse_json_document
from .declines import decline_message  # the words; callers also use gateway.decline_message


class PaymentError(Exception):
    """A payment problem with a message that is safe to show."""

    def __init__(self, message: str, code: str = "payment_error", decline_code: str | None = None):
        super().__init__(message)
        self.message, self.code, self.decline_code = message, code, decline_code


class CardDeclined(PaymentError):
    pass


class AuthenticationFailed(PaymentError):
    pass


class GatewayUnavailable(PaymentError):
    """Stripe could not be reached or answered with a server error: try again later."""


class GatewayRejected(PaymentError):
    """Stripe refused the request itself (a bug or misconfiguration on our side)."""


class InvalidSignature(Exception):
    pass


UNREACHABLE_MESSAGE = "We couldn't reach our payment provider. You were not charged. Please try again in a moment."
BUSY_MESSAGE = "Payments are slow right now. Nothing was charged. Please try again in a moment."


class GatewayBusy(GatewayUnavailable):
    """Every Stripe slot of this process is taken (the bulkhead): refused without calling Stripe."""


@dataclass(frozen=True)
class PaymentIntentView:
    id: str
    status: str  # Stripe's: requires_payment_method, requires_action, processing, succeeded, canceled, ...
    amount: int
    currency: str  # lower case, as Stripe has it
    client_secret: str | None
    metadata: dict[str, str] = field(default_factory=dict)
    failure_code: str | None = None
    failure_decline_code: str | None = None
    failure_message: str | None = None
    card_brand: str | None = None
    card_last4: str | None = None
    created: int | None = None
    # The bank asked for 3-D Secure: the intent is waiting for it, its charge carries the
    # authentication's result, or it failed authentication.
    used_3ds: bool = False

    @property
    def reference(self) -> str | None:
        return self.metadata.get("booking_reference")


@dataclass(frozen=True)
class ChargeView:
    id: str
    payment_intent_id: str | None
    amount: int
    currency: str


@dataclass(frozen=True)
class RefundView:
    id: str
    amount: int
    currency: str
    status: str
    payment_intent_id: str | None
    metadata: dict[str, str] = field(default_factory=dict)


# Built once per configuration and shared by every thread: the SDK's HTTP client keeps
# one connection pool per thread, and building a client per call threw the pool away.
_clients: dict[tuple[str, str, float, int], stripe.StripeClient] = {}
_clients_lock = threading.Lock()


def network_retries() -> int:
    """How often the SDK retries a request that failed on the network.

    None while a traveller waits (a request path): answer quickly, they can press again.
    In the background (sweeper, CLI), STRIPE_MAX_NETWORK_RETRIES, by default 2 against real
    Stripe, which honours our idempotency keys, and 0 offline, since localstripe ignores
    them and a retried create could make a second PaymentIntent.
    """
    if has_request_context():
        return 0
    configured = current_app.config.get("STRIPE_MAX_NETWORK_RETRIES")
    if configured is not None and str(configured) != "":
        return int(configured)
    return 0 if current_app.config.get("STRIPE_API_BASE") else 2


def client() -> stripe.StripeClient:
    """The Stripe client for the current app's configuration, built on first use."""
    config = current_app.config
    base = str(config.get("STRIPE_API_BASE") or "")
    key = (str(config.get("STRIPE_SECRET_KEY") or "sk_test_offline"), base,
           float(config.get("STRIPE_TIMEOUT_SECONDS") or 10), network_retries())
    found = _clients.get(key)
    if found is not None:
        return found
    with _clients_lock:
        if key not in _clients:
            secret, _, timeout, retries = key
            _clients[key] = stripe.StripeClient(
                secret, base_addresses={"api": base} if base else None, max_network_retries=retries,
                # A connect or read that takes longer than this is a GatewayUnavailable.
                http_client=stripe.RequestsClient(timeout=timeout),
            )
        return _clients[key]


# The bulkhead: while a traveller waits, at most STRIPE_CONCURRENT_CALLS of this process's
# threads wait on Stripe at once. When Stripe is slow or frozen, each of those waits up to
# STRIPE_TIMEOUT_SECONDS; without the bound, payment pages would take every worker thread
# and the home page and search would queue behind them. The next caller is refused at once
# (GatewayBusy, a 503 "Payments are slow right now"), having asked Stripe nothing.
_slots: dict[int, threading.BoundedSemaphore] = {}
_holding = threading.local()  # a call made while this thread holds a slot (cancel -> retrieve)


@contextlib.contextmanager
def stripe_slot(what: str = "a payment") -> Iterator[None]:
    """Hold one of this process's Stripe slots for the block, or raise GatewayBusy at once.

    The gateway's calls each take one; a use case that would write to the database before
    and after asking Stripe (starting a payment) takes it first, so a refusal costs no
    writes. Calls inside the block use the slot already held.
    """
    limit = int(current_app.config.get("STRIPE_CONCURRENT_CALLS") or 0) if has_request_context() else 0
    if limit <= 0 or getattr(_holding, "slot", False):
        yield
        return
    with _clients_lock:
        slots = _slots.setdefault(limit, threading.BoundedSemaphore(limit))
    if not slots.acquire(blocking=False):
        current_app.logger.warning("all %d Stripe slots taken: %s refused", limit, what)
        raise GatewayBusy(BUSY_MESSAGE, "gateway_busy")
    _holding.slot = True
    try:
        yield
    finally:
        _holding.slot = False
        slots.release()


_Call = TypeVar("_Call", bound=Callable[..., Any])


def _bulkhead(call: _Call) -> _Call:
    @functools.wraps(call)
    def within_a_slot(*args: Any, **kwargs: Any) -> Any:
        with stripe_slot(call.__name__):
            return call(*args, **kwargs)
    return cast(_Call, within_a_slot)


def _translate(err: Exception) -> PaymentError:
    if isinstance(err, stripe.CardError):
        decline = getattr(err.error, "decline_code", None) if err.error else None
        return CardDeclined(decline_message(err.code, decline), err.code or "card_declined", decline)
    if isinstance(err, (stripe.APIConnectionError, stripe.RateLimitError)):
        return GatewayUnavailable(UNREACHABLE_MESSAGE, "gateway_unavailable")
    if isinstance(err, stripe.APIError):
        return GatewayUnavailable(UNREACHABLE_MESSAGE, "gateway_error")
    if isinstance(err, stripe.StripeError):
        current_app.logger.error("Stripe refused a request: %s", err)
        return GatewayRejected("Payment could not be set up. You were not charged. Please contact support.",
                               getattr(err, "code", None) or "gateway_rejected")
    raise err


def _as_dict(obj: stripe.StripeObject | dict[str, Any]) -> dict[str, Any]:
    # The SDK's objects, or a plain dict when an event's own object is read (fixtures too).
    return obj.to_dict() if isinstance(obj, stripe.StripeObject) else dict(obj)


def _used_3ds(data: dict[str, Any], card_details: dict[str, Any], error: dict[str, Any]) -> bool:
    """Whether Stripe reports 3-D Secure on this intent, from what it says now.

    `payment_method_details.card.three_d_secure` is set on a charge whose card was
    authenticated (real Stripe; the offline launcher mirrors it), so a payment that has
    already succeeded still tells; `next_action` is there while the bank waits.
    """
    next_action = data.get("next_action") or {}
    authentication = card_details.get("three_d_secure") or {}
    return bool(authentication.get("result") not in (None, "exempted", "not_supported")  # those skipped the bank's check
                or data.get("status") == "requires_action"
                or next_action.get("type") in ("use_stripe_sdk", "redirect_to_url")
                or error.get("code") == "payment_intent_authentication_failure")


def _view(pi: stripe.PaymentIntent) -> PaymentIntentView:
    data = _as_dict(pi)
    error = data.get("last_payment_error") or {}
    brand = last4 = None
    charge_card: dict[str, Any] = {}
    charge = data.get("latest_charge")
    # Real Stripe gives an id unless expanded; localstripe always gives the object.
    if isinstance(charge, dict):
        charge_card = (charge.get("payment_method_details") or {}).get("card") or {}
        source = charge.get("source") or {}
        brand = charge_card.get("brand") or source.get("brand")
        last4 = charge_card.get("last4") or source.get("last4")
    if not last4 and isinstance(data.get("payment_method"), dict):
        # A PaymentMethod has its card under "card"; a legacy Card source is the card itself.
        card = data["payment_method"].get("card") or data["payment_method"]
        brand, last4 = card.get("brand"), card.get("last4")
    return PaymentIntentView(
        # int(): localstripe keeps an amount changed by modify as the form's string.
        id=data["id"], status=data["status"], amount=int(data["amount"]), currency=data["currency"],
        client_secret=data.get("client_secret"), metadata=data.get("metadata") or {},
        failure_code=error.get("code"), failure_decline_code=error.get("decline_code"),
        failure_message=error.get("message"),
        card_brand=(brand or "").lower() or None, card_last4=last4, created=data.get("created"),
        used_3ds=_used_3ds(data, charge_card, error),
    )


@_bulkhead
def create_payment_intent(*, amount: int, currency: str, reference: str, attempt_number: int,
                          idempotency_key: str) -> PaymentIntentView:
    """A PaymentIntent for one payment attempt. Card-only, so it works offline too."""
    # Card only, as offline. `allowed_payment_method_types`, not `payment_method_types`:
    # Stripe's API version pinned by this SDK refuses the latter (the types know it).
    params: PaymentIntentCreateParams = {
        "amount": amount, "currency": currency.lower(), "allowed_payment_method_types": ["card"],
        "metadata": {"booking_reference": reference, "attempt": str(attempt_number)},
    }
    try:
        pi = client().v1.payment_intents.create(params=params, options={"idempotency_key": idempotency_key})
    except stripe.StripeError as err:
        raise _translate(err) from err
    return _view(pi)


@_bulkhead
def retrieve_payment_intent(payment_intent_id: str) -> PaymentIntentView:
    params: PaymentIntentRetrieveParams = {"expand": ["latest_charge", "payment_method"]}
    try:
        pi = client().v1.payment_intents.retrieve(payment_intent_id, params=params)
    except stripe.StripeError as err:
        raise _translate(err) from err
    return _view(pi)


@_bulkhead
def retrieve_charge(charge_id: str) -> ChargeView | None:
    """The charge, or None if Stripe has no charge with this id (not ours, or a typo)."""
    try:
        charge = client().v1.charges.retrieve(charge_id)
    except stripe.InvalidRequestError as err:
        if err.http_status == 404:
            return None
        raise _translate(err) from err
    except stripe.StripeError as err:
        raise _translate(err) from err
    data = _as_dict(charge)
    payment_intent = data.get("payment_intent")
    if isinstance(payment_intent, dict):
        payment_intent = payment_intent.get("id")
    return ChargeView(id=data["id"], payment_intent_id=payment_intent, amount=data["amount"],
                      currency=data["currency"])


@_bulkhead
def cancel_payment_intent(payment_intent_id: str, idempotency_key: str) -> PaymentIntentView:
    try:
        pi = client().v1.payment_intents.cancel(payment_intent_id, options={"idempotency_key": idempotency_key})
    except stripe.InvalidRequestError:
        # Already succeeded or canceled: Stripe refuses; the caller re-reads the state.
        return retrieve_payment_intent(payment_intent_id)
    except stripe.StripeError as err:
        raise _translate(err) from err
    return _view(pi)


@_bulkhead
def create_refund(*, payment_intent_id: str, amount: int, idempotency_key: str, reference: str) -> RefundView:
    # Our key in its metadata too: a refund whose answer was lost is recognised when Stripe lists it.
    params: RefundCreateParams = {"payment_intent": payment_intent_id, "amount": amount,
                                  "metadata": {"booking_reference": reference, "refund_key": idempotency_key}}
    try:
        refund = client().v1.refunds.create(params=params, options={"idempotency_key": idempotency_key})
    except stripe.StripeError as err:
        raise _translate(err) from err
    return _refund_view(refund)


@_bulkhead
def list_refunds(payment_intent_id: str) -> list[RefundView]:
    params: RefundListParams = {"payment_intent": payment_intent_id, "limit": 100}
    try:
        page = client().v1.refunds.list(params=params)
    except stripe.StripeError as err:
        raise _translate(err) from err
    return [_refund_view(r) for r in page.data]


def _refund_view(refund: stripe.Refund) -> RefundView:
    data = _as_dict(refund)
    return RefundView(id=data["id"], amount=data["amount"], currency=data["currency"], status=data["status"],
                      payment_intent_id=data.get("payment_intent"), metadata=data.get("metadata") or {})


@_bulkhead
def attach_card_token_and_confirm(payment_intent_id: str, token: str, idempotency_prefix: str) -> PaymentIntentView:
    """Offline only: the Stripe.js stand-in tokenised the card at localstripe; attach it and confirm.

    localstripe cannot confirm with a payment_method or a token directly (STRIPE_OFFLINE.md):
    a Customer takes the token as its source, the PaymentIntent gets that card, then a bare confirm.
    """
    api = client().v1
    customer_params: CustomerCreateParams = {"source": token}
    try:
        customer = api.customers.create(params=customer_params,
                                        options={"idempotency_key": f"{idempotency_prefix}-customer"})
        card_id = _as_dict(customer).get("default_source")
        if not isinstance(card_id, str):
            raise GatewayRejected("The card could not be attached. You were not charged.", "card_not_attached")
        attach: PaymentIntentUpdateParams = {"payment_method": card_id, "customer": customer.id}
        api.payment_intents.update(payment_intent_id, params=attach,
                                   options={"idempotency_key": f"{idempotency_prefix}-attach"})
        pi = api.payment_intents.confirm(payment_intent_id, options={"idempotency_key": f"{idempotency_prefix}-confirm"})
    except stripe.StripeError as err:
        raise _translate(err) from err
    return _view(pi)


WEBHOOK_TOLERANCE_SECONDS = 300


def _signed_at(signature: str) -> int:
    """The header's first `t=` timestamp, read as the SDK reads it."""
    for item in signature.split(","):
        name, _, value = item.partition("=")
        if name == "t":
            return int(value)
    raise ValueError("no timestamp")


def verify_event(payload: bytes, signature: str | None, secret: str) -> dict[str, Any]:
    """The event, if `signature` is Stripe's over these exact bytes and stamped within 5 minutes
    of now, either way: the SDK only refuses old stamps, so one stamped in the future stayed
    replayable for as long as it liked."""
    if not signature or not secret:
        raise InvalidSignature("missing signature or secret")
    if not signature.isascii():  # Stripe's header is ASCII; the SDK's compare_digest raises TypeError on the rest
        raise InvalidSignature("the signature header is not ASCII")
    try:
        stripe.WebhookSignature.verify_header(payload.decode("utf-8"), signature, secret,
                                              tolerance=WEBHOOK_TOLERANCE_SECONDS)
        signed_at = _signed_at(signature)
    except (stripe.SignatureVerificationError, ValueError) as err:  # UnicodeDecodeError is a ValueError
        raise InvalidSignature(str(err)) from err
    if signed_at > time.time() + WEBHOOK_TOLERANCE_SECONDS:
        raise InvalidSignature(f"timestamp {signed_at} is in the future beyond the tolerance")
    try:
        event = parse_json_document(payload)
    except Unreadable as err:  # too deep (a RecursionError before), NaN, not JSON
        raise InvalidSignature("body is not JSON we read") from err
    if not isinstance(event, dict) or "id" not in event or "type" not in event:
        raise InvalidSignature("not an event")
    return event


def check_reachable(timeout: float) -> None:
    """Stripe answers within `timeout` seconds, or GatewayUnavailable (the readiness check).

    Any answer but a server error counts, a refused key too: the load balancer asks whether
    this instance can reach Stripe, and a wrong key is wrong on every instance alike.
    """
    config = current_app.config
    base = config.get("STRIPE_API_BASE") or ""
    client = stripe.StripeClient(config["STRIPE_SECRET_KEY"] or "sk_test_offline", max_network_retries=0,
                                 http_client=stripe.new_default_http_client(timeout=timeout),
                                 base_addresses={"api": base} if base else {})
    try:
        client.v1.balance.retrieve()
    except (stripe.APIConnectionError, stripe.APIError) as err:
        raise GatewayUnavailable(UNREACHABLE_MESSAGE, "gateway_unavailable") from err
    except stripe.StripeError:
        pass  # it answered
