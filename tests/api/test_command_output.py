"""The whole output of an invocation through the API: GetCommandInvocation and
ListCommandInvocations carry StandardOutputUrl/StandardErrorUrl, time-limited links to this
server that answer the whole stored output as plain text and refuse anything else."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import pytest

from tests.support.clock import FakeClock
from tests.support.commands import reported
from tests.support.servers import (
    ServerProcess,
    boto3_client,
    database,
    free_port,
    install_test_key,
)
from transom.bootstrap import Settings
from transom.crypto.master_keys import MasterKeys
from transom.services.output_links import LABEL, OutputLinks, OutputStream

STDOUT = "".join(f"line {n:05d} <b>not html</b>\n" for n in range(2000))  # 56,000 chars
STDERR = "warning: é ünïcode\n" * 1000  # 19,000 chars


def _ran(ssm: Any, server: ServerProcess) -> tuple[str, str]:
    """A command that failed on a fresh node, which reported STDOUT and STDERR; its ids."""
    command_id, (instance_id,) = reported(ssm, server.endpoint, STDOUT, STDERR, "Failed")
    return command_id, instance_id


def _with(url: str, **changes: str) -> str:
    """`url` with query values replaced."""
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | changes
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_the_links_give_the_whole_output_as_plain_text(ssm: Any, server: ServerProcess) -> None:
    command_id, instance_id = _ran(ssm, server)
    got = ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id)
    assert len(got["StandardOutputContent"]) == 24_000  # SSM's cut, kept
    assert len(got["StandardErrorContent"]) == 8_000
    assert got["StandardOutputUrl"].startswith(f"{server.endpoint}/v1/commands/{command_id}/")
    out = httpx.get(got["StandardOutputUrl"])
    err = httpx.get(got["StandardErrorUrl"])
    assert (out.status_code, out.text) == (200, STDOUT)
    assert (err.status_code, err.text) == (200, STDERR)
    for answer in (out, err):
        assert answer.headers["content-type"] == "text/plain; charset=utf-8"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["cache-control"] == "no-store"

    (listed,) = ssm.list_command_invocations(CommandId=command_id, Details=True)[
        "CommandInvocations"
    ]
    (plugin,) = listed["CommandPlugins"]
    assert plugin["Name"] == "aws:runShellScript"
    for holder in (listed, plugin):
        assert httpx.get(holder["StandardOutputUrl"]).text == STDOUT
        assert httpx.get(holder["StandardErrorUrl"]).text == STDERR


def test_an_altered_link_is_refused(ssm: Any, server: ServerProcess) -> None:
    command_id, instance_id = _ran(ssm, server)
    url = ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id)[
        "StandardOutputUrl"
    ]
    signature = parse_qs(urlsplit(url).query)["signature"][0]
    altered = [
        url.replace("/stdout?", "/stderr?"),  # the other stream
        _with(url, plugin="aws:runPowerShellScript"),
        _with(url, expires=str(int(parse_qs(urlsplit(url).query)["expires"][0]) + 3600)),
        _with(url, signature=("0" if signature[0] != "0" else "1") + signature[1:]),
        _with(url, signature="é" * 64),
        url.split("?")[0],  # no query at all
    ]
    for link in altered:
        answer = httpx.get(link)
        assert answer.status_code == 403, link
        assert answer.json()["__type"] == "AccessDeniedException"
        assert STDOUT[:100] not in answer.text


def _links(server: ServerProcess, made: datetime) -> OutputLinks:
    """Links as `server` makes them (with its master key file), made at `made`; they only
    sign, so they need no command service."""
    keys = MasterKeys(Settings(data_dir=server.db.data_dir).master_key_path)
    return OutputLinks(
        cast(Any, None), lambda: keys.derived(LABEL), server.endpoint, FakeClock(made)
    )


@pytest.mark.parametrize("age", [timedelta(hours=1, seconds=5), timedelta(days=2)])
def test_an_expired_link_is_refused(ssm: Any, server: ServerProcess, age: timedelta) -> None:
    command_id, instance_id = _ran(ssm, server)
    links = _links(server, datetime.now(UTC) - age)  # valid for an hour from then
    for stream in OutputStream:
        answer = httpx.get(links.url(command_id, instance_id, "aws:runShellScript", stream))
        assert answer.status_code == 403
        assert answer.json() == {
            "__type": "AccessDeniedException",
            "message": "This output link has expired: call GetCommandInvocation again for a "
            "new one.",
        }
    fresh = _links(server, datetime.now(UTC))
    url = fresh.url(command_id, instance_id, "aws:runShellScript", OutputStream.STDOUT)
    assert httpx.get(url).text == STDOUT  # the same link made now is good


def test_a_link_to_an_invocation_no_longer_kept_is_not_found(server: ServerProcess) -> None:
    links = _links(server, datetime.now(UTC))
    url = links.url(str(uuid.uuid4()), "mi-0123456789abcdef0", "x", OutputStream.STDERR)
    answer = httpx.get(url)
    assert answer.status_code == 404
    assert answer.json()["__type"] == "InvocationDoesNotExist"


def test_the_links_name_the_public_url(tmp_path: Path) -> None:
    port = free_port()
    public = f"http://localhost:{port}"  # another name than the 127.0.0.1 it listens on
    with database("sqlite", tmp_path) as db:
        install_test_key(db)
        server = ServerProcess(db, args=["--port", str(port), "--public-url", public + "/"])
        server.start()
        try:
            ssm = boto3_client(server.endpoint)
            command_id, (instance_id,) = reported(ssm, server.endpoint, "out\n", "err\n")
            got = ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id)
            assert got["StandardOutputUrl"].startswith(f"{public}/v1/commands/{command_id}/")
            assert httpx.get(got["StandardErrorUrl"]).text == "err\n"
        finally:
            server.stop()
