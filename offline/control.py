"""Start and stop the offline Stripe API (localstripe, patched), for `make demo` and the tests.

    base_url, proc = start_localstripe()
    register_webhook(base_url, "http://127.0.0.1:5001/api/payments/webhook", "whsec_test")
    ...
    stop(proc)

The server runs as its own process (offline/localstripe_server.py, with this venv's
python), starts empty, listens on 127.0.0.1 on a port the OS picks, and keeps no state on
disk. Webhook registrations live in its memory: register again after every start.
"""
from __future__ import annotations

import os
import re
import selectors
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAUNCHER = os.path.join(ROOT, "offline", "localstripe_server.py")
_READY = re.compile(r"localstripe listening on (http://127\.0\.0\.1:(\d+))")


def start_localstripe(timeout: float = 20.0, log_path: str | None = None):
    """Start the launcher on a free port; return (base_url, process) once it accepts
    connections. Its log (webhook deliveries) goes to log_path, or is discarded."""
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL
    try:
        proc = subprocess.Popen(
            [sys.executable, LAUNCHER, "--port", "0", "--exit-with-parent"],
            stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL, cwd=ROOT)
    finally:
        if log_path:
            log.close()

    deadline = time.monotonic() + timeout
    base_url = None
    buffer = b""
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while base_url is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or proc.poll() is not None:
                stop(proc)
                raise RuntimeError(
                    f"localstripe did not start within {timeout:.0f}s (exit code {proc.returncode})")
            if sel.select(timeout=remaining):
                chunk = os.read(proc.stdout.fileno(), 4096)
                if not chunk:
                    continue
                buffer += chunk
                match = _READY.search(buffer.decode("utf-8", "replace"))
                if match:
                    base_url = match.group(1)
                    port = int(match.group(2))

    # The launcher prints its line only once listening; check anyway.
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                stop(proc)
                raise RuntimeError("localstripe is not accepting connections")
            time.sleep(0.05)
    return base_url, proc


def register_webhook(base_url: str, url: str, secret: str, events=None,
                     webhook_id: str = "fly2any") -> None:
    """POST {base}/_config/webhooks/{webhook_id} with url, secret (and events[] if given).
    Without events, every event localstripe emits is delivered (customer.*,
    payment_intent.*, ...)."""
    fields = [("url", url), ("secret", secret)]
    fields += [("events[]", e) for e in (events or ())]
    request = urllib.request.Request(
        f"{base_url}/_config/webhooks/{webhook_id}",
        data=urllib.parse.urlencode(fields).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        if response.status != 200:
            raise RuntimeError(f"webhook registration answered {response.status}")


def clear(base_url: str) -> None:
    """Forget every object (DELETE /_config/data); webhook registrations stay."""
    request = urllib.request.Request(f"{base_url}/_config/data", method="DELETE")
    with urllib.request.urlopen(request, timeout=10):
        pass


def stop(process: subprocess.Popen, timeout: float = 10.0) -> None:
    """Terminate the launcher started by start_localstripe and reap it."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout is not None:
        process.stdout.close()
