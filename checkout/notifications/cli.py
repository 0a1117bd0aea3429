"""`flask send-emails [--loop]`: the outbox worker (Procfile: `worker: flask send-emails --loop`)."""
from __future__ import annotations

import signal
import threading

import click
from flask import Flask


def register_cli(app: Flask) -> None:
    @app.cli.command("send-emails")
    @click.option("--loop", is_flag=True, help="Keep running, sending new emails as they are queued.")
    @click.option("--interval", default=5.0, show_default=True, help="Seconds between rounds with --loop.")
    @click.option("--limit", default=50, show_default=True, help="Most emails sent per round.")
    def send_emails(loop: bool, interval: float, limit: int):
        """Send the emails that are due from the outbox (once, or forever with --loop)."""
        from .sender import run_forever, send_due

        if not loop:
            click.echo(f"Sent {send_due(limit=limit)} email(s).")
            return
        stop = threading.Event()
        # On SIGTERM (deploys) or Ctrl-C, finish the round in hand, then leave.
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        click.echo(f"Sending emails every {interval:g}s; stop with Ctrl-C.")
        run_forever(interval=interval, limit=limit, stop=stop)
