"""Generated requests for every operation of /api/openapi.json, sent in-process (schemathesis
over WSGI): values that fit the schema and values that don't, with and without a staff
token. None may be a 5xx or show our insides.

Schemathesis draws strings from all of Unicode, so most would stop at the edge's control
character check (a 400); the "printable" runs strip C0 controls so the values reach the views.
"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import given
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.fuzz.support import Tally, fuzz_settings, without_controls
from tests.manage_support import api_token, confirmed_booking

EXAMPLES = 12  # per operation, mode and variant


def printable(case):
    """The generated case with C0 control characters taken out of every value."""
    for name in ("path_parameters", "query", "cookies"):
        setattr(case, name, without_controls(getattr(case, name)))
    for name in list(case.headers):
        case.headers[name] = without_controls(case.headers[name])
    if isinstance(case.body, (str, dict, list)):
        case.body = without_controls(case.body)
    return case


@pytest.fixture(scope="module")
def schema(app):
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


def _has_inputs(operation) -> bool:
    return bool(operation.body) or any(True for _ in operation.iter_parameters())


def _variants(operation, staff: dict, traveller: dict, booking_id: int):
    """(name, headers, printable, path parameters) of each run for this operation."""
    yield "as generated", None, False, None
    yield "printable", None, True, None
    yield "printable, staff", staff, True, None
    if "{id}" in operation.path:  # a real booking, so amending and cancelling get past the look-up
        yield "printable, staff, a real booking", staff, True, {"id": booking_id}
        yield "printable, its traveller, a real booking", traveller, True, {"id": booking_id}


def test_no_generated_api_request_gets_a_5xx_or_a_leak(app, schema):
    with app.app_context():
        staff = {"Authorization": f"Bearer {api_token('supervisor')}"}
        booking = confirmed_booking()
        traveller = {"X-Booking-Reference": booking.reference, "X-Booking-Email": booking.contact_email}
        booking_id = booking.id
    tally = Tally()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10  # the document still describes the whole API
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for variant, headers, clean, path_parameters in _variants(operation, staff, traveller, booking_id):
                strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)
                if clean:
                    strategy = strategy.map(printable)

                @fuzz_settings(EXAMPLES)
                @given(case=strategy)
                def run(case):
                    # A new address each time: the per-address rate limits would otherwise answer most.
                    response = case.call(headers=headers, environ_base={"REMOTE_ADDR": tally.next_address()})
                    tally.check("api", f"{case.method} {case.formatted_path} ({mode.value}, {variant}) {case!r:.300}",
                                response.status_code, response.content)

                try:
                    run()
                except Unsatisfiable:
                    # Nothing to vary: no parameters and no body, or only the path's fixed id.
                    assert mode == GenerationMode.NEGATIVE and (not _has_inputs(operation) or path_parameters), \
                        operation.label
    print(f"\nAPI schema fuzz: {tally.summary()}")
