"""The command cache: read through once, never stale for what it may be asked, bounded."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any, cast

import pytest

from transom.domain.commands import Command, CommandDetails, CommandStatus
from transom.domain.errors import InvalidCommandIdError
from transom.services.command_cache import CommandCache
from transom.store.port import Transaction

NOW = datetime(2026, 12, 7, tzinfo=UTC)


def _command(command_id: str, status: CommandStatus = CommandStatus.PENDING) -> Command:
    return Command(
        command_id=command_id,
        document_name="AWS-RunShellScript",
        parameters={"commands": ["true"]},
        instance_ids=["mi-1"],
        targets=[],
        requested_date=NOW,
        expires_after=NOW,
        timeout_seconds=60,
        max_concurrency="1",
        max_errors="0",
        status=status,
        status_details=CommandDetails.PENDING,
    )


class _Reads:
    """A transaction that knows some commands and counts the reads."""

    def __init__(self, *commands: Command) -> None:
        self.commands = {c.command_id: c for c in commands}
        self.reads = 0

    def get_command(self, command_id: str) -> Command | None:
        self.reads += 1
        return self.commands.get(command_id)

    def commands_of(self, command_ids: Collection[str]) -> list[Command]:
        self.reads += 1
        return [self.commands[i] for i in command_ids if i in self.commands]


def _tx(reads: _Reads) -> Transaction:
    return cast(Transaction, cast(Any, reads))


def test_it_reads_a_command_from_the_store_once() -> None:
    reads = _Reads(_command("c1"))
    cache = CommandCache()
    assert cache.get(_tx(reads), "c1") == cache.get(_tx(reads), "c1") == _command("c1")
    assert reads.reads == 1


def test_an_unknown_command_is_an_invalid_command_id_and_is_not_cached() -> None:
    reads = _Reads()
    cache = CommandCache()
    for _ in range(2):
        with pytest.raises(InvalidCommandIdError, match="c9 does not exist"):
            cache.get(_tx(reads), "c9")
    assert reads.reads == 2


def test_many_are_read_in_one_read_those_cached_not_again() -> None:
    reads = _Reads(*(_command(f"c{i}") for i in range(3)))
    cache = CommandCache()
    cache.get(_tx(reads), "c0")
    assert cache.get_all(_tx(reads), ["c0", "c1", "c2"]) == {
        f"c{i}": _command(f"c{i}") for i in range(3)
    }
    assert reads.reads == 2
    assert cache.get_all(_tx(reads), ["c2", "c1"]) == {"c1": _command("c1"), "c2": _command("c2")}
    assert cache.get_all(_tx(reads), []) == {}
    assert reads.reads == 2


def test_one_unknown_among_many_is_an_invalid_command_id() -> None:
    reads = _Reads(_command("c1"))
    cache = CommandCache()
    with pytest.raises(InvalidCommandIdError, match="c9 does not exist"):
        cache.get_all(_tx(reads), ["c1", "c9"])
    assert cache.get(_tx(reads), "c1") == _command("c1")
    assert reads.reads == 1


def test_past_its_capacity_the_oldest_entry_goes() -> None:
    reads = _Reads(*(_command(f"c{i}") for i in range(3)))
    cache = CommandCache(capacity=2)
    for i in range(3):
        cache.get(_tx(reads), f"c{i}")
    cache.get(_tx(reads), "c2")
    assert reads.reads == 3
    cache.get(_tx(reads), "c0")
    assert reads.reads == 4


def test_the_started_hint_only_moves_forward() -> None:
    reads = _Reads(_command("c1"))
    cache = CommandCache()
    command = cache.get(_tx(reads), "c1")
    assert not cache.started(command)
    cache.note_started(command)
    again = cache.get(_tx(reads), "c1")
    assert cache.started(again)
    assert dataclasses.replace(again, status=CommandStatus.PENDING) == command
    assert cache.started(_command("c2", CommandStatus.SUCCESS))
