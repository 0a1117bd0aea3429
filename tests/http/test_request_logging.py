"""Request ids and log lines: the proxy's well-formed X-Request-ID (or ours) comes back in the
header and is on every line written during the request; production writes one JSON object
per line; tests and the demo write text."""
import io
import json
import logging
import re

from tests.ops_support import another_app, closed_port

PROXY_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"


def our_handler() -> logging.Handler:
    return next(h for h in logging.getLogger().handlers if h.name == "fly2any")


def capture_log() -> io.StringIO:
    buffer = io.StringIO()
    our_handler().setStream(buffer)
    return buffer


def test_a_well_formed_request_id_is_kept_and_anything_else_replaced(client):
    for kept in (PROXY_ID, "f" * 64):
        assert client.get("/healthz", headers={"X-Request-ID": kept}).headers["X-Request-ID"] == kept
    made = [client.get("/healthz", headers=headers).headers["X-Request-ID"]
            for headers in ({}, {}, {"X-Request-ID": "abc level=CRITICAL"}, {"X-Request-ID": "f" * 65},
                            {"X-Request-ID": "<script>"})]
    assert all(re.fullmatch(r"[0-9a-f]{32}", rid) for rid in made) and len(set(made)) == len(made)


def test_production_writes_one_json_object_per_line_with_the_request_id(app):
    # A readiness failure logs a warning inside the request; the search page closes with a request line.
    with another_app(app, LOG_FORMAT="json", RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{closed_port()}/0") as prod:
        buffer = capture_log()
        client = prod.test_client()
        assert client.get("/readyz", headers={"X-Request-ID": PROXY_ID}).status_code == 503
        page = client.get("/", headers={"X-Request-ID": "ab" * 16})
        assert page.status_code == 200 and page.headers["X-Request-ID"] == "ab" * 16
        logging.getLogger("checkout.test").warning("outside any request")
        try:
            {}["missing"]
        except KeyError:
            logging.getLogger("checkout.test").exception("failed outside any request")
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]  # each line is one JSON object
    warning = next(line for line in lines if line["message"].startswith("not ready"))
    assert warning["level"] == "WARNING" and warning["request_id"] == PROXY_ID and warning["path"] == "/readyz"
    assert {"time", "logger"} <= set(warning) and "redis" in warning["message"]
    closing = next(line for line in lines if line["logger"] == "checkout.requests")
    assert (closing["message"], closing["status"], closing["path"], closing["request_id"]) == ("GET / 200", 200, "/", "ab" * 16)
    outside = next(line for line in lines if line["message"] == "outside any request")
    assert "request_id" not in outside and outside["level"] == "WARNING"
    # The formatter is python-json-logger's under our names: UTC time to the millisecond, the
    # traceback as "exception", and fields that don't apply left out rather than null.
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", closing["time"])
    failed = next(line for line in lines if line["message"] == "failed outside any request")
    assert set(failed) == {"time", "level", "logger", "message", "exception"} and failed["level"] == "ERROR"
    assert failed["exception"].startswith("Traceback") and "KeyError: 'missing'" in failed["exception"]


def test_tests_and_the_demo_write_text_lines_with_the_request_id(app):
    buffer = capture_log()
    app.test_client().get("/", headers={"X-Request-ID": PROXY_ID})
    our_handler().setStream(io.StringIO())
    line = next(line for line in buffer.getvalue().splitlines() if "checkout.requests" in line)
    assert f"INFO [{PROXY_ID}] checkout.requests: GET / 200" in line
