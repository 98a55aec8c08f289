"""The senders: one attempt to deliver a message to its subscription, by protocol.

An attempt succeeds or raises `DeliveryFailed` saying why. HTTP/S deliveries are SNS's
(`sns_messages`): a POST of the signed JSON document as `text/plain`, or the bare message
with RawMessageDelivery `true`, or `{"text": ...}` as `application/json` with ChatFormat
`text`; any 2xx answer within the timeout is a delivery, redirects are not followed. Email
deliveries go through the SMTP server (`smtp`): `email` sends the message as plain text,
`email-json` the JSON document.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from email.message import EmailMessage
from pathlib import Path

import aiohttp

from transom.domain.topics import Delivery, MessageKind
from transom.events.endpoints import shown_endpoint
from transom.events.smtp import SmtpServer
from transom.events.sns_messages import CHAT_FORMAT, RAW_MESSAGE_DELIVERY, SnsMessages, chat_text

USER_AGENT = "Transom Simple Notification Service Agent"
DEFAULT_SUBJECT = "AWS Notification Message"
CONFIRMATION_SUBJECT = "AWS Notification - Subscription Confirmation"


class DeliveryFailed(Exception):
    """An attempt failed; the message says why, without the endpoint's secrets."""


def tls_context(ca_bundle: Path | None) -> ssl.SSLContext:
    """The system's trusted certificates, and those in `ca_bundle` (PEM) too if given."""
    context = ssl.create_default_context()
    if ca_bundle is not None:
        context.load_verify_locations(cafile=ca_bundle)
    return context


class Senders:
    def __init__(
        self,
        messages: SnsMessages,
        smtp: SmtpServer | None,
        tls: ssl.SSLContext,
        timeout: float = 10.0,
    ) -> None:
        self.messages = messages
        self._smtp = smtp
        self._tls = tls
        self._timeout = timeout
        self._client: aiohttp.ClientSession | None = None

    async def send(self, delivery: Delivery) -> None:
        """One attempt; `DeliveryFailed` when it fails."""
        protocol = delivery.subscription.protocol
        if protocol in ("http", "https"):
            await self._post(delivery)
        elif protocol in ("email", "email-json"):
            await self._mail(delivery)
        else:
            raise DeliveryFailed(f"Transom cannot deliver to {protocol!r} subscriptions")

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    # http/https

    async def _post(self, delivery: Delivery) -> None:
        if self._client is None:
            self._client = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(ssl=self._tls, limit=0, limit_per_host=64),
                timeout=aiohttp.ClientTimeout(total=self._timeout),
                skip_auto_headers=("User-Agent",),
            )
        content, headers = self._http_request(delivery)
        endpoint = delivery.subscription.endpoint
        try:
            async with self._client.post(
                endpoint, data=content, headers=headers, allow_redirects=False
            ) as answer:
                await answer.read()
                status = answer.status
        except TimeoutError:
            raise DeliveryFailed(
                f"no answer from {shown_endpoint(endpoint)} within {self._timeout:g} s"
            ) from None
        except (aiohttp.ClientError, ValueError) as exc:
            raise DeliveryFailed(
                f"cannot reach {shown_endpoint(endpoint)}: {type(exc).__name__}: {exc}"
            ) from None
        if not 200 <= status < 300:
            raise DeliveryFailed(f"{shown_endpoint(endpoint)} answered HTTP {status}")

    def _http_request(self, delivery: Delivery) -> tuple[bytes, dict[str, str]]:
        message, attributes = delivery.message, delivery.subscription.attributes
        headers = {"User-Agent": USER_AGENT, **self.messages.headers(delivery)}
        if attributes.get(CHAT_FORMAT) == "text":
            if message.kind is MessageKind.NOTIFICATION:
                text = chat_text(message)
            else:
                text = (
                    f"{message.kind.value} for {self.messages.topic_arn(message.topic_name)}: "
                    f"visit {self.messages.subscribe_url(message)}"
                )
            headers["Content-Type"] = "application/json"
            return json.dumps({"text": text}).encode(), headers
        headers["Content-Type"] = "text/plain; charset=UTF-8"
        if (
            message.kind is MessageKind.NOTIFICATION
            and attributes.get(RAW_MESSAGE_DELIVERY) == "true"
        ):
            headers["x-amz-sns-rawdelivery"] = "true"
            return message.body.encode(), headers
        return json.dumps(self.messages.document(delivery)).encode(), headers

    # email/email-json

    async def _mail(self, delivery: Delivery) -> None:
        if self._smtp is None:
            raise DeliveryFailed("no SMTP server: start Transom with --smtp-url")
        mail = self._email(delivery, self._smtp.sender)
        try:
            await asyncio.to_thread(self._smtp.send, mail, self._timeout, self._tls)
        except (OSError, ValueError) as exc:  # smtplib's errors are OSErrors
            raise DeliveryFailed(
                f"cannot mail {delivery.subscription.endpoint} through "
                f"{self._smtp.host}:{self._smtp.port}: {type(exc).__name__}: {exc}"
            ) from None

    def _email(self, delivery: Delivery, sender: str) -> EmailMessage:
        message, subscription = delivery.message, delivery.subscription
        mail = EmailMessage()
        mail["From"] = sender
        mail["To"] = subscription.endpoint
        mail["X-Amz-Sns-Message-Id"] = message.message_id
        if message.kind is not MessageKind.NOTIFICATION:
            mail["Subject"] = CONFIRMATION_SUBJECT
        else:
            mail["Subject"] = message.subject or DEFAULT_SUBJECT
        if subscription.protocol == "email-json":
            mail.set_content(json.dumps(self.messages.document(delivery), indent=2))
        elif message.kind is not MessageKind.NOTIFICATION:
            topic_arn = self.messages.topic_arn(message.topic_name)
            mail.set_content(
                f"You have chosen to subscribe to the topic:\n{topic_arn}\n\n"
                "To confirm this subscription, click or visit the link below "
                "(If this was in error no action is necessary):\n"
                f"{self.messages.subscribe_url(message)}\n"
            )
        else:
            mail.set_content(
                f"{message.body}\n\n--\n"
                "If you wish to stop receiving notifications from this topic, please click or "
                "visit the link below to unsubscribe:\n"
                f"{self.messages.unsubscribe_url(subscription)}\n"
            )
        return mail
