"""Starting the Procfile's processes as a deployment would: its exact command lines."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def procfile_command(process: str, port: int | None = None) -> str:
    """The Procfile's command for `process` (web, sweeper, mailer, release), with PORT filled in."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        if name.strip() == process:
            command = command.strip()
            return command.replace("${PORT:-5000}", str(port)) if port is not None else command
    raise AssertionError(f"no {process} process in the Procfile")


def is_faketime_variable(name: str) -> bool:
    """libfaketime's switches (the suite may run with the clock moved: `faketime -f +37d`)."""
    return name == "LD_PRELOAD" or name.startswith("FAKETIME")


def shared_clock() -> dict[str, str]:
    """What makes a process we start see the same (possibly moved) clock as the suite, as
    machines behind one load balancer share the time."""
    return {name: value for name, value in os.environ.items() if is_faketime_variable(name)}


def real_clock_environment() -> dict[str, str]:
    """This environment without libfaketime: for the servers the suite starts (redis-server
    crashes under it; PostgreSQL's clock is never the app's clock)."""
    return {name: value for name, value in os.environ.items() if not is_faketime_variable(name)}
