"""Run Command's API use cases: send, cancel, read.

Every state change is a compare-and-set on the invocation's details (and lease), and every
status change an event in the same transaction; the agents' side of the same records is
`services.dispatch` and `services.result_intake`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from transom.domain.clock import Clock
from transom.domain.commands import (
    ERROR_DETAILS,
    FINAL_DETAILS,
    FINAL_STATUSES,
    Command,
    CommandDetails,
    CommandStatus,
    Invocation,
    InvocationDetails,
    PluginRun,
)
from transom.domain.errors import (
    DuplicateInstanceIdError,
    InvalidCommandIdError,
    InvalidInstanceIdError,
    InvalidNotificationConfigError,
    InvocationDoesNotExistError,
    UnsupportedPlatformTypeError,
    ValidationError,
)
from transom.domain.events import Event
from transom.domain.ids import new_uuid
from transom.domain.nodes import Node
from transom.events import systems_manager as ssm_events
from transom.execution.command_status import command_status
from transom.execution.limits import error_threshold
from transom.execution.node_selection import resolve_targets
from transom.services.command_progress import CommandProgress
from transom.services.documents import Resolved, check_hash, find_in
from transom.services.notification_config import check_notification_config
from transom.store.port import Store, Transaction
from transom.store.ports.changes import Change

Wake = Callable[[Collection[str]], None]
NodeCheck = Callable[[Sequence[str], Callable[[], Mapping[str, Mapping[str, str]]]], None]
"""Asked about a command's nodes (their ids, and a reader of every node's tags by id)."""
"""Told the node ids that may have new work or cancellations, so their long polls answer."""


@dataclasses.dataclass(frozen=True)
class CommandView:
    command: Command
    counts: dict[InvocationDetails, int]

    @property
    def target_count(self) -> int:
        return sum(self.counts.values())

    @property
    def completed_count(self) -> int:
        return sum(n for d, n in self.counts.items() if d in FINAL_DETAILS)

    @property
    def error_count(self) -> int:
        return sum(n for d, n in self.counts.items() if d in ERROR_DETAILS)

    @property
    def delivery_timed_out_count(self) -> int:
        return self.counts.get(InvocationDetails.DELIVERY_TIMED_OUT, 0)


class CommandService:
    """The Run Command API's use cases: send, cancel, read. Agents' side: `Dispatcher`,
    `ResultIntake`; invocations nobody will report: `CommandExpiry`."""

    def __init__(self, store: Store, clock: Clock, wake: Wake, progress: CommandProgress) -> None:
        self._store = store
        self._clock = clock
        self._wake = wake
        self._progress = progress

    def send(
        self,
        *,
        document_name: str,
        parameters: Mapping[str, Sequence[str]],
        instance_ids: Sequence[str],
        targets: Sequence[Mapping[str, Any]],
        timeout_seconds: int = 3600,
        max_concurrency: str = "50",
        max_errors: str = "0",
        comment: str = "",
        request: Mapping[str, Any] | None = None,
        document_version: str | None = None,
        document_hash: str | None = None,
        document_hash_type: str | None = None,
        authorize: NodeCheck = lambda _ids, _tags: None,
    ) -> Command:
        """Accept a command for the named nodes, or the nodes `targets` match now, running
        the document's `document_version` (its default when None); `authorize` is asked about
        the nodes once they are known, before anything is written, and raises to refuse."""
        if bool(instance_ids) == bool(targets):
            raise ValidationError(
                "Give exactly one of InstanceIds or Targets to say where the command runs."
            )
        with self._store.write() as tx:
            check_notification_config(
                tx,
                (request or {}).get("NotificationConfig"),
                self._progress.realm,
                InvalidNotificationConfigError,
            )
            document = find_in(tx, document_name, document_version)
            check_hash(document, document_hash, document_hash_type)
            nodes: dict[str, Node] = {}
            names = None
            if instance_ids:
                chosen = list(instance_ids)
                authorize(chosen, tx.node_tags)
                nodes = {n.instance_id: n for n in tx.nodes_of(chosen)}
            else:  # registered nodes: their names are all the command needs of them
                tags = tx.node_tags()
                chosen = resolve_targets(targets, tags)
                authorize(chosen, lambda: tags)
                names = tx.node_names()
            command, invocations = self.prepare(
                nodes.get,
                names=names,
                document=document,
                parameters=parameters,
                instance_ids=chosen,
                named=bool(instance_ids),
                targets=targets,
                timeout_seconds=timeout_seconds,
                max_concurrency=max_concurrency,
                max_errors=max_errors,
                comment=comment,
                request=request,
            )
            tx.insert_command(command, invocations)
            tx.append_events(ssm_events.command_sent(self._progress.realm, command, invocations))
            tx.announce(Change.COMMANDS)
        self._wake(command.instance_ids)
        return command

    def prepare(
        self,
        node_of: Callable[[str], Node | None],
        *,
        document: Resolved,
        parameters: Mapping[str, Sequence[str]],
        instance_ids: Sequence[str],
        named: bool = True,
        targets: Sequence[Mapping[str, Any]] = (),
        timeout_seconds: int = 3600,
        max_concurrency: str = "50",
        max_errors: str = "0",
        comment: str = "",
        request: Mapping[str, Any] | None = None,
        window_execution_id: str | None = None,
        names: Mapping[str, str] | None = None,
    ) -> tuple[Command, list[Invocation]]:
        """A new command and its invocations, validated, for the caller to store. Nodes the
        caller `named` must be registered and of a platform the document runs on. `names`,
        when given, are the nodes' computer names (of registered nodes the caller chose by
        their targets, not `named`): `node_of` is not asked then."""
        document.runs(parameters)  # refuses what the document does not take
        _refuse_duplicates(instance_ids)
        if names is None:
            nodes = {i: n for i in instance_ids if (n := node_of(i)) is not None}
            if named:
                _refuse_unrunnable(nodes, instance_ids, document)
            names = {i: n.facts.computer_name for i, n in nodes.items()}
        now = self._clock.now()
        counts = {InvocationDetails.PENDING: len(instance_ids)} if instance_ids else {}
        status, details = command_status(
            counts, error_threshold(max_errors, len(instance_ids)), cancelled=False
        )
        command = Command(
            command_id=new_uuid(),
            document_name=document.name,
            parameters={name: list(values) for name, values in parameters.items()},
            instance_ids=list(instance_ids),
            targets=[dict(t) for t in targets],
            requested_date=now,
            expires_after=now + timedelta(seconds=timeout_seconds),
            timeout_seconds=timeout_seconds,
            max_concurrency=max_concurrency,
            max_errors=max_errors,
            status=status,
            status_details=details,
            comment=comment,
            request=dict(request or {}),
            window_execution_id=window_execution_id,
            document_version=None if document.document.owner else str(document.version.version),
        )
        invocations = [
            Invocation(
                command.command_id, i, InvocationDetails.PENDING, now, instance_name=names[i]
            )
            for i in instance_ids
        ]
        return command, invocations

    def wake(self, instance_ids: Collection[str]) -> None:
        """Answer the long polls of these nodes: they may have new work or cancellations."""
        self._wake(instance_ids)

    def cancel(self, command_id: str, instance_ids: Sequence[str]) -> None:
        """Cancel pending invocations at once and ask agents to stop running ones."""
        _refuse_duplicates(instance_ids)
        with self._store.write() as tx:
            chosen = self.cancel_in(tx, command_id, instance_ids)
        self._wake(chosen)

    def cancel_in(
        self, tx: Transaction, command_id: str, instance_ids: Sequence[str] = ()
    ) -> list[str]:
        """`cancel` (all nodes when none are named) inside the caller's transaction; the
        nodes to `wake` once it commits (other replicas' polls are told when it commits)."""
        now = self._clock.now()
        command = _require(tx, command_id)
        invocations = {i.instance_id: i for i in tx.list_invocations(command_id)}
        unknown = [i for i in instance_ids if i not in invocations]
        if unknown:
            raise InvalidInstanceIdError(f"Command {command_id} does not run on {unknown[0]}.")
        chosen = list(instance_ids) or list(invocations)
        events: list[Event] = []
        for instance_id in chosen:
            if tx.transition(
                command_id,
                instance_id,
                (InvocationDetails.PENDING,),
                None,
                {"details": InvocationDetails.CANCELLED, "finished_date": now},
            ):
                status = CommandStatus.CANCELLED
            elif tx.transition(
                command_id,
                instance_id,
                (InvocationDetails.IN_PROGRESS,),
                None,
                {"details": InvocationDetails.CANCELLING},
            ):
                status = CommandStatus.CANCELLING
            else:
                continue
            realm = self._progress.realm
            events.append(ssm_events.invocation_status(realm, command, instance_id, status, now))
        tx.append_events(events)
        if command.status not in FINAL_STATUSES:
            command = dataclasses.replace(command, status_details=CommandDetails.CANCELLING)
            tx.set_command_status(command_id, command.status, CommandDetails.CANCELLING)
        self._progress.refresh(tx, command)
        if chosen:
            tx.announce(Change.COMMANDS)
        return chosen

    def view(self, command_id: str) -> CommandView:
        with self._store.read() as tx:
            command = _require(tx, command_id)
            return CommandView(command, tx.count_invocations(command_id))

    def views(self, commands: Iterable[Command]) -> list[CommandView]:
        with self._store.read() as tx:
            return [CommandView(c, tx.count_invocations(c.command_id)) for c in commands]

    def commands(self) -> list[Command]:
        with self._store.read() as tx:
            return tx.list_commands()

    def invocations(
        self, command_id: str | None, instance_id: str | None
    ) -> list[tuple[Invocation, Command]]:
        with self._store.read() as tx:
            if command_id is not None:
                _require(tx, command_id)
            found = tx.list_invocations(command_id, instance_id)
            commands = {c: tx.get_command(c) for c in {i.command_id for i in found}}
        return [(i, c) for i in found if (c := commands[i.command_id]) is not None]

    def plugins(
        self, command_id: str, instance_id: str | None = None
    ) -> dict[str, list[PluginRun]]:
        """The steps' results the agents reported for the command's invocations (on one node
        when given), by node, in document order; an invocation without (not ended, ended by
        the server, or reported by an agent of wire version 1) is absent."""
        with self._store.read() as tx:
            return tx.list_plugins(command_id, instance_id)

    def invocation(self, command_id: str, instance_id: str) -> tuple[Invocation, Command]:
        """Raises InvocationDoesNotExistError until the invocation exists (waiters retry)."""
        with self._store.read() as tx:
            invocation = tx.get_invocation(command_id, instance_id)
            command = tx.get_command(command_id)
        if invocation is None or command is None:
            raise InvocationDoesNotExistError(
                f"No invocation of command {command_id} on {instance_id} (yet)."
            )
        return invocation, command


def _require(tx: Transaction, command_id: str) -> Command:
    """The command as stored now; `InvalidCommandIdError` when it does not exist."""
    command = tx.get_command(command_id)
    if command is None:
        raise InvalidCommandIdError(f"Command {command_id} does not exist.")
    return command


def _refuse_unrunnable(
    nodes: Mapping[str, Node], instance_ids: Sequence[str], document: Resolved
) -> None:
    """Refuse nodes named that are not registered or of a platform the document runs on."""
    unknown = [i for i in instance_ids if i not in nodes or nodes[i].deregistered_date]
    if unknown:
        raise InvalidInstanceIdError(
            f"Instance {unknown[0]} is not a registered managed node "
            "(DescribeInstanceInformation lists them)."
        )
    platform_types = document.content.platform_types
    for instance_id in instance_ids:
        if nodes[instance_id].facts.platform_type not in platform_types:
            raise UnsupportedPlatformTypeError(
                f"{document.name} runs on {', '.join(platform_types)}; "
                f"{instance_id} is {nodes[instance_id].facts.platform_type}."
            )


def _refuse_duplicates(instance_ids: Sequence[str]) -> None:
    seen: set[str] = set()
    for instance_id in instance_ids:
        if instance_id in seen:
            raise DuplicateInstanceIdError(f"Instance {instance_id} is listed more than once.")
        seen.add(instance_id)
