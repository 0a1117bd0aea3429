"""A traveller's browser for the benchmark: cookies, the page's CSRF token, and the flow.

Used to set sessions up before wrk takes over (a draft with passengers, its cookies and
token), and to drive whole bookings to CONFIRMED through localstripe as the offline
Stripe.js stand-in would (card to localstripe's /v1/tokens, token to our /attach).
"""
from __future__ import annotations

import html
import http.client
import json
import re
import urllib.parse
import urllib.request
from datetime import date, timedelta

ACKS = ("fare_rules", "baggage", "conditions_of_carriage", "hazardous_materials")
PEOPLE = (("Ada", "Lovelace", "1985-12-10"), ("Charles", "Babbage", "1981-12-26"),
          ("Mary", "Somerville", "1980-12-26"))


class Browser:
    def __init__(self, port: int):
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}
        self.csrf: str | None = None

    def close(self) -> None:
        self.connection.close()

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def request(self, method: str, path: str, form: dict | None = None, headers: dict | None = None,
                body: bytes | None = None) -> tuple[int, dict, str]:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = self.cookie_header
        if form is not None:
            form = {"csrf_token": self.csrf, **form}
            body = urllib.parse.urlencode(form, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        except (http.client.HTTPException, OSError):
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            raise
        text = response.read().decode("utf-8", "replace")
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                cookie, _, attributes = value.partition(";")
                key, _, cookie_value = cookie.partition("=")
                if "max-age=0" in attributes.lower() or "expires=thu, 01 jan 1970" in attributes.lower():
                    self.cookies.pop(key.strip(), None)
                else:
                    self.cookies[key.strip()] = cookie_value.strip()
        found = re.search(r'name="csrf-token" content="([^"]+)"', text)
        if found:
            self.csrf = found.group(1)
        return response.status, dict(response.getheaders()), text

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, form: dict, **kwargs):
        return self.request("POST", path, form=form, **kwargs)

    # -- the flow -------------------------------------------------------------------

    def select(self, search_path: str, adults: int) -> int:
        """Search, then Select the first offer: a draft. Returns its flight id."""
        status, _, page = self.get(search_path)
        assert status == 200, (status, page[:300])
        offer_id = re.search(r'name="offer_id" value="([^"]+)"', page).group(1)
        status, headers, page = self.post("/select", {"offer_id": offer_id, "adults": adults, "children": 0,
                                                      "infants": 0})
        assert status == 303, (status, page[:300])
        assert self.get("/customize")[0] == 200
        return int(offer_id.removeprefix("off_"))

    def select_offer(self, offer_id: str, adults: int) -> None:
        """Select an itinerary by its offer id (as the last Select of a return search posts it)."""
        self.get("/")  # a page first, for the session's CSRF token
        status, _, page = self.post("/select", {"offer_id": offer_id, "adults": adults, "children": 0, "infants": 0})
        assert status == 303, (status, page[:300])
        assert self.get("/customize")[0] == 200

    def passengers_form(self, adults: int, international: bool) -> dict:
        return passengers_form(adults, international)

    def save_passengers(self, adults: int, international: bool) -> None:
        self.get("/passengers")
        status, _, page = self.post("/passengers", self.passengers_form(adults, international))
        assert status == 303, (status, page[:500])

    def book_and_pay(self, search_path: str, stripe_base: str, publishable_key: str,
                     card: str = "4242424242424242") -> str:
        """The whole booking, as a person with a browser does it, to the payment's return."""
        self.select(search_path, 1)
        status, _, _ = self.post("/customize", {"action": "continue"})
        assert status == 303
        self.save_passengers(1, international=False)
        self.get("/review")
        status, headers, page = self.post("/review", {f"ack_{key}": "y" for key in ACKS})
        assert status == 303, (status, page[:300])
        reference = headers["Location"].rsplit("/", 1)[-1]
        status, _, page = self.get(f"/booking/{reference}")
        assert status == 200, (status, page[:300])
        secret = html.unescape(re.search(r'data-client-secret="([^"]+)"', page).group(1))
        intent = re.search(r'data-payment-intent="([^"]+)"', page).group(1)
        token = _card_token(stripe_base, publishable_key, card)
        status, _, answer = self.request("POST", "/offline/stripe/attach",
                                         body=json.dumps({"paymentIntentId": intent, "clientSecret": secret,
                                                          "token": token}).encode(),
                                         headers={"Content-Type": "application/json", "X-CSRFToken": self.csrf})
        assert status == 200 and json.loads(answer)["status"] == "succeeded", (status, answer[:300])
        status, headers, _ = self.get(f"/payment/return?payment_intent={intent}&payment_intent_client_secret="
                                      f"{urllib.parse.quote(secret)}&redirect_status=succeeded")
        assert status == 303 and headers["Location"].endswith(reference), (status, headers)
        return reference


def passengers_form(adults: int, international: bool) -> dict:
    """Step 2's fields for the first `adults` of PEOPLE, passports too for an international flight."""
    form = {"email": "bench@example.com", "phone": "+1 212 555 0100"}
    for i, (first, last, born) in enumerate(PEOPLE[:adults]):
        form.update({f"passengers-{i}-first_name": first, f"passengers-{i}-last_name": last,
                     f"passengers-{i}-date_of_birth": born, f"passengers-{i}-nationality": "GB",
                     f"passengers-{i}-gender": "F"})
        if international:
            form.update({f"passengers-{i}-passport_number": f"X{1234567 + i}",
                         f"passengers-{i}-passport_expiry": (date.today() + timedelta(days=3000)).isoformat()})
    return form


def _card_token(stripe_base: str, publishable_key: str, number: str) -> str:
    """What the Stripe.js stand-in does in the browser: the card goes to localstripe, never to us."""
    body = urllib.parse.urlencode({"key": publishable_key, "card[number]": number, "card[exp_month]": "12",
                                   "card[exp_year]": str(date.today().year + 3), "card[cvc]": "123"}).encode()
    with urllib.request.urlopen(urllib.request.Request(f"{stripe_base}/v1/tokens", data=body), timeout=30) as answer:
        return json.loads(answer.read())["id"]
