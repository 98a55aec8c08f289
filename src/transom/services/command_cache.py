"""The commands this replica has read, kept for the Run Command hot paths."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection

from transom.domain.commands import Command, CommandStatus
from transom.domain.errors import InvalidCommandIdError
from transom.store.port import Transaction

CAPACITY = 4096
"""Commands kept; past it the oldest entry goes."""


class CommandCache:
    """Commands by id, read through from the store once per replica.

    The rule that keeps replicas coherent, and the only one: an entry holds what SendCommand
    fixed (document, parameters, instance ids, targets, limits, timeout, window execution).
    None of that ever changes and command ids are never reused, so an entry is never stale
    and nothing is ever invalidated (a purged command's entry is dead weight that ages out).
    An entry's `status` is only a hint that lags behind: `started` is True once this replica
    saw the command leave Pending, which never reverses. Read the real status from the store
    (`get_command_status`).
    """

    def __init__(self, capacity: int = CAPACITY) -> None:
        self._capacity = capacity
        self._commands: dict[str, Command] = {}

    def get(self, tx: Transaction, command_id: str) -> Command:
        """The command; `InvalidCommandIdError` when it does not exist."""
        command = self._commands.get(command_id)
        if command is None:
            command = tx.get_command(command_id)
            if command is None:
                raise InvalidCommandIdError(f"Command {command_id} does not exist.")
            self._keep(command)
        return command

    def get_all(self, tx: Transaction, command_ids: Collection[str]) -> dict[str, Command]:
        """These commands by id, those not cached read in one statement;
        `InvalidCommandIdError` when one does not exist."""
        found = {i: c for i in command_ids if (c := self._commands.get(i)) is not None}
        missing = [i for i in command_ids if i not in found]
        if missing:
            for command in tx.commands_of(missing):
                self._keep(command)
                found[command.command_id] = command
            for command_id in missing:
                if command_id not in found:
                    raise InvalidCommandIdError(f"Command {command_id} does not exist.")
        return found

    def _keep(self, command: Command) -> None:
        if len(self._commands) >= self._capacity:
            del self._commands[next(iter(self._commands))]
        self._commands[command.command_id] = command

    def started(self, command: Command) -> bool:
        """Whether the command is known to have left Pending (False may be out of date)."""
        return command.status != CommandStatus.PENDING

    def note_started(self, command: Command) -> None:
        """Remember that the command left Pending."""
        if command.command_id in self._commands:
            self._commands[command.command_id] = dataclasses.replace(
                command, status=CommandStatus.IN_PROGRESS
            )
