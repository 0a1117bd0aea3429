"""The OpenAPI 3.1 description of /api, served at /api/openapi.json.

The schemas are generated from the pydantic models of schemas.py (the ones that check the
requests and build the answers), so they cannot disagree with what the API does. What is
written here is what no model knows: the paths table (operations, their parameters, their
answers and errors, who may call them) and the document's words. tests/http/test_openapi.py
checks that every /api route (and method) in the app is here and nothing else.
"""
from __future__ import annotations

from functools import cache

from flask import jsonify
from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, models_json_schema

from . import bp
from .schemas import (ANSWERS, REFERENCE_PATTERN, REQUESTS, Acknowledgements, AmendBooking, BookingDetail,
                      BookingList, BookingQuery, BookingSummary, CancelQuery, CancelResult, ConfirmPayment,
                      CreateBooking, CreateIntent, Error, IntentCreated, Offers, PaymentConfirmed, SearchQuery,
                      WebhookReceipt)

REF = "#/components/schemas/{model}"


class _Schemas(GenerateJsonSchema):
    def field_title_should_be_set(self, schema) -> bool:  # "title": "First Name" on every field says nothing
        return False


@cache
def component_schemas() -> dict:
    """Every model's JSON Schema (2020-12, as OpenAPI 3.1 uses), by name: requests as they
    are validated, answers as they are serialized."""
    _, top = models_json_schema([(m, "validation") for m in REQUESTS] + [(m, "serialization") for m in ANSWERS],
                                ref_template=REF, schema_generator=_Schemas)
    return top["$defs"]


STAFF_OR_TRAVELLER = [{"bearerToken": []}, {"staffSession": []}, {"bookingReference": [], "bookingEmail": []}]
STAFF_ONLY = [{"bearerToken": []}, {"staffSession": []}]
PROOF_IN_URL = ("A `reference` or `email` query parameter: the traveller's proof goes in the X-Booking-Reference "
                "and X-Booking-Email headers only, since URLs are kept in access logs.")
TOO_MANY_PROOFS = ("Traveller access only: over 10 failed proofs (404s) a minute or 50 an hour from this address, or "
                   "5 failed proofs of this reference from this address in an hour or 10 in a day (1 an hour once "
                   "the reference has had 10 from anywhere): this address waits (Retry-After), also on /manage. "
                   "The booking is never locked: another address with the right proof gets in.")
BAD_TOKEN = "A bearer token was sent but is not valid."
NOT_JSON = "The body is not application/json."
BOOKING_ID = {"name": "id", "in": "path", "required": True, "description": "The bookingId.",
              "schema": {"type": "integer", "minimum": 1}}
TRAVELLER_PROOF = [
    {"name": "X-Booking-Reference", "in": "header", "schema": {"type": "string", "pattern": REFERENCE_PATTERN},
     "description": "Traveller access: the booking reference (with X-Booking-Email). Headers only: the same "
                    "proof in the query string is a 400."},
    {"name": "X-Booking-Email", "in": "header", "schema": {"type": "string"},
     "description": "Traveller access: the booking's contact email (case-insensitive)."},
]


def _query(model: type[BaseModel], schemas: dict) -> list[dict]:
    """A query model's fields as OpenAPI query parameters."""
    schema = schemas[model.__name__]
    parameters = []
    for name, field in schema["properties"].items():
        field = dict(field)
        parameter = {"name": name, "in": "query", "required": name in schema.get("required", ())}
        if "description" in field:
            parameter["description"] = field.pop("description")
        parameters.append(parameter | {"schema": field})
    return parameters


def _content(schema: dict | type[BaseModel]) -> dict:
    if isinstance(schema, type):
        schema = {"$ref": REF.format(model=schema.__name__)}
    return {"application/json": {"schema": schema}}


def operation(operation_id: str, summary: str, tag: str, answers: dict, errors: dict | None = None, *,
              security: list = (), query: type[BaseModel] | None = None, body=None, description: str = "",
              parameters: list = ()) -> dict:
    """One operation. `answers`: status -> (model or schema, description); `errors`: status ->
    description, each answered with the Error schema."""
    found = {"operationId": operation_id, "summary": summary, "tags": [tag], "security": list(security)}
    if description:
        found["description"] = description
    if query or parameters:
        found["parameters"] = [*parameters, *(_query(query, component_schemas()) if query else ())]
    if body is not None:
        found["requestBody"] = {"required": True, "content": _content(body)}
    found["responses"] = {status: {"description": words, "content": _content(schema)}
                          for status, (schema, words) in answers.items()}
    found["responses"] |= {status: {"description": words, "content": _content(Error)}
                           for status, words in (errors or {}).items()}
    return found


