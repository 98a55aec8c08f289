"""What the commands that talk to a running server share: its endpoint, the credentials and
region to sign with (found as the `aws` CLI finds them, through botocore's session), and
SigV4-signed requests to the REST routes under `/v1`. Every failure is `Fatal`: exit code 2,
its message on stderr.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

import click

FALLBACK_REGION = "us-east-1"
"""Signed into requests when no region is configured; Transom accepts any."""
F = TypeVar("F", bound=Callable[..., Any])


class Fatal(click.ClickException):
    """Bad usage, an unreachable server or an API error: exit code 2."""

    exit_code = 2


def server_options(command: F) -> F:
    """The options every command talking to a server takes: `--endpoint-url`, `--profile`,
    `--region`, `--ca-bundle`."""
    for option in reversed(
        [
            click.option(
                "--endpoint-url",
                help="The server's URL, like http://127.0.0.1:8770 (default: the endpoint "
                "configured for ssm as the aws CLI finds it: AWS_ENDPOINT_URL_SSM, "
                "AWS_ENDPOINT_URL, or the profile's endpoint_url).",
            ),
            click.option(
                "--profile",
                help="The aws profile to sign with (default: AWS_PROFILE, else default).",
            ),
            click.option(
                "--region", help="The region to sign for (default: the profile's, else us-east-1)."
            ),
            click.option(
                "--ca-bundle",
                help="CA certificates (PEM) to verify an https server with, such as the ca.pem "
                "`transom up --tls` made (default: AWS_CA_BUNDLE, the profile's ca_bundle, "
                "else the system's).",
            ),
        ]
    ):
        command = option(command)
    return command


def endpoint(url: str | None, session: Any) -> str:
    """`url`, else the endpoint configured for ssm as the aws CLI finds it (botocore's
    configured-endpoint lookup: environment, then the profile's `services` section and
    `endpoint_url`), if it is an http(s) URL with a host (and a valid port, if any); else
    `Fatal`."""
    from urllib.parse import urlsplit

    from botocore.configprovider import ConfiguredEndpointProvider

    if not url:
        configured = ConfiguredEndpointProvider(
            session.full_config, session.get_scoped_config(), "ssm"
        )
        url = configured.provide()
    if not url:
        raise Fatal(
            "no endpoint: pass --endpoint-url http://HOST:PORT (or set AWS_ENDPOINT_URL_SSM "
            "or AWS_ENDPOINT_URL, or endpoint_url in the aws profile)."
        )
    try:
        parts = urlsplit(url)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        _ = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError:
        valid = False
    if not valid:
        raise Fatal(f"the endpoint {url!r} is not an http(s) URL like http://127.0.0.1:8770.")
    return url


def session(profile: str | None, region: str | None, ca_bundle: str | None) -> tuple[Any, str]:
    """The botocore session (verifying https with `ca_bundle`, if given, as the aws CLI's
    `--ca-bundle`) and the region to sign for; `Fatal` without credentials."""
    import botocore.session

    found = botocore.session.Session(profile=profile)
    if ca_bundle:
        found.set_config_variable("ca_bundle", ca_bundle)
    if found.get_credentials() is None:
        raise Fatal(
            "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or pass "
            "--profile (see `transom up`'s output)."
        )
    return found, region or found.get_config_variable("region") or FALLBACK_REGION


def http_client(session: Any, timeout: float) -> Any:
    """An httpx client that verifies https servers as the session's botocore clients do:
    against its `ca_bundle` (AWS_CA_BUNDLE, the profile's, or `--ca-bundle`), else the
    system's CAs; `Fatal` when that file cannot be read."""
    import ssl

    import httpx

    bundle = session.get_config_variable("ca_bundle")
    try:
        verify = ssl.create_default_context(cafile=bundle) if bundle else True
    except (OSError, ssl.SSLError) as exc:
        raise Fatal(f"cannot use the CA bundle {bundle}: {exc}") from exc
    return httpx.Client(timeout=timeout, verify=verify)


def call(
    client: Any,
    session: Any,
    region: str,
    method: str,
    endpoint: str,
    path: str,
    expect: tuple[int, str],
    params: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """One signed request (service `ssm`, empty body) with the httpx `client` to `path` (already
    URL-quoted) on `endpoint`, with the query `params`; the JSON object answered when its status
    and one member are `expect`, else `Fatal` with the API's error or what came back."""
    from urllib.parse import quote, urlencode

    import httpx
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    url = endpoint.rstrip("/") + path
    if params:
        url = f"{url}?{urlencode(params, quote_via=quote)}"
    request = AWSRequest(method=method, url=url, data=b"")
    SigV4Auth(session.get_credentials(), "ssm", region).add_auth(request)
    try:
        response = client.request(method, url, content=b"", headers=dict(request.headers))
    except httpx.HTTPError as exc:
        raise Fatal(f"cannot reach {endpoint}: {exc}") from exc
    answer = _json_object(response)
    status, member = expect
    if response.status_code == status and member in answer:
        return answer
    raise refusal(response, url)


def refusal(response: Any, url: str) -> Fatal:
    """The `Fatal` for an httpx `response` from `url` that is not the answer wanted: the
    API's error when it is one (`__type` and `message`), else what came back."""
    answer = _json_object(response)
    if "__type" in answer:
        return Fatal(f"{answer['__type']}: {answer.get('message', '')}")
    return Fatal(f"{url} answered HTTP {response.status_code}: {response.text[:200]}")


def _json_object(response: Any) -> dict[str, Any]:
    try:
        answer = response.json()
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


@contextmanager
def reported() -> Iterator[None]:
    """Turn botocore failures into a one-line message and exit code 2."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise Fatal(f"{error.get('Code', 'Error')}: {error.get('Message', exc)}") from exc
    except BotoCoreError as exc:
        raise Fatal(str(exc)) from exc
