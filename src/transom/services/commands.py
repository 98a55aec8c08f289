"""Run Command use cases: send, hand work to agents, take their results, cancel, expire, read.

Every state change is a compare-and-set on the invocation's details (and lease), so a late,
repeated or stale report never applies twice, and an invocation is handed out at most once:
until its agent accepts it, the same lease is offered again, and the agent runs a command id
at most once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from transom.domain.clock import Clock
from transom.domain.commands import (
    CANCELLED,
    CANCELLING,
    DELIVERY_TIMED_OUT,
    ERROR_DETAILS,
    EXECUTION_TIMED_OUT,
    FAILED,
    FINAL_DETAILS,
    IN_PROGRESS,
    PENDING,
    SUCCESS,
    TERMINATED,
    UNDELIVERABLE,
    Command,
    Invocation,
    Outcome,
)
from transom.domain.errors import (
    DuplicateInstanceIdError,
    InvalidCommandIdError,
    InvalidInstanceIdError,
    InvocationDoesNotExistError,
    UnsupportedPlatformTypeError,
    ValidationError,
)
from transom.domain.ids import new_uuid
from transom.domain.nodes import Node
from transom.execution.command_status import command_status
from transom.execution.limits import concurrency_limit, error_threshold
from transom.execution.targets import resolve_targets
from transom.services.documents import find_document, resolve_parameters
from transom.store.port import Store, Transaction
from transom.store.ports.commands import InvocationUpdate

Wake = Callable[[Collection[str]], None]
"""Told the node ids that may have new work or cancellations, so their long polls answer."""

_FINAL_OF_STATUS = {
    "Success": SUCCESS,
    "Failed": FAILED,
    "TimedOut": EXECUTION_TIMED_OUT,
    "Cancelled": CANCELLED,
}


_CACHED_COMMANDS = 4096
_FINAL_STATUSES = frozenset({"Success", "Failed", "TimedOut", "Cancelled"})


@dataclasses.dataclass(frozen=True)
class Work:
    """An invocation handed to its node, with what the agent needs to run it."""

    invocation: Invocation
    command: Command
    plugin_name: str
    execution_timeout: int


@dataclasses.dataclass(frozen=True)
class CommandView:
    command: Command
    counts: dict[str, int]

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
        return self.counts.get(DELIVERY_TIMED_OUT, 0)


class CommandService:
    def __init__(self, store: Store, clock: Clock, wake: Wake) -> None:
        self._store = store
        self._clock = clock
        self._wake = wake
        self._cache: dict[str, Command] = {}

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
    ) -> Command:
        """Accept a command for the named nodes, or the nodes `targets` match now."""
        if bool(instance_ids) == bool(targets):
            raise ValidationError(
                "Give exactly one of InstanceIds or Targets to say where the command runs."
            )
        with self._store.write() as tx:
            chosen = list(instance_ids) or resolve_targets(targets, tx.node_tags())
            nodes = {n.instance_id: n for n in tx.nodes_of(chosen)}
            command, invocations = self.prepare(
                nodes.get,
                document_name=document_name,
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
        self._wake(command.instance_ids)
        return command

    def prepare(
        self,
        node_of: Callable[[str], Node | None],
        *,
        document_name: str,
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
    ) -> tuple[Command, list[Invocation]]:
        """A new command and its invocations, validated, for the caller to store. Nodes the
        caller `named` must be registered and of a platform the document runs on."""
        document = find_document(document_name)
        resolved = resolve_parameters(document, parameters)
        _refuse_duplicates(instance_ids)
        nodes = {i: n for i in instance_ids if (n := node_of(i)) is not None}
        if named:
            unknown = [i for i in instance_ids if i not in nodes or nodes[i].deregistered_date]
            if unknown:
                raise InvalidInstanceIdError(
                    f"Instance {unknown[0]} is not a registered managed node "
                    "(DescribeInstanceInformation lists them)."
                )
            for instance_id in instance_ids:
                if nodes[instance_id].facts.platform_type not in document.platform_types:
                    raise UnsupportedPlatformTypeError(
                        f"{document.name} runs on {', '.join(document.platform_types)}; "
                        f"{instance_id} is {nodes[instance_id].facts.platform_type}."
                    )
        now = self._clock.now()
        counts = {PENDING: len(instance_ids)} if instance_ids else {}
        status, details = command_status(
            counts, error_threshold(max_errors, len(instance_ids)), cancelled=False
        )
        command = Command(
            command_id=new_uuid(),
            document_name=document.name,
            parameters=resolved,
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
        )
        invocations = [
            Invocation(
                command.command_id, i, PENDING, now, instance_name=nodes[i].facts.computer_name
            )
            for i in instance_ids
        ]
        return command, invocations

    def wake(self, instance_ids: Collection[str]) -> None:
        """Answer the long polls of these nodes: they may have new work or cancellations."""
        self._wake(instance_ids)

    def _refresh(
        self, tx: Transaction, command: Command, counts: dict[str, int] | None = None
    ) -> Command:
        """Store the command's status as its invocations (counted by details) now say."""
        counts = counts if counts is not None else tx.count_invocations(command.command_id)
        threshold = error_threshold(command.max_errors, sum(counts.values()))
        status, details = command_status(
            counts, threshold, cancelled=command.status_details == "Cancelling"
        )
        if command.status_details == "Cancelling" and details == "In Progress":
            status, details = "Cancelling", "Cancelling"
        if (status, details) != (command.status, command.status_details):
            tx.set_command_status(command.command_id, status, details)
            command = dataclasses.replace(command, status=status, status_details=details)
            if command.window_execution_id and status in _FINAL_STATUSES:
                tx.wake_window_execution(command.window_execution_id, self._clock.now())
        return command

    def work_for_all(self, instance_ids: Sequence[str]) -> list[tuple[list[Work], list[str]]]:
        """For each node, in order: what it may run now (within each command's
        MaxConcurrency), and the command ids it should cancel. One read when none has work,
        one write more when some do."""
        answers: dict[str, tuple[list[Work], list[str]]] = {i: ([], []) for i in instance_ids}
        with self._store.read() as tx:
            found = tx.node_work(instance_ids)
        if not found:
            return [answers[i] for i in instance_ids]  # idle polls: one read, no write
        with self._store.write() as tx:  # every change below is a compare-and-set
            commands = {i.command_id: self._static(tx, i.command_id) for i in found}
            # replicas must not both fill a command's last slot, nor count its results at once
            tx.lock_all(
                {
                    _lock(i.command_id)
                    for i in found
                    if i.details == CANCELLING or _limited(commands[i.command_id])
                }
            )
            for invocation in found:
                work, cancels = answers[invocation.instance_id]
                if invocation.details == CANCELLING and invocation.started_date is None:
                    self._cancel_unaccepted(tx, invocation)
                    continue
                if invocation.details == CANCELLING:
                    cancels.append(invocation.command_id)
                    continue
                command = self._static(tx, invocation.command_id)
                handed = self._hand_out(tx, invocation, command)
                if handed is not None:
                    document = find_document(command.document_name)
                    timeout = int(command.parameters.get("executionTimeout", ["3600"])[0])
                    work.append(Work(handed, command, document.plugin_name, timeout))
        return [answers[i] for i in instance_ids]

    def _cancel_unaccepted(self, tx: Transaction, invocation: Invocation) -> None:
        """The node polls again without having accepted a cancelled invocation: it will
        never run it (an acceptance arriving later no longer matches), so it is Cancelled."""
        if tx.transition(
            invocation.command_id,
            invocation.instance_id,
            (CANCELLING,),
            invocation.lease,
            {"details": CANCELLED, "finished_date": self._clock.now()},
        ):
            self._after_final(tx, invocation.command_id)

    def _hand_out(
        self, tx: Transaction, invocation: Invocation, command: Command
    ) -> Invocation | None:
        """The invocation with a lease, if the node may run it now; None if it must wait."""
        if invocation.details != PENDING:
            return invocation  # handed out before but not accepted: offer the same lease
        if _limited(command) and tx.in_flight(command.command_id) >= concurrency_limit(
            command.max_concurrency, len(command.instance_ids)
        ):
            return None
        now = self._clock.now()
        lease = new_uuid()
        values: InvocationUpdate = {"details": IN_PROGRESS, "lease": lease, "dispatched_date": now}
        if not tx.transition(command.command_id, invocation.instance_id, (PENDING,), None, values):
            return None
        if command.status == "Pending":
            tx.mark_command_started(command.command_id)
            self._cache[command.command_id] = dataclasses.replace(command, status="InProgress")
        return dataclasses.replace(
            invocation, details=IN_PROGRESS, lease=lease, dispatched_date=now
        )

    def report_all(self, reports: Sequence[tuple[str, Sequence[Outcome]]]) -> list[list[str]]:
        """Apply each (node, its outcomes) report in one transaction; for each, the command ids
        the node may forget (applied now, applied before, or stale)."""
        finished: set[str] = set()
        woken: set[str] = set()
        outcomes = sorted(
            ((instance_id, o) for instance_id, batch in reports for o in batch),
            key=lambda pair: pair[1].command_id,
        )
        with self._store.write() as tx:
            # one statement, in key order: results are counted one batch at a time across
            # replicas, and two batches cannot deadlock
            final = {o.command_id for _, o in outcomes if o.status != "InProgress"}
            tx.lock_all({_lock(c) for c in final})
            for instance_id, outcome in outcomes:
                if outcome.status == "InProgress":
                    tx.transition(
                        outcome.command_id,
                        instance_id,
                        (IN_PROGRESS, CANCELLING),
                        outcome.lease,
                        {"started_date": outcome.started_at or self._clock.now()},
                    )
                    continue
                if tx.transition(
                    outcome.command_id,
                    instance_id,
                    (IN_PROGRESS, CANCELLING),
                    outcome.lease,
                    {
                        "details": _FINAL_OF_STATUS.get(outcome.status, FAILED),
                        "response_code": outcome.response_code,
                        "stdout": outcome.stdout,
                        "stderr": outcome.stderr,
                        "started_date": outcome.started_at,
                        "finished_date": outcome.finished_at or self._clock.now(),
                    },
                ):
                    finished.add(outcome.command_id)
            for command_id in sorted(finished):
                woken |= self._after_final(tx, command_id)
        self._wake(woken)
        return [[o.command_id for o in batch] for _, batch in reports]

    def _after_final(self, tx: Transaction, command_id: str) -> set[str]:
        """Stop a command past its error budget; refresh its status; the nodes to wake.
        The caller holds the command's lock (results are counted one at a time)."""
        status = tx.get_command_status(command_id)
        assert status is not None
        command = dataclasses.replace(
            self._static(tx, command_id), status=status[0], status_details=status[1]
        )
        counts = tx.count_invocations(command_id)
        errors = sum(counts.get(d, 0) for d in ERROR_DETAILS)
        if errors > error_threshold(command.max_errors, sum(counts.values())) and counts.get(
            PENDING
        ):
            tx.transition_all(
                command_id, (PENDING,), {"details": TERMINATED, "finished_date": self._clock.now()}
            )
            counts = tx.count_invocations(command_id)
        command = self._refresh(tx, command, counts)
        if not counts.get(PENDING) or command.status not in ("Pending", "InProgress"):
            return set()
        return {i.instance_id for i in tx.list_invocations(command_id) if i.details == PENDING}

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
        nodes to `wake` once it commits."""
        now = self._clock.now()
        command = self._require(tx, command_id)
        invocations = {i.instance_id: i for i in tx.list_invocations(command_id)}
        unknown = [i for i in instance_ids if i not in invocations]
        if unknown:
            raise InvalidInstanceIdError(f"Command {command_id} does not run on {unknown[0]}.")
        chosen = list(instance_ids) or list(invocations)
        for instance_id in chosen:
            if not tx.transition(
                command_id,
                instance_id,
                (PENDING,),
                None,
                {"details": CANCELLED, "finished_date": now},
            ):
                tx.transition(
                    command_id, instance_id, (IN_PROGRESS,), None, {"details": CANCELLING}
                )
        if command.status not in _FINAL_STATUSES:
            command = dataclasses.replace(command, status_details="Cancelling")
            tx.set_command_status(command_id, command.status, "Cancelling")
        self._refresh(tx, command)
        return chosen

    def expire(self) -> int:
        """Mark invocations never accepted before their command expired Delivery Timed Out,
        and those left unfinished on a deregistered node Undeliverable (its agent can no
        longer take or report them); the count."""
        now = self._clock.now()
        ended = 0
        with self._store.read() as tx:
            stranded, undelivered = tx.stranded(), tx.undelivered(now)
        if not stranded and not undelivered:
            return 0  # the usual pass: one read, no write
        with self._store.write() as tx:  # every change below is a compare-and-set
            touched: set[str] = set()
            # before any row changes, as every other path does: no lock cycle with them
            tx.lock_all({_lock(i.command_id) for i in [*stranded, *undelivered]})
            for invocations, details in (
                (stranded, UNDELIVERABLE),
                (undelivered, DELIVERY_TIMED_OUT),
            ):
                for invocation in invocations:
                    if tx.transition(
                        invocation.command_id,
                        invocation.instance_id,
                        (invocation.details,),
                        invocation.lease,
                        {"details": details, "finished_date": now},
                    ):
                        ended += 1
                        touched.add(invocation.command_id)
            for command_id in sorted(touched):
                self._after_final(tx, command_id)
        return ended

    # reads
    def _static(self, tx: Transaction, command_id: str) -> Command:
        """The command, from a bounded cache: only what never changes after SendCommand may
        be read from it. Its status is a hint (`_hand_out` marks a command started only while
        the hint says Pending); read the real one with `get_command_status`."""
        command = self._cache.get(command_id)
        if command is None:
            command = self._require(tx, command_id)
            if len(self._cache) >= _CACHED_COMMANDS:
                del self._cache[next(iter(self._cache))]
            self._cache[command_id] = command
        return command

    def _require(self, tx: Transaction, command_id: str) -> Command:
        command = tx.get_command(command_id)
        if command is None:
            raise InvalidCommandIdError(f"Command {command_id} does not exist.")
        return command

    def view(self, command_id: str) -> CommandView:
        with self._store.read() as tx:
            command = self._require(tx, command_id)
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
                self._require(tx, command_id)
            found = tx.list_invocations(command_id, instance_id)
            commands = {c: tx.get_command(c) for c in {i.command_id for i in found}}
        return [(i, c) for i in found if (c := commands[i.command_id]) is not None]

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


def _lock(command_id: str) -> str:
    """The key of the lock that serializes a command's hand-outs and result counting."""
    return f"command:{command_id}"


def _limited(command: Command) -> bool:
    """Whether MaxConcurrency holds back some of the command's invocations."""
    targets = len(command.instance_ids)
    return concurrency_limit(command.max_concurrency, targets) < targets


def _refuse_duplicates(instance_ids: Sequence[str]) -> None:
    seen: set[str] = set()
    for instance_id in instance_ids:
        if instance_id in seen:
            raise DuplicateInstanceIdError(f"Instance {instance_id} is listed more than once.")
        seen.add(instance_id)
