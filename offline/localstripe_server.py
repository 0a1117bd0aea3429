"""Run localstripe (a fake Stripe API server) for offline demos and tests.

    python offline/localstripe_server.py --port 8420
    python -m offline.localstripe_server --port 0      # any free port

localstripe (PyPI, GPL-3.0) runs here as its own process; the Fly2Any application never
imports it, it only talks to it over HTTP through the official ``stripe`` SDK.

This launcher differs from ``localstripe --from-scratch`` in these ways, all confined to
this process:

* It always starts empty and never reads or writes ``/tmp/localstripe.pickle`` (the
  stock server rewrites that shared file after every write, which gets slower as the
  store grows and mixes the state of every run on the machine). Listing uses a per-type
  index instead of scanning the store, so answers stay fast as the store grows.
* Charges carry ``payment_method_details.card`` (brand, last4, expiry), as on Stripe; a
  charge made after the bank's 3-D Secure challenge was completed also carries
  ``payment_method_details.card.three_d_secure`` (flow, result, version), as on Stripe.
* PaymentIntents take ``allowed_payment_method_types`` and refuse the retired
  ``payment_method_types`` (400), as Stripe does on the API version the SDK pins.
* It listens on 127.0.0.1 only, and ``--port 0`` picks a free port. Once the socket
  accepts connections it prints exactly one line to stdout:
  ``localstripe listening on http://127.0.0.1:PORT``.
* It makes Stripe's documented test cards decline the way they do on Stripe's testing
  page, in the card-token path the offline Stripe.js stand-in uses (token -> Customer
  ``source=tok_...`` -> PaymentIntent ``payment_method=card_...`` -> bare confirm):
  attaching the card to the Customer succeeds and the *confirm* fails with HTTP 402, a
  ``card_error`` with the right ``code``, ``decline_code`` and message, as a Payment
  Element confirmation would. The PaymentIntent goes back to
  ``requires_payment_method`` with ``last_payment_error`` set, and
  ``payment_intent.payment_failed`` is sent. A PaymentIntent left in
  ``requires_payment_method`` can be given a new ``payment_method`` and confirmed again,
  as on Stripe. Stock localstripe instead rejects most of these cards when they are
  attached to the Customer, with ``card_declined`` and no ``decline_code``, and lets
  4000000000009995 and 4000000000000002 succeed when charged directly.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys

from aiohttp import web

from localstripe import resources, server
from localstripe.errors import UserError

# card number -> (code, decline_code, message, param), as on https://docs.stripe.com/testing
DECLINED_CARDS = {
    "4000000000000002": ("card_declined", "generic_decline", "Your card was declined.", None),
    "4000000000009995": ("card_declined", "insufficient_funds", "Your card has insufficient funds.", None),
    "4000000000009987": ("card_declined", "lost_card", "Your card was declined.", None),
    "4000000000009979": ("card_declined", "stolen_card", "Your card was declined.", None),
    "4000000000000069": ("expired_card", None, "Your card has expired.", "exp_month"),
    "4000000000000127": ("incorrect_cvc", None, "Your card's security code is incorrect.", "cvc"),
    "4000000000000119": ("processing_error", None,
                         "An error occurred while processing your card. Try again in a little bit.", None),
    # Attaching succeeds, charging fails (localstripe already declines these on charge).
    "4000000000000341": ("card_declined", "generic_decline", "Your card was declined.", None),
    # 3-D Secure required, then declined once authenticated.
    "4000008260003178": ("card_declined", "insufficient_funds", "Your card has insufficient funds.", None),
    "4000008400001629": ("card_declined", "generic_decline", "Your card was declined.", None),
}


def _card_number(obj):
    if getattr(obj, "type", None) != "card":
        return None
    return getattr(obj, "_card_number", None)


def _luhn_ok(number: str) -> bool:
    if not number.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def card_error(message, code, decline_code=None, param=None, **extra):
    """A 402 UserError that serialises like Stripe's card errors."""
    contents = {"code": code}
    if decline_code:
        contents["decline_code"] = decline_code
    if param:
        contents["param"] = param
    contents.update({k: v for k, v in extra.items() if v is not None})
    err = UserError(402, message, contents)
    # UserError always writes type=invalid_request_error; Stripe says card_error.
    err.body["error"]["type"] = "card_error"
    return err


