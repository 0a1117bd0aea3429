"""The OpenAPI 3.1 description of /api, written by hand and served at /api/openapi.json.

tests/http/test_openapi.py checks that every /api route (and method) in the app is here
and that nothing here is missing from the app, so the document cannot drift silently.
Schemas are JSON Schema 2020-12, as OpenAPI 3.1 uses.
"""
from __future__ import annotations

from flask import jsonify

from . import bp

MONEY = ("Integer minor units of `currency` (59999 = $599.99). Never a float, never a "
         "formatted string.")


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict:
    return _json(_ref("Error"), description)


def _money(description: str = MONEY) -> dict:
    return {"type": "integer", "description": description}


CURRENCY = {"type": "string", "pattern": "^[A-Z]{3}$", "description": "ISO 4217 code, upper case.", "examples": ["USD"]}
STATUS = {"type": "string", "enum": ["DRAFT", "PENDING_PAYMENT", "CONFIRMED", "CANCELLED", "EXPIRED"]}
DATE_TIME = {"type": "string", "format": "date-time"}
NULLABLE_DATE_TIME = {"type": ["string", "null"], "format": "date-time"}
REFERENCE = {"type": "string", "pattern": "^FLY2A-[A-HJ-NP-Z2-9]{6}$", "examples": ["FLY2A-K7M3QX"]}

BOOKING_ID = {"name": "id", "in": "path", "required": True, "description": "The bookingId.",
              "schema": {"type": "integer", "minimum": 1}}
STAFF_OR_TRAVELLER = [{"bearerToken": []}, {"staffSession": []}, {"bookingReference": [], "bookingEmail": []}]
STAFF_ONLY = [{"bearerToken": []}, {"staffSession": []}]
PROOF_IN_URL = ("A `reference` or `email` query parameter: the traveller's proof goes in the X-Booking-Reference "
                "and X-Booking-Email headers only, since URLs are kept in access logs.")
TOO_MANY_PROOFS = ("Traveller access only: over 10 failed proofs (404s) a minute or 50 an hour from this address, or "
                   "5 failed proofs of this reference from this address in an hour or 10 in a day (1 an hour once "
                   "the reference has had 10 from anywhere): this address waits (Retry-After), also on /manage. "
                   "The booking is never locked: another address with the right proof gets in.")