def paths() -> dict:
    return {
        "/api/flights": {"get": operation(
            "searchFlights", "Flight offers for a route, date and party", "flights", query=SearchQuery,
            answers={"200": (Offers, "Offers, cheapest fare families first.")},
            errors={"422": "Invalid search (see fields)."})},
        "/api/acknowledgements": {"get": operation(
            "listAcknowledgements", "The notices a traveller must accept before paying", "bookings",
            description="Show each to the traveller (fare rules, baggage, conditions of carriage, hazardous "
                        "materials); POST /api/bookings then takes the accepted `{key, version}` of every one.",
            answers={"200": (Acknowledgements, "Every current notice, with its version.")})},
        "/api/bookings": {
            "get": operation(
                "listBookings", "List and search bookings (staff only)", "bookings", security=STAFF_ONLY,
                query=BookingQuery,
                description="Newest first. Without `status`, unsubmitted drafts are left out. Keyset pagination: "
                            "pass `nextCursor` back as `cursor` with the same filters.",
                answers={"200": (BookingList, "A page of bookings.")},
                errors={"401": "No staff session and no valid bearer token (with WWW-Authenticate: Bearer).",
                        "422": "Invalid filter, limit or cursor (see fields)."}),
            "post": operation(
                "createBooking", "Create a PENDING_PAYMENT booking from an offer", "bookings", body=CreateBooking,
                answers={"201": (BookingSummary, "Created; the amount is the server's.")},
                errors={"409": "A chosen seat was just taken, or the cabin has no seats left for the party "
                               "(`fields.fareFamily` or `fields.offerId` says which).",
                        "415": NOT_JSON,
                        "422": "Invalid passengers, contact or choices, or a notice not accepted at its current "
                               "version (see fields, e.g. acknowledgements).",
                        "429": "`too_many_requests`: over 10 calls a minute from this address; or "
                               "`too_many_holds`: 5 unpaid bookings still holding seats from this address, or for "
                               "this contact email. Retry-After says when to retry.",
                        "503": "`busy`: another booking for this address or email held its turn for over 5 s "
                               "(calls for one address or email are made one at a time, so the caps hold). "
                               "Retry-After says when to retry."}),
        },
        "/api/bookings/{id}": {
            "parameters": [BOOKING_ID, *TRAVELLER_PROOF],
            "get": operation(
                "getBooking", "One booking, with its passengers, payments, refunds and cancellation quote",
                "bookings", security=STAFF_OR_TRAVELLER,
                answers={"200": (BookingDetail, "The booking.")},
                errors={"400": PROOF_IN_URL, "401": BAD_TOKEN,
                        "404": "No such booking for these credentials. A wrong id, reference or email all give "
                               "this same answer.",
                        "429": TOO_MANY_PROOFS}),
            "put": operation(
                "amendBooking", "Amend the contact (before departure) or names (while unpaid)", "bookings",
                security=STAFF_OR_TRAVELLER, body=AmendBooking,
                description="Changing the email of a paid booking (where its e-ticket goes) needs the traveller's "
                            "proof or a supervisor (or a token without an agent owner); the old address is emailed.",
                answers={"200": (BookingDetail, "The amended booking (the change is audited).")},
                errors={"400": PROOF_IN_URL, "401": BAD_TOKEN,
                        "403": "An agent changing the email of a paid booking (the attempt is audited).",
                        "404": "No such booking for these credentials.",
                        "409": "The booking cannot be changed now (names after payment; cancelled, expired or "
                               "departed).",
                        "415": NOT_JSON,
                        "422": "Invalid values (fields such as contact.email, passengers.0.lastName).",
                        "429": TOO_MANY_PROOFS}),
            "delete": operation(
                "cancelBooking", "Cancel, refunding what the rules allow", "bookings", security=STAFF_OR_TRAVELLER,
                query=CancelQuery,
                description="Staff need the supervisor role (or a token without an agent owner). The refund "
                            "follows the CancellationQuote rules; the traveller is emailed.",
                answers={"200": (CancelResult, "Cancelled; the refund is on its way.")},
                errors={"400": PROOF_IN_URL, "401": BAD_TOKEN, "403": "Staff without the supervisor role.",
                        "404": "No such booking for these credentials.",
                        "409": "Not cancellable (already cancelled, departed), the quote changed, or the refund "
                               "could not be made (nothing changed).",
                        "422": "expectedRefund is not a whole number.", "429": TOO_MANY_PROOFS}),
        },
        "/api/payments/create-intent": {"post": operation(
            "createPaymentIntent", "The Stripe PaymentIntent to pay a booking with", "payments", body=CreateIntent,
            description="Rate limited to 5 a minute per IP address. The amount is always the booking's total.",
            answers={"200": (IntentCreated, "The client secret for Stripe.js (reused on repeat calls).")},
            errors={"404": "No booking with that reference and email.",
                    "409": "Amount or currency mismatch, already paid, hold expired, or too many attempts.",
                    "415": NOT_JSON, "422": "A field of the wrong type (see fields).",
                    "429": "Over 5 a minute from this address (Retry-After says when to retry).",
                    "503": "Stripe cannot be reached; try again."})},
        "/api/payments/confirm": {"post": operation(
            "confirmPayment", "Re-read a PaymentIntent from Stripe and apply it", "payments", body=ConfirmPayment,
            description="A reference and PaymentIntent id alone reveal nothing: without a valid client secret or "
                        "email the answer is the same 404 as for an unknown booking.",
            answers={"200": (PaymentConfirmed, "The booking's status after reconciling.")},
            errors={"404": "No such payment for this booking, or no valid client secret or email: the same "
                           "answer either way.",
                    "415": NOT_JSON, "422": "A field of the wrong type (see fields).",
                    "429": "Over 30 a minute from this address.", "503": "Stripe cannot be reached; try again."})},
        "/api/payments/webhook": {"post": operation(
            "stripeWebhook", "Stripe events (signature-verified on the raw body)", "payments",
            parameters=[{"name": "Stripe-Signature", "in": "header", "required": True, "schema": {"type": "string"}}],
            body={"type": "object", "description": "A Stripe Event; only its id, type and PaymentIntent id are used."},
            answers={"200": (WebhookReceipt, "Processed, ignored, or a duplicate delivery.")},
            errors={"400": "The signature does not verify.", "503": "Temporarily unavailable: Stripe should retry."})},
        "/api/openapi.json": {"get": operation(
            "openapi", "This document", "meta",
            answers={"200": ({"type": "object"}, "The OpenAPI 3.1 description.")})},
    }


