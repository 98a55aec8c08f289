"""The SMTP server email deliveries go through, given as a URL.

`smtp://[user:password@]host[:port][?from=ADDRESS]` (port 25), `smtp+starttls://...` (port
587, STARTTLS before logging in) or `smtps://...` (port 465, TLS from the start). `from` is
the sender address (default `transom@localhost`).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


@dataclass(frozen=True)
class SmtpServer:
    scheme: str
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    sender: str = "transom@localhost"

    @classmethod
    def parse(cls, url: str) -> SmtpServer:
        """`ValueError` saying what is wrong with the URL."""
        parts = urlsplit(url)
        if parts.scheme not in _PORTS:
            raise ValueError(
                f"the SMTP URL must start smtp://, smtp+starttls:// or smtps://; got {url!r}"
            )
        if not parts.hostname:
            raise ValueError(f"the SMTP URL names no host: {url!r}")
        sender = parse_qs(parts.query).get("from", ["transom@localhost"])[0]
        return cls(
            scheme=parts.scheme,
            host=parts.hostname,
            port=parts.port or _PORTS[parts.scheme],
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            sender=sender,
        )

    def send(self, mail: EmailMessage, timeout: float, tls: ssl.SSLContext) -> None:
        """Send `mail` (blocking); smtplib's and socket errors when that fails."""
        client: smtplib.SMTP
        if self.scheme == "smtps":
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=timeout, context=tls)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=timeout)
        with client:
            if self.scheme == "smtp+starttls":
                client.starttls(context=tls)
            if self.username is not None:
                client.login(self.username, self.password or "")
            client.send_message(mail)
