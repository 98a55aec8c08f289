"""A real SMTP server on loopback (aiosmtpd) keeping every mail it is sent."""

from __future__ import annotations

import email
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller

from tests.support.servers import free_port


class Mailbox:
    """An aiosmtpd handler keeping what it is sent."""

    def __init__(self) -> None:
        self.mails: list[Message] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        with self._lock:
            self.mails.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def with_subject(self, subject: str) -> list[Message]:
        with self._lock:
            return [m for m in self.mails if m["Subject"] == subject]


def body(mail: Message) -> str:
    """A single-part mail's text, with `\n` line ends (SMTP carries `\r\n`)."""
    payload = mail.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode().replace("\r\n", "\n")


@contextmanager
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    """A running SMTP server on 127.0.0.1: its mailbox and port."""
    box, port = Mailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()
