"""Starting the Procfile's processes as a deployment would: its exact command lines."""
from __future__ import annotations

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