def patch_localstripe():
    """Patch localstripe's classes in this process (idempotent)."""
    if getattr(resources, "_fly2any_patched", False):
        return
    resources._fly2any_patched = True

    Store = resources.Store
    PaymentMethod = resources.PaymentMethod
    PaymentIntent = resources.PaymentIntent
    Charge = resources.Charge
    Token = resources.Token

    # 1. No shared pickle: start empty, never write /tmp/localstripe.pickle.
    Store.try_load_from_disk = lambda self: None
    Store.dump_to_disk = lambda self: None

    # 1b. Listing scanned every stored object; each charge export lists its refunds, so
    #     every PaymentIntent answer got slower as the store grew. Keep a per-type index
    #     (same objects, same insertion order).
    def _index(store, kind):
        return store.__dict__.setdefault("_fly2any_index", {}).setdefault(kind, {})

    def _setitem(self, key, value):
        dict.__setitem__(self, key, value)
        _index(self, key.split(":", 1)[0])[key] = value

    def _delitem(self, key):
        dict.__delitem__(self, key)
        _index(self, key.split(":", 1)[0]).pop(key, None)

    def _clear(self):
        dict.clear(self)
        self.__dict__.pop("_fly2any_index", None)

    Store.__setitem__ = _setitem
    Store.__delitem__ = _delitem
    Store.clear = _clear

    def _api_list_all(cls, url, limit=None, starting_after=None, **kwargs):
        if kwargs:
            raise UserError(400, "Unexpected " + ", ".join(kwargs.keys()))
        li = resources.List(url, limit=limit, starting_after=starting_after)
        li._list = list(_index(resources.store, cls.object).values())
        return li

    resources.StripeObject._api_list_all = classmethod(_api_list_all)
    for key, value in dict.items(resources.store):
        _index(resources.store, key.split(":", 1)[0])[key] = value

    # 2. Declines happen when the card is charged (confirm), not when it is attached.
    #    Card and Source delegate to these PaymentMethod functions at call time.
    orig_attaching = PaymentMethod._attaching_is_declined
    orig_charging = PaymentMethod._charging_is_declined

    def _attaching_is_declined(self):
        if _card_number(self) in DECLINED_CARDS:
            return False
        return orig_attaching(self)

    def _charging_is_declined(self):
        if _card_number(self) in DECLINED_CARDS:
            return True
        return orig_charging(self)

    PaymentMethod._attaching_is_declined = _attaching_is_declined
    PaymentMethod._charging_is_declined = _charging_is_declined

    # 3. The failed charge carries Stripe's code, decline_code and message.
    orig_set_auth_failure = Charge._set_auth_failure

    def _set_auth_failure(self):
        orig_set_auth_failure(self)
        self._decline_code = "generic_decline"
        self._failure_param = None
        try:
            pm = PaymentMethod._api_retrieve(self.payment_method)
        except UserError:
            return
        known = DECLINED_CARDS.get(_card_number(pm))
        if known:
            code, decline_code, message, param = known
            self.failure_code = code
            self.failure_message = message
            self._decline_code = decline_code
            self._failure_param = param

    def _raise_failure(self):
        payment_intent = None
        if self.payment_intent:
            try:
                payment_intent = PaymentIntent._api_retrieve(self.payment_intent)._export()
            except UserError:
                payment_intent = None
        raise card_error(
            self.failure_message, self.failure_code,
            decline_code=getattr(self, "_decline_code", None),
            param=getattr(self, "_failure_param", None),
            charge=self.id, payment_intent=payment_intent)

    # 3b. Charges describe their card as Stripe does (payment_method_details.card),
    #     so brand and last4 can be read from latest_charge.
    orig_charge_init = Charge.__init__

    def _charge_init(self, *args, **kwargs):
        orig_charge_init(self, *args, **kwargs)
        try:
            pm = PaymentMethod._api_retrieve(self.payment_method)
        except UserError:
            return
        if getattr(pm, "type", None) != "card":
            return
        if isinstance(getattr(pm, "card", None), dict):  # a PaymentMethod
            card = pm.card
            details = {k: card.get(k) for k in ("brand", "last4", "exp_month", "exp_year", "country",
                                                 "fingerprint", "funding")}
        else:  # a Card (token/source path)
            details = {"brand": (pm.brand or "").lower(), "last4": pm.last4, "exp_month": pm.exp_month,
                       "exp_year": pm.exp_year, "country": pm.country, "fingerprint": pm.fingerprint,
                       "funding": pm.funding}
        self.payment_method_details = {"type": "card", "card": details}

    Charge.__init__ = _charge_init
    Charge._set_auth_failure = _set_auth_failure
    Charge._raise_failure = _raise_failure

    # 4. last_payment_error as Stripe shapes it for a card decline.
    orig_last_error = PaymentIntent.last_payment_error.fget

    def last_payment_error(self):
        error = orig_last_error(self)
        if error is None:
            return None
        error = dict(error)
        if self._authentication_failed:
            error.setdefault("type", "invalid_request_error")
            return error
        charge = self.latest_charge
        error["type"] = "card_error"
        decline_code = getattr(charge, "_decline_code", None)
        if decline_code:
            error["decline_code"] = decline_code
        param = getattr(charge, "_failure_param", None)
        if param:
            error["param"] = param
        return error

    PaymentIntent.last_payment_error = property(last_payment_error)

    # 5. A PaymentIntent in requires_payment_method accepts a new payment_method and can
    #    be confirmed again (stock localstripe keeps the failed charge and refuses).
    orig_pi_update = PaymentIntent._api_update.__func__

    def _pi_api_update(cls, id, **data):
        if data.get("payment_method"):
            obj = cls._api_retrieve(id)
            if obj.status == "requires_payment_method" and obj.latest_charge is not None:
                obj.latest_charge = None
        return orig_pi_update(cls, id, **data)

    PaymentIntent._api_update = classmethod(_pi_api_update)

    # 6. A token for a number that fails the Luhn check is refused like on Stripe.
    orig_token_init = Token.__init__

    def _token_init(self, card=None, customer=None, **kwargs):
        if isinstance(card, dict) and isinstance(card.get("number"), str):
            number = card["number"].replace(" ", "")
            card["number"] = number
            if not _luhn_ok(number):
                raise card_error("Your card number is incorrect.", "incorrect_number", param="number")
        orig_token_init(self, card=card, customer=customer, **kwargs)

    Token.__init__ = _token_init

    # 7. A charge made once 3-D Secure was completed says so, as Stripe's does
    #    (payment_method_details.card.three_d_secure), so a succeeded payment still tells.
    orig_confirm = PaymentIntent._confirm
    orig_create_charge = PaymentIntent._create_charge

    def _confirm(self, on_failure_now):
        orig_confirm(self, on_failure_now)
        self._fly2any_challenged = bool(self.next_action)

    def _create_charge(self, on_failure_now):
        try:
            orig_create_charge(self, on_failure_now)
        finally:  # a charge declined after the challenge carries it too
            details = getattr(self.latest_charge, "payment_method_details", None)
            if getattr(self, "_fly2any_challenged", False) and isinstance(details, dict) and details.get("card"):
                details["card"]["three_d_secure"] = {"authentication_flow": "challenge", "result": "authenticated",
                                                     "result_reason": None, "version": "2.2.0"}

    PaymentIntent._confirm = _confirm
    PaymentIntent._create_charge = _create_charge

    # 8. Payment method types as on the API version the stripe SDK pins (2026-10-28.endive):
    #    `allowed_payment_method_types` is taken, the retired `payment_method_types` is a
    #    400 `payment_method_types_no_longer_supported` (stock localstripe takes only the latter).
    orig_pi_init = PaymentIntent.__init__

    def _pi_init(self, allowed_payment_method_types=None, payment_method_types=None, **kwargs):
        if payment_method_types is not None:
            raise UserError(400, "payment_method_types is no longer supported; use allowed_payment_method_types.",
                            {"code": "payment_method_types_no_longer_supported", "param": "payment_method_types"})
        if allowed_payment_method_types is not None and not (
                isinstance(allowed_payment_method_types, list)
                and all(isinstance(t, str) and t for t in allowed_payment_method_types)):
            raise UserError(400, "Bad request")
        orig_pi_init(self, payment_method_types=allowed_payment_method_types, **kwargs)

    PaymentIntent.__init__ = _pi_init


async def serve(host: str, port: int, access_log: bool = False, exit_with_parent: bool = False) -> None:
    patch_localstripe()
    parent = os.getppid()

    # Webhook deliveries are logged on the 'aiohttp.access' logger; send them to stderr.
    logger = logging.getLogger("aiohttp.access")
    logger.setLevel(logging.INFO)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    logger.addHandler(handler)

    runner = web.AppRunner(server.app, access_log=logger if access_log else None,
                           handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True)
    await site.start()
    bound_port = runner.addresses[0][1]
    print(f"localstripe listening on http://{host}:{bound_port}", flush=True)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=1)
            except asyncio.TimeoutError:
                # The process that started us died without stopping us (e.g. a killed test run).
                if exit_with_parent and os.getppid() != parent:
                    break
    finally:
        await runner.cleanup()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8420, help="0 picks a free port")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--access-log", action="store_true", help="log every request to stderr")
    parser.add_argument("--exit-with-parent", action="store_true",
                        help="stop when the process that started this one exits")
    args = parser.parse_args(argv)
    asyncio.run(serve(args.host, args.port, args.access_log, args.exit_with_parent))


if __name__ == "__main__":
    main()