SCHEMAS = {
    "Error": {
        "type": "object", "required": ["error"], "additionalProperties": False,
        "description": "Every 4xx/5xx answer of /api. Never a stack trace.",
        "properties": {"error": {
            "type": "object", "required": ["code", "message"], "additionalProperties": False,
            "properties": {
                "code": {"type": "string", "description": "Machine-readable, e.g. validation_error, not_found, "
                                                          "unauthorized, forbidden, not_amendable, not_cancellable, "
                                                          "too_many_requests, invalid_body.",
                         "examples": ["validation_error"]},
                "message": {"type": "string", "description": "Safe to show to a person."},
                "fields": {"type": "object", "additionalProperties": {"type": "string"},
                           "description": "Per input field (camelCase, dotted for nesting, e.g. "
                                          "`passengers.0.lastName`, `contact.email`): what is wrong.",
                           "examples": [{"contact.phone": "Enter a phone number with its country code."}]},
            },
        }},
    },
    "Fare": {
        "type": "object", "required": ["fareFamily", "amount", "currency"],
        "properties": {"fareFamily": {"type": "string", "enum": ["BASIC", "STANDARD", "FLEX", "BUSINESS"]},
                       "amount": _money("Total for the whole party, taxes included, in minor units."),
                       "currency": CURRENCY,
                       "soldOut": {"type": "boolean",
                                   "description": "True when the fare's cabin has fewer seats left than the party "
                                                  "needs (infants on a lap need none); booking it is refused (409)."},
                       "seatsLeft": {"type": "integer", "minimum": 0,
                                     "description": "Seats left in the fare's cabin right now."}},
    },
    "Offer": {
        "type": "object",
        "required": ["offerId", "flightNumber", "origin", "destination", "departure", "arrival", "fares"],
        "properties": {
            "offerId": {"type": "string", "examples": ["off_123"]},
            "flightNumber": {"type": "string"},
            "origin": {"type": "string", "pattern": "^[A-Z]{3}$"},
            "destination": {"type": "string", "pattern": "^[A-Z]{3}$"},
            "departure": {**DATE_TIME, "description": "Local time at the origin, with its UTC offset."},
            "arrival": {**DATE_TIME, "description": "Local time at the destination, with its UTC offset."},
            "durationMinutes": {"type": "integer"},
            "fares": {"type": "array", "items": _ref("Fare")},
        },
    },
    "Offers": {"type": "object", "required": ["offers"],
               "properties": {"offers": {"type": "array", "items": _ref("Offer")}}},
    "PassengerInput": {
        "type": "object", "required": ["firstName", "lastName", "dateOfBirth", "nationality"],
        "properties": {
            "type": {"type": "string", "enum": ["adult", "child", "infant"], "default": "adult"},
            "firstName": {"type": "string", "maxLength": 60},
            "lastName": {"type": "string", "maxLength": 60},
            "dateOfBirth": {"type": "string", "format": "date"},
            "nationality": {"type": "string", "pattern": "^[A-Z]{2}$", "description": "ISO 3166-1 alpha-2."},
            "passportNumber": {"type": "string", "description": "Required on international flights."},
            "passportExpiry": {"type": "string", "format": "date", "description": "Required on international flights."},
            "bags": {"type": "integer", "minimum": 0, "maximum": 3, "description": "Checked bags."},
            "seat": {"type": "string", "examples": ["14C"]},
        },
    },
    "ContactInput": {
        "type": "object", "required": ["email", "phone"],
        "properties": {"email": {"type": "string", "format": "email"},
                       "phone": {"type": "string", "description": "With its country code; stored as E.164."}},
    },
    "Acknowledgement": {
        "type": "object", "required": ["key", "version", "title", "text"],
        "description": "A notice the traveller must read and accept before paying. A changed text has a new version.",
        "properties": {"key": {"type": "string", "examples": ["fare_rules"]},
                       "version": {"type": "string", "examples": ["2026-11-01"]},
                       "title": {"type": "string", "examples": ["Fare rules"]},
                       "text": {"type": "string", "description": "The notice to show the traveller."}},
    },
    "Acknowledgements": {"type": "object", "required": ["acknowledgements"],
                         "properties": {"acknowledgements": {"type": "array", "items": _ref("Acknowledgement")}}},
    "AcceptedAcknowledgement": {
        "type": "object", "required": ["key", "version"],
        "properties": {"key": {"type": "string"},
                       "version": {"type": "string", "description": "The version the traveller was shown."}},
    },
    "CreateBooking": {
        "type": "object", "required": ["offerId", "passengers", "contact", "acknowledgements"],
        "properties": {
            "offerId": {"type": "string"},
            "fareFamily": {"type": "string", "description": "Default: the cheapest sold on the flight."},
            "bundle": {"type": ["string", "null"]},
            "insurance": {"type": "boolean"},
            "priorityBoarding": {"type": "boolean"},
            "passengers": {"type": "array", "minItems": 1, "items": _ref("PassengerInput")},
            "contact": _ref("ContactInput"),
            "acknowledgements": {
                "type": "array", "items": _ref("AcceptedAcknowledgement"),
                "description": "What the traveller accepted: every notice of GET /api/acknowledgements at its "
                               "current version. A missing, outdated (other version) or unknown one is a 422 "
                               "under `fields.acknowledgements`. Recorded with the booking, with the time."},
            "amount": {"type": "integer", "description": "Ignored: the amount is always the server's."},
        },
    },
    "Flight": {
        "type": "object", "required": ["flightNumber", "origin", "destination", "departure", "arrival"],
        "properties": {"flightNumber": {"type": "string"}, "origin": {"type": "string"},
                       "destination": {"type": "string"},
                       "departure": {**DATE_TIME, "description": "UTC."}, "arrival": {**DATE_TIME, "description": "UTC."}},
    },
    "BookingSummary": {
        "type": "object",
        "required": ["bookingId", "bookingReference", "status", "amount", "currency"],
        "properties": {
            "bookingId": {"type": "integer"},
            "bookingReference": {"oneOf": [REFERENCE, {"type": "null"}],
                                 "description": "Null only for an unsubmitted draft."},
            "status": STATUS,
            "amount": _money("The booking's total in minor units (frozen once submitted)."),
            "currency": CURRENCY,
            "expiresAt": {**DATE_TIME, "description": "End of the hold on seats and price while unpaid."},
            "offerId": {"type": "string"},
            "flight": _ref("Flight"),
            "fareFamily": {"type": "string"},
            "bundle": {"type": ["string", "null"]},
        },
    },
    "BookingListItem": {
        "allOf": [_ref("BookingSummary"), {"type": "object", "properties": {
            "contactEmail": {"type": ["string", "null"]},
            "leadPassenger": {"type": ["string", "null"]},
            "submittedAt": NULLABLE_DATE_TIME,
        }}],
    },
    "BookingList": {
        "type": "object", "required": ["bookings", "nextCursor"],
        "properties": {
            "bookings": {"type": "array", "items": _ref("BookingListItem")},
            "nextCursor": {"type": ["string", "null"],
                           "description": "Pass as `cursor` (with the same filters) for the next page; null on the last."},
        },
    },
    "Passenger": {
        "type": "object", "required": ["position", "type", "firstName", "lastName"],
        "properties": {"position": {"type": "integer", "minimum": 0},
                       "type": {"type": "string", "enum": ["adult", "child", "infant"]},
                       "firstName": {"type": ["string", "null"]}, "lastName": {"type": ["string", "null"]},
                       "passportNumber": {"type": ["string", "null"], "examples": ["••••••567"],
                                          "description": "Masked: the last characters only. The full number is "
                                                         "never returned; null when none is on file."},
                       "seat": {"type": ["string", "null"]}, "checkedBags": {"type": "integer"}},
    },
    "PriceLine": {
        "type": "object", "required": ["kind", "description", "amount"],
        "properties": {"kind": {"type": "string", "enum": ["fare", "tax", "bundle", "bag", "seat", "priority", "insurance"]},
                       "description": {"type": "string"}, "amount": _money(),
                       "passengerPosition": {"type": ["integer", "null"]}},
    },
    "Payment": {
        "type": "object", "required": ["status"], "additionalProperties": False,
        "description": "One payment attempt. Card data is limited to brand and last 4 digits.",
        "properties": {"status": {"type": "string", "enum": ["created", "requires_action", "processing", "succeeded",
                                                             "failed", "canceled"]},
                       "brand": {"type": ["string", "null"], "examples": ["visa"]},
                       "last4": {"type": ["string", "null"], "pattern": "^[0-9]{4}$"}},
    },
    "Refund": {
        "type": "object", "required": ["amount", "currency", "status"],
        "properties": {"amount": _money(), "currency": CURRENCY,
                       "status": {"type": "string", "enum": ["pending", "succeeded", "failed"]},
                       "createdAt": DATE_TIME},
    },
    "CancellationQuote": {
        "type": "object", "required": ["allowed", "refundAmount", "rule", "explanation"],
        "description": "What cancelling now would give back. Rules in order: the US DOT 24-hour rule (booked "
                       "< 24 h ago and >= 7 days before departure: everything back); a refundable fare (less its "
                       "fee); otherwise taxes and fees only. Unpaid bookings cancel with nothing to refund.",
        "properties": {"allowed": {"type": "boolean"}, "refundAmount": _money(),
                       "rule": {"type": "string", "enum": ["dot_24_hour", "refundable_fare", "taxes_only", "unpaid",
                                                           "not_allowed"]},
                       "explanation": {"type": "string"}},
    },
    "BookingDetail": {
        "allOf": [_ref("BookingSummary"), {
            "type": "object",
            "required": ["passengers", "contact", "priceLines", "payments", "refunds", "cancellation"],
            "properties": {
                "submittedAt": NULLABLE_DATE_TIME, "confirmedAt": NULLABLE_DATE_TIME,
                "passengers": {"type": "array", "items": _ref("Passenger")},
                "contact": {"type": "object", "properties": {"email": {"type": ["string", "null"]},
                                                             "phone": {"type": ["string", "null"]}}},
                "priceLines": {"type": "array", "items": _ref("PriceLine")},
                "payments": {"type": "array", "items": _ref("Payment")},
                "refunds": {"type": "array", "items": _ref("Refund")},
                "cancellation": _ref("CancellationQuote"),
            },
        }],
    },
    "AmendBooking": {
        "type": "object", "minProperties": 1, "additionalProperties": False,
        "properties": {
            "contact": {"type": "object", "minProperties": 1, "additionalProperties": False,
                        "description": "Any time before departure while PENDING_PAYMENT or CONFIRMED. "
                                       "A missing key keeps its current value.",
                        "properties": {"email": {"type": "string", "format": "email"},
                                       "phone": {"type": "string", "description": "With country code; stored as E.164."}}},
            "passengers": {"type": "array", "description": "Names by position, all passengers; only while "
                                                           "PENDING_PAYMENT (409 once paid).",
                           "items": {"type": "object", "properties": {"firstName": {"type": "string", "maxLength": 60},
                                                                      "lastName": {"type": "string", "maxLength": 60}}}},
        },
    },
    "CancelResult": {
        "type": "object", "required": ["bookingId", "status", "refundAmount", "currency"],
        "properties": {"bookingId": {"type": "integer"}, "status": {"const": "CANCELLED"},
                       "refundAmount": _money("Refunded by this cancellation, in minor units."),
                       "currency": CURRENCY},
    },
    "CreateIntent": {
        "type": "object", "required": ["bookingReference", "email"],
        "properties": {"bookingReference": REFERENCE, "email": {"type": "string"},
                       "amount": _money("Optional; if given must equal the booking's total (else 409)."),
                       "currency": {"type": "string", "description": "Optional; must equal the booking's."}},
    },
    "IntentCreated": {
        "type": "object", "required": ["clientSecret", "paymentIntentId", "amount", "currency"],
        "properties": {"clientSecret": {"type": "string"}, "paymentIntentId": {"type": "string"},
                       "amount": _money(), "currency": {"type": "string", "description": "Lower case, as Stripe."}},
    },
    "ConfirmPayment": {
        "type": "object", "required": ["bookingReference", "paymentIntentId"],
        "description": "Prove the booking with the PaymentIntent's `clientSecret` or the booking's `email`.",
        "properties": {"bookingReference": REFERENCE, "paymentIntentId": {"type": "string"},
                       "clientSecret": {"type": "string", "description": "The PaymentIntent's client secret (from "
                                        "create-intent, or the page that paid); checked with Stripe."},
                       "email": {"type": "string", "description": "The booking's contact email (case-insensitive)."}},
        "anyOf": [{"required": ["clientSecret"]}, {"required": ["email"]}],
    },
    "PaymentConfirmed": {
        "type": "object", "required": ["status", "paymentStatus"],
        "properties": {"status": STATUS, "paymentStatus": {"type": "string"},
                       "message": {"type": ["string", "null"], "description": "Why a payment failed, if it did."}},
    },
    "WebhookReceipt": {
        "type": "object", "required": ["received", "status"],
        "properties": {"received": {"const": True},
                       "status": {"type": "string", "enum": ["processed", "duplicate", "ignored"]}},
    },
}

