"""`transom events`: the events of a running server, through its API.

`tail` long-polls `GET /v1/events` and prints each matching event's envelope as one JSON line,
flushed at once, until interrupted (Ctrl-C: exit 0). Credentials, profile and region are found
as for `transom window`. Exit code 2: bad usage, an unreachable server or an API error such
as an invalid pattern (its message on stderr).
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from transom.cli.window import Fatal, _endpoint, _session

WAIT_SECONDS = 20
"""How long one request waits on the server for an event; the server's limit."""


@click.group()
def events() -> None:
    """Watch the events of a Transom server."""


@events.command("tail")
@click.option(
    "--pattern",
    help="Print only events matching this EventBridge event pattern (JSON), like "
    '\'{"source": ["aws.ssm"], "detail": {"status": ["FAILED"]}}\'.',
)
@click.option(
    "--endpoint-url",
    envvar=["AWS_ENDPOINT_URL_SSM", "AWS_ENDPOINT_URL"],
    show_envvar=True,
    help="The server's URL, like http://127.0.0.1:8770.",
)
@click.option(
    "--profile", help="The aws profile to sign with (default: AWS_PROFILE, else default)."
)
@click.option("--region", help="The region to sign for (default: the profile's, else us-east-1).")
def tail(
    pattern: str | None, endpoint_url: str | None, profile: str | None, region: str | None
) -> None:
    """Print each event from now on (matching --pattern) as a JSON line, until Ctrl-C."""
    endpoint = _endpoint(endpoint_url)
    session, region = _session(profile, region)
    try:
        _follow(session, endpoint, region, pattern)
    except KeyboardInterrupt:
        raise click.exceptions.Exit(0) from None
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (`| head`): no complaint at exit
        raise click.exceptions.Exit(0) from None


def _follow(session: Any, endpoint: str, region: str, pattern: str | None) -> None:
    import httpx

    after: int | None = None
    with httpx.Client(timeout=WAIT_SECONDS + 30) as client:
        while True:
            answer = _read(client, session, endpoint, region, after, pattern)
            for event in answer["events"]:
                sys.stdout.write(json.dumps(event) + "\n")
            sys.stdout.flush()
            after = int(answer["next"])


def _read(
    client: Any, session: Any, endpoint: str, region: str, after: int | None, pattern: str | None
) -> dict[str, Any]:
    """One signed `GET /v1/events`; its answer, or `Fatal`."""
    from urllib.parse import quote, urlencode

    import httpx
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    params: dict[str, str] = {"wait": str(WAIT_SECONDS)}
    if after is not None:
        params["after"] = str(after)
    if pattern is not None:
        params["pattern"] = pattern
    url = f"{endpoint.rstrip('/')}/v1/events?{urlencode(params, quote_via=quote)}"
    request = AWSRequest(method="GET", url=url)
    SigV4Auth(session.get_credentials(), "ssm", region).add_auth(request)
    try:
        response = client.get(url, headers=dict(request.headers))
    except httpx.HTTPError as exc:
        raise Fatal(f"cannot reach {endpoint}: {exc}") from exc
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        answer = {}
    if response.status_code == 200 and isinstance(answer.get("events"), list):
        return answer
    if "__type" in answer:
        raise Fatal(f"{answer['__type']}: {answer.get('message', '')}")
    raise Fatal(f"{endpoint} answered HTTP {response.status_code}: {response.text[:200]}")
