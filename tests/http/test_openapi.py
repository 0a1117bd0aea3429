"""The OpenAPI 3.1 description covers every /api route and method, and only those."""
import re

import pytest

IGNORED_METHODS = {"HEAD", "OPTIONS"}  # added by Flask to every rule
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def openapi_path(rule: str) -> str:
    """Flask's /api/bookings/<int:id> -> OpenAPI's /api/bookings/{id}."""
    return re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule)


@pytest.fixture(scope="module")
def document(app):
    response = app.test_client().get("/api/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def _routes(app) -> dict[str, set[str]]:
    routes: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") and rule.rule != "/api/openapi.json":
            routes.setdefault(openapi_path(rule.rule), set()).update(m.lower() for m in rule.methods - IGNORED_METHODS)
    return routes


def test_it_is_openapi_3_1(document):
    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"] and document["info"]["version"]


def test_every_api_route_is_documented_with_its_methods(app, document):
    routes = _routes(app)
    assert "/api/bookings/{id}" in routes and "/api/payments/webhook" in routes
    for path, methods in routes.items():
        assert path in document["paths"], f"{path} is not in the OpenAPI document"
        documented = set(document["paths"][path]) & HTTP_METHODS
        assert methods <= documented, f"{path}: {sorted(methods - documented)} not documented"


def test_nothing_is_documented_that_the_app_does_not_serve(app, document):
    routes = _routes(app) | {"/api/openapi.json": {"get"}}
    for path, item in document["paths"].items():
        assert path in routes, f"{path} is documented but not served"
        assert set(item) & HTTP_METHODS <= routes[path], path


def _walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_every_reference_resolves_and_every_operation_is_complete(document):
    for node in _walk(document):
        if "$ref" in node:
            target = document
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
    schemes = document["components"]["securitySchemes"]
    operation_ids = []
    for path, item in document["paths"].items():
        path_params = set(re.findall(r"{([^}]+)}", path))
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            operation_ids.append(operation["operationId"])
            assert operation["responses"], f"{method} {path} has no responses"
            for status, response in operation["responses"].items():
                assert re.fullmatch(r"[1-5]\d\d", status) and response["description"]
                if status.startswith("4"):
                    assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
            declared = {p["name"] for p in item.get("parameters", []) + operation.get("parameters", []) if p["in"] == "path"}
            assert declared == path_params, f"{method} {path} path parameters"
            for requirement in operation.get("security", document.get("security", [])):
                assert set(requirement) <= set(schemes)


def test_the_contract_details(document):
    schemas = document["components"]["schemas"]
    error = schemas["Error"]["properties"]["error"]
    error = schemas[error["$ref"].rsplit("/", 1)[1]] if "$ref" in error else error
    assert error["required"] == ["code", "message"] and "fields" in error["properties"]
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerToken"] == {**schemes["bearerToken"], "type": "http", "scheme": "bearer"}
    assert {schemes[n]["name"] for n in ("bookingReference", "bookingEmail")} == {"X-Booking-Reference", "X-Booking-Email"}
    assert "minor units" in document["info"]["description"]
    assert schemas["Fare"]["properties"]["amount"]["type"] == "integer"
    assert schemas["Payment"]["additionalProperties"] is False
    assert set(schemas["Payment"]["properties"]) == {"status", "brand", "last4"}
    listing = document["paths"]["/api/bookings"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {"status", "email", "reference", "q", "from", "to", "limit", "cursor"}
    assert {"bookingReference", "bookingEmail"} in [set(r) for r in document["paths"]["/api/bookings/{id}"]["get"]["security"]]


def test_the_acknowledgements_contract_is_documented(document):
    schemas = document["components"]["schemas"]
    assert document["paths"]["/api/acknowledgements"]["get"]["responses"]["200"]
    assert set(schemas["Acknowledgement"]["required"]) == {"key", "version", "title", "text"}
    create = schemas["CreateBooking"]
    assert "acknowledgements" in create["required"]
    assert create["properties"]["acknowledgements"]["items"] == {"$ref": "#/components/schemas/AcceptedAcknowledgement"}
    assert set(schemas["AcceptedAcknowledgement"]["required"]) == {"key", "version"}


def test_the_traveller_proof_is_documented_in_headers_only(document):
    item = document["paths"]["/api/bookings/{id}"]
    assert {(p["name"], p["in"]) for p in item["parameters"]} >= {("X-Booking-Reference", "header"),
                                                                  ("X-Booking-Email", "header")}
    for method in ("get", "put", "delete"):
        operation = item[method]
        assert not {p["name"] for p in operation.get("parameters", [])} & {"reference", "email"}, method
        assert "headers" in operation["responses"]["400"]["description"], method


def test_creating_a_booking_documents_its_limits(document):
    assert "too_many_holds" in document["paths"]["/api/bookings"]["post"]["responses"]["429"]["description"]


def test_trips_are_documented(document):
    """DESIGN.md "Trips": returnDate, slices of segments on offers and bookings, each booked flight's
    seats, and Secure Flight's passenger fields."""
    schemas = document["components"]["schemas"]
    search = {p["name"]: p for p in document["paths"]["/api/flights"]["get"]["parameters"]}
    assert not search["returnDate"]["required"] and search["returnDate"]["schema"]["format"] == "date"
    assert {"offerId", "departure", "arrival", "slices", "fares"} <= set(schemas["Offer"]["required"])
    assert set(schemas["Slice"]["required"]) == {"origin", "destination", "departure", "arrival", "durationMinutes",
                                                 "stops", "segments"}
    assert set(schemas["Segment"]["required"]) == {"flightNumber", "origin", "destination", "departure", "arrival"}
    assert "slices" in schemas["BookingDetail"]["required"]
    booked = schemas["BookedSlice"]["properties"]["segments"]["items"]["$ref"].rsplit("/", 1)[1]
    assert "seats" in schemas[booked]["required"]
    assert set(schemas["SeatChoice"]["required"]) == {"passenger", "seat"}
    passenger = schemas["PassengerInput"]
    assert {"gender", "dateOfBirth"} <= set(passenger["required"])
    assert passenger["properties"]["gender"]["enum"] == ["M", "F", "X", "U"]
    assert {"redressNumber", "knownTravelerNumber", "seats"} <= set(passenger["properties"])