PATHS = {
    "/api/flights": {"get": {
        "operationId": "searchFlights", "summary": "Flight offers for a route, date and party", "tags": ["flights"],
        "security": [],
        "parameters": [
            {"name": "origin", "in": "query", "required": True, "schema": {"type": "string", "pattern": "^[A-Za-z]{3}$"}},
            {"name": "destination", "in": "query", "required": True, "schema": {"type": "string", "pattern": "^[A-Za-z]{3}$"}},
            {"name": "date", "in": "query", "required": True, "schema": {"type": "string", "format": "date"}},
            {"name": "adults", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
            {"name": "children", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0}},
            {"name": "infants", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0}},
        ],
        "responses": {"200": _json(_ref("Offers"), "Offers, cheapest fare families first."),
                      "422": _error("Invalid search (see fields).")},
    }},
    "/api/acknowledgements": {"get": {
        "operationId": "listAcknowledgements", "summary": "The notices a traveller must accept before paying",
        "tags": ["bookings"], "security": [],
        "description": "Show each to the traveller (fare rules, baggage, conditions of carriage, hazardous "
                       "materials); POST /api/bookings then takes the accepted `{key, version}` of every one.",
        "responses": {"200": _json(_ref("Acknowledgements"), "Every current notice, with its version.")},
    }},
    "/api/bookings": {
        "get": {
            "operationId": "listBookings", "summary": "List and search bookings (staff only)", "tags": ["bookings"],
            "description": "Newest first. Without `status`, unsubmitted drafts are left out. Keyset pagination: "
                           "pass `nextCursor` back as `cursor` with the same filters.",
            "security": STAFF_ONLY,
            "parameters": [
                {"name": "status", "in": "query", "description": "One status or several, comma-separated.",
                 "schema": {"type": "string"}},
                {"name": "email", "in": "query", "description": "Contact email, exact (case-insensitive).",
                 "schema": {"type": "string"}},
                {"name": "reference", "in": "query", "schema": {"type": "string"}},
                {"name": "q", "in": "query", "description": "Part of a surname, contact email or reference.",
                 "schema": {"type": "string"}},
                {"name": "from", "in": "query", "description": "Submitted on or after this day (UTC).",
                 "schema": {"type": "string", "format": "date"}},
                {"name": "to", "in": "query", "description": "Submitted on or before this day (UTC).",
                 "schema": {"type": "string", "format": "date"}},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 25}},
                {"name": "cursor", "in": "query", "description": "Opaque; from the previous page's nextCursor.",
                 "schema": {"type": "string"}},
            ],
            "responses": {"200": _json(_ref("BookingList"), "A page of bookings."),
                          "401": _error("No staff session and no valid bearer token (with WWW-Authenticate: Bearer)."),
                          "422": _error("Invalid filter, limit or cursor (see fields).")},
        },
        "post": {
            "operationId": "createBooking", "summary": "Create a PENDING_PAYMENT booking from an offer",
            "tags": ["bookings"], "security": [],
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("CreateBooking")}}},
            "responses": {"201": _json(_ref("BookingSummary"), "Created; the amount is the server's."),
                          "409": _error("A chosen seat was just taken, or the cabin has no seats left for "
                                        "the party (`fields.fareFamily` or `fields.offerId` says which)."),
                          "415": _error("The body is not application/json."),
                          "422": _error("Invalid passengers, contact or choices, or a notice not accepted at "
                                        "its current version (see fields, e.g. acknowledgements)."),
                          "429": _error("`too_many_requests`: over 10 calls a minute from this address; or "
                                        "`too_many_holds`: 5 unpaid bookings still holding seats from this "
                                        "address, or for this contact email. Retry-After says when to retry."),
                          "503": _error("`busy`: another booking for this address or email held its turn for "
                                        "over 5 s (calls for one address or email are made one at a time, so "
                                        "the caps hold). Retry-After says when to retry.")},
        },
    },
    "/api/bookings/{id}": {
        "parameters": [BOOKING_ID,
                       {"name": "X-Booking-Reference", "in": "header", "schema": REFERENCE,
                        "description": "Traveller access: the booking reference (with X-Booking-Email). Headers "
                                       "only: the same proof in the query string is a 400."},
                       {"name": "X-Booking-Email", "in": "header", "schema": {"type": "string"},
                        "description": "Traveller access: the booking's contact email (case-insensitive)."}],
        "get": {
            "operationId": "getBooking", "summary": "One booking, with its passengers, payments, refunds and cancellation quote",
            "tags": ["bookings"], "security": STAFF_OR_TRAVELLER,
            "responses": {"200": _json(_ref("BookingDetail"), "The booking."),
                          "400": _error(PROOF_IN_URL),
                          "401": _error("A bearer token was sent but is not valid."),
                          "404": _error("No such booking for these credentials. A wrong id, reference or email "
                                        "all give this same answer."),
                          "429": _error(TOO_MANY_PROOFS)},
        },
        "put": {
            "operationId": "amendBooking", "summary": "Amend the contact (before departure) or names (while unpaid)",
            "tags": ["bookings"], "security": STAFF_OR_TRAVELLER,
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("AmendBooking")}}},
            "description": "Changing the email of a paid booking (where its e-ticket goes) needs the traveller's "
                           "proof or a supervisor (or a token without an agent owner); the old address is emailed.",
            "responses": {"200": _json(_ref("BookingDetail"), "The amended booking (the change is audited)."),
                          "400": _error(PROOF_IN_URL),
                          "401": _error("A bearer token was sent but is not valid."),
                          "403": _error("An agent changing the email of a paid booking (the attempt is audited)."),
                          "404": _error("No such booking for these credentials."),
                          "409": _error("The booking cannot be changed now (names after payment; cancelled, "
                                        "expired or departed)."),
                          "415": _error("The body is not application/json."),
                          "422": _error("Invalid values (fields such as contact.email, passengers.0.lastName)."),
                          "429": _error(TOO_MANY_PROOFS)},
        },
        "delete": {
            "operationId": "cancelBooking", "summary": "Cancel, refunding what the rules allow",
            "tags": ["bookings"], "security": STAFF_OR_TRAVELLER,
            "description": "Staff need the supervisor role (or a token without an agent owner). The refund follows "
                           "the CancellationQuote rules; the traveller is emailed.",
            "parameters": [{"name": "expectedRefund", "in": "query", "schema": {"type": "integer", "minimum": 0},
                            "description": "The quoted refund in minor units; if the rules now give a different "
                                           "amount nothing happens (409)."}],
            "responses": {"200": _json(_ref("CancelResult"), "Cancelled; the refund is on its way."),
                          "400": _error(PROOF_IN_URL),
                          "401": _error("A bearer token was sent but is not valid."),
                          "403": _error("Staff without the supervisor role."),
                          "404": _error("No such booking for these credentials."),
                          "409": _error("Not cancellable (already cancelled, departed), the quote changed, or the "
                                        "refund could not be made (nothing changed)."),
                          "422": _error("expectedRefund is not a whole number."),
                          "429": _error(TOO_MANY_PROOFS)},
        },
    },
    "/api/payments/create-intent": {"post": {
        "operationId": "createPaymentIntent", "summary": "The Stripe PaymentIntent to pay a booking with",
        "tags": ["payments"], "security": [],
        "description": "Rate limited to 5 a minute per IP address. The amount is always the booking's total.",
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("CreateIntent")}}},
        "responses": {"200": _json(_ref("IntentCreated"), "The client secret for Stripe.js (reused on repeat calls)."),
                      "404": _error("No booking with that reference and email."),
                      "409": _error("Amount or currency mismatch, already paid, hold expired, or too many attempts."),
                      "415": _error("The body is not application/json."),
                      "429": _error("Over 5 a minute from this address (Retry-After says when to retry)."),
                      "503": _error("Stripe cannot be reached; try again.")},
    }},
    "/api/payments/confirm": {"post": {
        "operationId": "confirmPayment", "summary": "Re-read a PaymentIntent from Stripe and apply it",
        "tags": ["payments"], "security": [],
        "description": "A reference and PaymentIntent id alone reveal nothing: without a valid client secret or "
                       "email the answer is the same 404 as for an unknown booking.",
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("ConfirmPayment")}}},
        "responses": {"200": _json(_ref("PaymentConfirmed"), "The booking's status after reconciling."),
                      "404": _error("No such payment for this booking, or no valid client secret or email: "
                                    "the same answer either way."),
                      "415": _error("The body is not application/json."),
                      "429": _error("Over 30 a minute from this address."),
                      "503": _error("Stripe cannot be reached; try again.")},
    }},
    "/api/payments/webhook": {"post": {
        "operationId": "stripeWebhook", "summary": "Stripe events (signature-verified on the raw body)",
        "tags": ["payments"], "security": [],
        "parameters": [{"name": "Stripe-Signature", "in": "header", "required": True, "schema": {"type": "string"}}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "description": "A Stripe Event; only its id, type and PaymentIntent id are used."}}}},
        "responses": {"200": _json(_ref("WebhookReceipt"), "Processed, ignored, or a duplicate delivery."),
                      "400": _error("The signature does not verify."),
                      "503": _error("Temporarily unavailable: Stripe should retry.")},
    }},
    "/api/openapi.json": {"get": {
        "operationId": "openapi", "summary": "This document", "tags": ["meta"], "security": [],
        "responses": {"200": {"description": "The OpenAPI 3.1 description.",
                              "content": {"application/json": {"schema": {"type": "object"}}}}},
    }},
}

