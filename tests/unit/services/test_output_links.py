"""Output links' keys come from the master key file, so a rotation under way keeps the links
made before it valid, and retiring the old key ends them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from tests.support.clock import FakeClock
from transom.crypto.master_keys import MasterKeys
from transom.domain.commands import Invocation, InvocationDetails
from transom.domain.errors import OutputLinkRefusedError
from transom.services.output_links import LABEL, OutputLinks, OutputStream


class _Commands:
    """The calls the links make: every invocation printed `out` and `err`, its steps
    not reported apart."""

    def invocation(self, command_id: str, instance_id: str) -> tuple[Invocation, None]:
        found = Invocation(command_id, instance_id, InvocationDetails.SUCCESS, datetime.now(UTC))
        return replace(found, stdout="out", stderr="err"), None

    def plugins(self, _command_id: str, _instance_id: str) -> dict[str, list[Any]]:
        return {}  # no step reported apart: a plugin's output is the invocation's


def _read(links: OutputLinks, url: str) -> str:
    parts = urlsplit(url)
    *_, command_id, _, instance_id, stream = parts.path.split("/")
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    return links.read(
        unquote(command_id),
        unquote(instance_id),
        stream,
        query["plugin"],
        query["expires"],
        query["signature"],
    )


def test_derived_keys_follow_the_master_key_file_through_a_rotation(tmp_path: Path) -> None:
    keys = MasterKeys(tmp_path / "master-key")
    (first,) = keys.derived(b"links")
    assert keys.derived(b"other") != [first]
    assert MasterKeys(tmp_path / "master-key").derived(b"links") == [first]  # every replica
    keys.add_new()
    new, old = keys.derived(b"links")
    assert (old, len(new)) == (first, 32)
    keys.retire_old()
    assert keys.derived(b"links") == [new]


def test_links_made_before_a_rotation_hold_until_the_old_key_is_retired(tmp_path: Path) -> None:
    keys = MasterKeys(tmp_path / "master-key")
    links = OutputLinks(
        cast(Any, _Commands()),
        lambda: keys.derived(LABEL),
        "https://transom.example/",
        FakeClock(datetime.now(UTC)),
    )
    url = links.url("c-1", "mi-1", "step one/two", OutputStream.STDERR)
    assert url.startswith("https://transom.example/v1/commands/c-1/invocations/mi-1/stderr?")
    assert _read(links, url) == "err"
    keys.add_new()
    assert _read(links, url) == "err"
    assert _read(links, links.url("c-1", "mi-1", "p", OutputStream.STDOUT)) == "out"
    keys.retire_old()
    with pytest.raises(OutputLinkRefusedError, match="not made by this server"):
        _read(links, url)
