"""`transom audit`: read the audit trail of a running server through `GET /v1/audit`.

Credentials, profile and region are found as the `aws` CLI finds them. Records are printed
newest first, one line each (or the API's JSON with `--json`), following the pages up to
`--limit` records. Exit codes: 0 read, 2 bad usage, an unreachable server or an API error.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import click

from transom.cli import signed
from transom.cli.signed import Fatal, server_options

_AGO = re.compile(r"(\d+)([smhd])", re.ASCII)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
PAGE = 200


def since_time(text: str, now: datetime) -> str:
    """`--since` as the ISO 8601 UTC time the API takes: `30m`, `1h`, `7d` back from `now`,
    or an ISO 8601 time as it is; `Fatal` for anything else."""
    ago = _AGO.fullmatch(text)
    if ago is not None:
        when = now - timedelta(**{_UNITS[ago.group(2)]: int(ago.group(1))})
        return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    try:
        datetime.fromisoformat(text)
    except ValueError:
        raise Fatal(f"--since {text!r}: give 30m, 1h, 7d or an ISO 8601 time") from None
    return text


def line(record: dict[str, Any]) -> str:
    """One record as a line: time, key, source, api:operation, outcome, resources."""
    resources = ",".join(record["Resources"]) or "-"
    return " ".join(
        [
            str(record["Time"]),
            str(record["AccessKeyId"] or "-"),
            str(record["SourceAddress"] or "-"),
            f"{record['Api']}:{record['Operation']}",
            str(record["Outcome"]),
            resources,
        ]
    )


@click.command("audit")
@click.option("--since", help="Only records since then: 30m, 1h, 7d or an ISO 8601 time.")
@click.option("--key", "access_key_id", help="Only the calls of this access key id.")
@click.option("--resource", help="Only the calls naming this id or ARN.")
@click.option(
    "--limit", type=click.IntRange(min=1), default=100, show_default=True, help="At most this many."
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per record.")
@server_options
def audit(
    since: str | None,
    access_key_id: str | None,
    resource: str | None,
    limit: int,
    as_json: bool,
    endpoint_url: str | None,
    profile: str | None,
    region: str | None,
    ca_bundle: str | None,
) -> None:
    """Print the audit trail: every call that changed something or was refused for who made
    it, newest first."""
    session, region = signed.session(profile, region, ca_bundle)
    endpoint = signed.endpoint(endpoint_url, session)
    params: dict[str, str] = {}
    if since is not None:
        params["since"] = since_time(since, datetime.now(UTC))
    if access_key_id is not None:
        params["key"] = access_key_id
    if resource is not None:
        params["resource"] = resource
    shown = 0
    with signed.http_client(session, 30) as client:
        while shown < limit:
            params["limit"] = str(min(PAGE, limit - shown))
            answer = signed.call(
                client, session, region, "GET", endpoint, "/v1/audit", (200, "records"), params
            )
            for record in answer["records"]:
                click.echo(json.dumps(record) if as_json else line(record))
            shown += len(answer["records"])
            if answer["next_token"] is None:
                break
            params["next_token"] = answer["next_token"]