DOCUMENT = {
    "openapi": "3.1.0",
    "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
    "info": {
        "title": "Fly2Any checkout API",
        "version": "1.0.0",
        "description": "Flight offers, bookings and payments. JSON in camelCase. **Money is always an integer "
                       "in minor units** of the `currency` beside it (59999 = $599.99). Errors are "
                       "`{\"error\": {\"code\", \"message\", \"fields\"}}` with a 4xx (5xx only when we failed), "
                       "never a stack trace. Request bodies must be `application/json` (415 otherwise).",
    },
    "servers": [{"url": "/"}],
    "tags": [{"name": "flights"}, {"name": "bookings"}, {"name": "payments"}, {"name": "meta"}],
    "security": [],
    "paths": PATHS,
    "components": {
        "schemas": SCHEMAS,
        "securitySchemes": {
            "bearerToken": {"type": "http", "scheme": "bearer",
                            "description": "Staff API token from `flask create-api-token`."},
            "staffSession": {"type": "apiKey", "in": "cookie", "name": "fly2any_session",
                             "description": "A signed-in staff console session (same site only). PUT and DELETE "
                                            "with it also need the page's CSRF token in X-CSRFToken and "
                                            "this site's Origin, or they are refused with 403 csrf_failed."},
            "bookingReference": {"type": "apiKey", "in": "header", "name": "X-Booking-Reference",
                                 "description": "Traveller access, together with bookingEmail."},
            "bookingEmail": {"type": "apiKey", "in": "header", "name": "X-Booking-Email",
                             "description": "The booking's contact email, together with bookingReference."},
        },
    },
}


@bp.get("/openapi.json")
def openapi_document():
    return jsonify(DOCUMENT)
