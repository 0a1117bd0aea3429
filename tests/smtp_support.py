"""A real SMTP server for tests (aiosmtpd), and pointing the app's mail settings at it."""
from __future__ import annotations

import socket
from email import message_from_bytes, policy
from email.message import EmailMessage

SENDER = "Fly2Any <bookings@fly2any.test>"


class Inbox:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self):
        self.messages: list[tuple[str, list[str], EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    @property
    def received(self) -> list[tuple[list[str], EmailMessage]]:
        return [(rcpts, message) for _, rcpts, message in self.messages]

    def to(self, address: str) -> list[EmailMessage]:
        return [message for _, rcpts, message in self.messages if address in rcpts]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def point_mail_at(monkeypatch, app, **values) -> None:
    """Set MAIL_* for one test; monkeypatch puts the session-wide app.config back after."""
    settings = {"MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1", "MAIL_USE_TLS": False, "MAIL_USE_SSL": False,
                "MAIL_USERNAME": "", "MAIL_PASSWORD": "", "MAIL_DEFAULT_SENDER": SENDER, "MAIL_TIMEOUT": 5}
    settings.update(values)
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
