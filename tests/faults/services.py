"""Private PostgreSQL, Redis and localstripe processes that a fault test may stop, start,
freeze and thaw without touching the machine's shared ones (other test runs use those).

Each listens on 127.0.0.1 on its own free port and keeps its data in a temporary folder.
"""
from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import psycopg
import redis

from offline.control import start_localstripe, stop as stop_process
from tests.process_support import real_clock_environment
from tests.smtp_support import free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _wait_until(ready, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if ready():
                return
        except Exception:  # noqa: BLE001 - not up yet
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not come up within {timeout:.0f}s")
        time.sleep(0.1)


class Freezable:
    """SIGSTOP and SIGCONT for a server's processes: connections stay open (the kernel keeps
    accepting and buffering), nothing answers, as with a hung host. A watchdog thaws them
    after `thaw_after` seconds whatever happens to the test."""

    _frozen: list[int] = []
    _watchdog: threading.Timer | None = None

    def pids(self) -> list[int]:
        raise NotImplementedError

    def freeze(self, thaw_after: float) -> None:
        self.thaw()
        self._frozen = self.pids()
        for pid in self._frozen:
            os.kill(pid, signal.SIGSTOP)
        self._watchdog = threading.Timer(thaw_after, self.thaw)
        self._watchdog.daemon = True
        self._watchdog.start()

    def thaw(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()  # an old watchdog must not thaw a later freeze
            self._watchdog = None
        for pid in reversed(self._frozen):
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        self._frozen = []

    @property
    def frozen(self) -> bool:
        return bool(self._frozen)


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


class PrivatePostgres(Freezable):
    """A throwaway cluster (initdb) on a free port. PostgreSQL refuses to run as root, so
    under root the cluster belongs to the `postgres` account and runs as it."""

    def __init__(self):
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="fly2any-faults-pg-"))
        self.data = self.folder / "data"
        self.user = None
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            self.user = account.pw_name
            os.chown(self.folder, account.pw_uid, account.pw_gid)
        self._run(PG_BIN / "initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--locale=C", "--no-sync")
        self.start()
        self.admin_url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args) -> None:
        done = subprocess.run([str(a) for a in args], user=self.user, capture_output=True, text=True, timeout=120,
                              env=real_clock_environment())
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {done.stdout[-1500:]} {done.stderr[-1500:]}")

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        # Durability is not under test: skip fsync so the cluster starts and stops quickly.
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-l", self.folder / "log", "-o", options, "-w", "start")

    def stop(self) -> None:
        """A fast shutdown, as in a failover or a restart: clients are disconnected at once."""
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def pids(self) -> list[int]:
        """The postmaster first (frozen, it starts no new backend), then every backend and helper."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        return [postmaster, *_children(postmaster)]

    def running(self) -> bool:
        try:
            with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres", connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    def create_database(self, name: str) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

    def destroy(self) -> None:
        if self.running():
            self._run(PG_BIN / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


class PrivateRedis(Freezable):
    """redis-server on a free port, nothing written to disk; stop() and start() keep the port."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=real_clock_environment())
        _wait_until(lambda: redis.Redis(port=self.port, socket_timeout=1).ping(), "redis-server")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def running(self) -> bool:
        return self.process is not None

    def pids(self) -> list[int]:
        return [self.process.pid]


class PrivateStripe(Freezable):
    """A localstripe process. stop() ends it (a restart gets a new port: read base_url);
    freeze() suspends it with SIGSTOP, so connections are accepted and never answered."""

    def __init__(self):
        self.base_url, self.process = start_localstripe()

    def stop(self) -> None:
        self.thaw()
        stop_process(self.process)

    def restart(self) -> str:
        self.stop()
        self.base_url, self.process = start_localstripe()
        return self.base_url

    def pids(self) -> list[int]:
        return [self.process.pid] if self.process.poll() is None else []

    def running(self) -> bool:
        return self.process.poll() is None and not self.frozen
