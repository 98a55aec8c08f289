"""The relay: each outbox event, once, to the topics that should hear of it.

An event goes to the targets of every enabled rule whose pattern matches it and, for a Run
Command status change, to the topic its command's NotificationConfig names. One batch is one
transaction: the messages it publishes and the events it marks relayed commit together, so a
crash repeats a whole batch or none of it. Message ids derive from the event id, so even a
batch repeated by hand publishes nothing twice. On PostgreSQL, replicas relay disjoint
batches (the outbox rows stay locked to the transaction that took them).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from transom.domain.commands import Command
from transom.domain.errors import ApiError
from transom.domain.events import AWS_SSM, Event, Realm
from transom.domain.topics import Message, MessageKind
from transom.events.command_notifications import (
    COMMAND,
    INVOCATION,
    command_message,
    invocation_message,
    notification_topic,
)
from transom.events.envelope import envelope
from transom.events.systems_manager import COMMAND as COMMAND_STATUS_CHANGE
from transom.events.systems_manager import COMMAND_INVOCATION as INVOCATION_STATUS_CHANGE
from transom.events.target_input import render
from transom.services.rules import RuleService
from transom.services.topic_rules import topic_name_of
from transom.services.topics import publish_all
from transom.store.port import Store

log = logging.getLogger(__name__)

_MESSAGE_IDS = uuid.UUID("6f1d8f3e-8a53-4f4e-9a38-2c7b0c6f7a11")
BATCH = 500


def message_id(key: str) -> str:
    """The id of the message the relay publishes for `key` (event id / rule / target, or
    event id / notification): the same on every relay of the event."""
    return str(uuid.uuid5(_MESSAGE_IDS, key))


class EventRelay:
    def __init__(
        self,
        store: Store,
        realm: Realm,
        rules: RuleService,
        published: Callable[[], None] = lambda: None,
    ) -> None:
        """`published` is called after a batch that published something has committed."""
        self._store = store
        self._realm = realm
        self._rules = rules
        self._published = published

    def pending(self) -> bool:
        """Whether any event waits to be relayed."""
        with self._store.read() as tx:
            return tx.has_unrelayed()

    def relay(self) -> int:
        """Relay one batch of the oldest unrelayed events; how many events it relayed."""
        routes = self._rules.enabled_rules_with_targets()
        with self._store.write() as tx:
            if routes:
                batch = tx.unrelayed_events(BATCH)
                seqs = [stored.seq for stored in batch]
                ids = {i for stored in batch if (i := _command_id_of(stored.event)) is not None}
            else:  # no rule: only a notification its command asks for needs an event whole
                heads = tx.unrelayed_heads(BATCH)
                seqs = [head.seq for head in heads]
                ids = {
                    head.command_id
                    for head in heads
                    if head.command_id is not None
                    and _is_status_change(head.source, head.detail_type)
                }
            commands = {c.command_id: c for c in tx.commands_of(ids) if _notifies(c)}
            if not routes:
                batch = tx.events_of([h.seq for h in heads if h.command_id in commands])
            messages: list[Message] = []
            for stored in batch:
                event = stored.event
                document = envelope(event, self._realm) if routes else {}
                for route in routes:
                    if route.pattern.matches(document):
                        for target in route.targets:
                            key = f"{event.event_id}/{route.rule.name}/{target.target_id}"
                            message = self._message(
                                event, target.arn, render(target, document), key
                            )
                            if message is not None:
                                messages.append(message)
                notification = self._notification(event, commands)
                if notification is not None:
                    messages.append(notification)
            for name in publish_all(tx, messages):
                log.warning("events not sent to topic %s: it does not exist", name)
            tx.mark_relayed(seqs)
        if messages:
            self._published()
        return len(seqs)

    def _notification(self, event: Event, commands: Mapping[str, Command]) -> Message | None:
        """The message the command's NotificationConfig asks for on this event, if any
        (`commands`: those of the batch's events that ask for notifications)."""
        command_id = _command_id_of(event)
        command = None if command_id is None else commands.get(command_id)
        if command is None:
            return None
        detail: Mapping[str, Any] = event.detail
        status = str(detail.get("status"))
        if event.detail_type == COMMAND_STATUS_CHANGE:
            arn = notification_topic(command, COMMAND, status)
            body = command_message(command, status, event.time)
        else:
            arn = notification_topic(command, INVOCATION, status)
            instance_id = str(detail.get("instance-id"))
            body = invocation_message(command, instance_id, status, event.time)
        if arn is None:
            return None
        return self._message(event, arn, body, f"{event.event_id}/notification")

    def _message(self, event: Event, arn: str, body: str, key: str) -> Message | None:
        """The notification of `event` to the topic `arn` names; None (logged) when `arn` is
        not a topic ARN of this server."""
        try:
            name = topic_name_of(arn, self._realm)
        except ApiError as error:
            log.warning("event %s not sent to %s: %s", event.event_id, arn, error.message)
            return None
        return Message(
            message_id=message_id(key),
            topic_name=name,
            kind=MessageKind.NOTIFICATION,
            subject=None,
            body=body,
            attributes={},
            created_date=event.time,
        )


def _is_status_change(source: str, detail_type: str) -> bool:
    """Whether an event of this source and detail type is a Run Command status change."""
    return source == AWS_SSM and detail_type in (COMMAND_STATUS_CHANGE, INVOCATION_STATUS_CHANGE)


def _command_id_of(event: Event) -> str | None:
    """The command of a Run Command status change event; None for any other event."""
    if not _is_status_change(event.source, event.detail_type):
        return None
    return str(event.detail.get("command-id"))


def _notifies(command: Command) -> bool:
    """Whether the command asks for notifications (a NotificationConfig)."""
    return bool((command.request or {}).get("NotificationConfig"))
