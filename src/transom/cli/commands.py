"""`transom command`: Run Command on a running server, through its API.

Credentials, profile and region are found as the `aws` CLI finds them (botocore's session).
`output` reads GetCommandInvocation, then the whole output from its StandardOutputUrl (or
StandardErrorUrl), a link to the server's public URL. Exit codes: 0 the invocation
succeeded, 1 it did not, or has not ended yet (what it printed so far is shown all the same),
2 bad usage, an unreachable server or an API error (its message on stderr).
"""

from __future__ import annotations

from typing import Any

import click

from transom.cli import signed
from transom.cli.signed import Fatal, server_options

FETCH_TIMEOUT = 120.0
"""Seconds the whole output may take to arrive (it may be megabytes)."""


@click.group()
def command() -> None:
    """Read Run Command results on a Transom server."""


@command.command("output")
@click.argument("command_id")
@click.option("--instance-id", help="The node (default: the only node the command ran on).")
@click.option("--plugin", help="The document's step (default: its only one).")
@click.option("--stderr", is_flag=True, help="Print the standard error instead of the output.")
@server_options
def output(
    command_id: str,
    instance_id: str | None,
    plugin: str | None,
    stderr: bool,
    endpoint_url: str | None,
    profile: str | None,
    region: str | None,
    ca_bundle: str | None,
) -> None:
    """Print the whole output COMMAND_ID printed on one node, as the server stored it
    (GetCommandInvocation shows only its first 24,000 characters, 8,000 of standard error).
    Exit 0 when the invocation succeeded, 1 when it did not or is still running."""
    with signed.reported():
        session, region = signed.session(profile, region, ca_bundle)
        ssm = session.create_client(
            "ssm", endpoint_url=signed.endpoint(endpoint_url, session), region_name=region
        )
        instance_id = instance_id or _only_node(ssm, command_id)
        step = {"PluginName": plugin} if plugin else {}
        invocation = ssm.get_command_invocation(
            CommandId=command_id, InstanceId=instance_id, **step
        )
        text = _fetch(session, invocation["StandardErrorUrl" if stderr else "StandardOutputUrl"])
    click.echo(text, nl=False)
    raise click.exceptions.Exit(0 if invocation["Status"] == "Success" else 1)


def _only_node(ssm: Any, command_id: str) -> str:
    """The one node `command_id` ran on; `Fatal` when it ran on none or several."""
    pages = ssm.get_paginator("list_command_invocations").paginate(CommandId=command_id)
    nodes = [i["InstanceId"] for page in pages for i in page["CommandInvocations"]]
    if len(nodes) == 1:
        return str(nodes[0])
    if not nodes:
        raise Fatal(f"command {command_id} has run on no node yet.")
    shown = ", ".join(nodes[:5]) + (", ..." if len(nodes) > 5 else "")
    raise Fatal(
        f"command {command_id} ran on {len(nodes)} nodes: pass --instance-id, one of {shown}."
    )


def _fetch(session: Any, url: str) -> str:
    """The text at the output link `url`; `Fatal` when it cannot be had."""
    import httpx

    if not url:
        raise Fatal("the server gave no link to the output: is it older than this CLI?")
    where = url.partition("?")[0]
    with signed.http_client(session, FETCH_TIMEOUT) as client:
        try:
            response = client.get(url)
        except httpx.HTTPError as exc:
            raise Fatal(
                f"cannot reach {where}: {exc} (a link names the server's --public-url: is it "
                "the URL clients reach the server by?)"
            ) from exc
    if response.status_code != 200:
        raise signed.refusal(response, where)
    return str(response.text)