def _used(schemas: dict) -> dict:
    """The components, less the query models (they are parameters, not bodies)."""
    return {name: schema for name, schema in schemas.items()
            if name not in {SearchQuery.__name__, BookingQuery.__name__, CancelQuery.__name__}}


@cache
def document() -> dict:
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": {
            "title": "Fly2Any checkout API",
            "version": "1.0.0",
            "description": "Flight offers, bookings and payments. JSON in camelCase. **Money is always an integer "
                           "in minor units** of the `currency` beside it (59999 = $599.99). Errors are "
                           "`{\"error\": {\"code\", \"message\", \"fields\"}}` with a 4xx (5xx only when we "
                           "failed), never a stack trace. Request bodies must be `application/json` (415 otherwise).",
        },
        "servers": [{"url": "/"}],
        "tags": [{"name": "flights"}, {"name": "bookings"}, {"name": "payments"}, {"name": "meta"}],
        "security": [],
        "paths": paths(),
        "components": {
            "schemas": _used(component_schemas()),
            "securitySchemes": {
                "bearerToken": {"type": "http", "scheme": "bearer",
                                "description": "Staff API token from `flask create-api-token`."},
                "staffSession": {"type": "apiKey", "in": "cookie", "name": "fly2any_session",
                                 "description": "A signed-in staff console session (same site only). PUT and "
                                                "DELETE with it also need the page's CSRF token in X-CSRFToken and "
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
    return jsonify(document())
