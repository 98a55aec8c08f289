"""`transom events`: the events and deliveries of a running server, through its API.

`tail` long-polls `GET /v1/events` and prints each matching event's envelope as one JSON line,
flushed at once, until interrupted (Ctrl-C: exit 0). `deliveries` reads `GET /v1/deliveries`
once and prints the latest deliveries as a table, newest first, then the backlog (`--json`:
the API's answer as it is). Credentials, profile and region are found as for
`transom window`. Exit code 2: bad usage, an unreachable server or an API error such as an
invalid pattern (its message on stderr).
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from transom.cli import signed
from transom.cli.signed import server_options

WAIT_SECONDS = 20
"""How long one request waits on the server for an event; the server's limit."""
MAX_DELIVERIES = 1000
"""The most deliveries the server lists at once."""


@click.group()
def events() -> None:
    """Watch the events and deliveries of a Transom server."""


@events.command("tail")
@click.option(
    "--pattern",
    help="Print only events matching this EventBridge event pattern (JSON), like "
    '\'{"source": ["aws.ssm"], "detail": {"status": ["FAILED"]}}\'.',
)
@server_options
def tail(
    pattern: str | None,
    endpoint_url: str | None,
    profile: str | None,
    region: str | None,
    ca_bundle: str | None,
) -> None:
    """Print each event from now on (matching --pattern) as a JSON line, until Ctrl-C."""
    session, region = signed.session(profile, region, ca_bundle)
    endpoint = signed.endpoint(endpoint_url, session)
    try:
        _follow(session, endpoint, region, pattern)
    except KeyboardInterrupt:
        raise click.exceptions.Exit(0) from None
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (`| head`): no complaint at exit
        raise click.exceptions.Exit(0) from None


def _follow(session: Any, endpoint: str, region: str, pattern: str | None) -> None:
    after: int | None = None
    with signed.http_client(session, WAIT_SECONDS + 30) as client:
        while True:
            params: dict[str, str] = {"wait": str(WAIT_SECONDS)}
            if after is not None:
                params["after"] = str(after)
            if pattern is not None:
                params["pattern"] = pattern
            answer = signed.call(
                client, session, region, "GET", endpoint, "/v1/events", (200, "events"), params
            )
            for event in answer["events"]:
                sys.stdout.write(json.dumps(event) + "\n")
            sys.stdout.flush()
            after = int(answer["next"])


@events.command("deliveries")
@click.option(
    "--failing", is_flag=True, help="Only deliveries given up or retrying after a failure."
)
@click.option(
    "--limit",
    type=click.IntRange(1, MAX_DELIVERIES),
    default=20,
    show_default=True,
    help="How many of the latest deliveries to list.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON answer instead.")
@server_options
def deliveries(
    failing: bool,
    limit: int,
    as_json: bool,
    endpoint_url: str | None,
    profile: str | None,
    region: str | None,
    ca_bundle: str | None,
) -> None:
    """List the latest deliveries to subscriptions, newest first, and the backlog."""
    session, region = signed.session(profile, region, ca_bundle)
    endpoint = signed.endpoint(endpoint_url, session)
    params = {"limit": str(limit), "failing": "true" if failing else "false"}
    with signed.http_client(session, 30) as client:
        answer = signed.call(
            client, session, region, "GET", endpoint, "/v1/deliveries", (200, "deliveries"), params
        )
    if as_json:
        click.echo(json.dumps(answer, indent=2))
        return
    for line in _table(answer["deliveries"]):
        click.echo(line)
    click.echo(f"backlog: {answer['backlog']} pending")


COLUMNS = ("TIME (UTC)", "STATUS", "ATTEMPTS", "TOPIC", "ENDPOINT", "LAST ERROR")


def _table(records: list[dict[str, Any]]) -> list[str]:
    """A line per delivery under a heading, in aligned columns; the time is when the
    delivery was first due (UTC, to the second), the topic its name."""
    if not records:
        return ["no deliveries"]
    rows = [COLUMNS] + [
        (
            str(r["CreatedDate"])[:19].replace("T", " "),
            str(r["Status"]),
            str(r["Attempts"]),
            str(r["TopicArn"]).rsplit(":", 1)[-1],
            str(r["Endpoint"]),
            " ".join(str(r["LastError"] or "-").split()),
        )
        for r in records
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS) - 1)]
    return [
        "  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]])
        for row in rows
    ]
