"""`make demo`'s configuration: SQLite under instance/, migrations on start, demo data."""
import os
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_boots_on_sqlite_and_serves_search_and_sixty_days_of_flights(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "POSTGRES_URL", "SECRET_KEY")}
    env.update(INSTANCE_PATH=str(tmp_path), PORT=str(port))
    proc = subprocess.Popen([sys.executable, "-m", "checkout.demo"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    home = response.read().decode()
                break
            except OSError:
                assert proc.poll() is None, proc.stdout.read()
                assert time.monotonic() < deadline, "demo did not start in time"
                time.sleep(0.3)
        assert ">Search</button>" in home
        last_day = date.today() + timedelta(days=59)
        for destination in ("LHR", "LAX"):
            url = f"http://127.0.0.1:{port}/api/flights?origin=JFK&destination={destination}&date={last_day}&adults=1"
            with urllib.request.urlopen(url, timeout=10) as response:
                assert len(__import__("json").loads(response.read())["offers"]) >= 2
        assert (tmp_path / "demo.sqlite3").exists()
        assert (tmp_path / "demo-secret-key").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()
