"""Options several `transom` commands share: where the store is, the master key, the
server's settings; and reading a policy document a file option names."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_PORT = 8770
DEFAULT_REGION = "us-east-1"


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "transom"


def store_options(command: F) -> F:
    """--data-dir and --database-url, with their TRANSOM_* twins."""
    command = click.option(
        "--database-url",
        envvar="TRANSOM_DATABASE_URL",
        help="PostgreSQL URL (postgresql+psycopg://user@host/db); default: SQLite in the data dir.",
    )(command)
    return click.option(
        "--data-dir",
        envvar="TRANSOM_DATA_DIR",
        type=click.Path(file_okay=False, path_type=Path),
        default=default_data_dir,
        show_default="$XDG_DATA_HOME/transom or ~/.local/share/transom",
        help="Where the SQLite database and local state live.",
    )(command)


def master_key_option(command: F) -> F:
    """--master-key-file, with its TRANSOM_MASTER_KEY_FILE twin."""
    return click.option(
        "--master-key-file",
        envvar="TRANSOM_MASTER_KEY_FILE",
        type=click.Path(dir_okay=False, path_type=Path),
        help="The file of the master key that seals access-key secrets in the database, made "
        "if missing; give every replica the same one, and keep it out of database backups. "
        " [default: master-key in the data dir]",
    )(command)


def check_account_id(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    if not re.fullmatch(r"\d{12}", value):
        raise click.BadParameter(f"{value!r} is not an account id: give 12 digits.")
    return value


def _region(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d{1,2}", value):
        raise click.BadParameter(f"{value!r} is not a region name such as us-east-1.")
    return value


def env_option(name: str, *names: str, **attrs: Any) -> Callable[[F], F]:
    """An option with its TRANSOM_* twin (`--max-windows`: TRANSOM_MAX_WINDOWS), its default
    shown when it has one."""
    envvar = "TRANSOM_" + name.removeprefix("--").replace("-", "_").upper()
    return click.option(name, *names, envvar=envvar, show_default="default" in attrs, **attrs)


_SERVER_OPTIONS = (
    env_option(
        "--max-tasks-per-window", type=click.IntRange(min=1), default=20, help="Tasks per window."
    ),
    env_option(
        "--max-targets-per-window",
        type=click.IntRange(min=1),
        default=100,
        help="Targets per window.",
    ),
    env_option(
        "--max-windows",
        type=click.IntRange(min=1),
        default=1000,
        help="Maintenance windows in all.",
    ),
    env_option(
        "--node-ping-timeout",
        type=click.FloatRange(min=0, min_open=True),
        default=300,
        help="Seconds without a heartbeat before a node shows ConnectionLost.",
    ),
    env_option(
        "--history-retention-days",
        type=click.IntRange(min=1),
        default=30,
        help="Days window executions and commands are kept before they are purged.",
    ),
    env_option(
        "--audit-retention-days",
        type=click.IntRange(min=1),
        default=90,
        help="Days the audit trail keeps its records before they are pruned.",
    ),
    env_option(
        "--trust-proxy",
        "trusted_proxies",
        multiple=True,
        metavar="ADDRESS",
        help="A reverse proxy (IP address or CIDR; repeat for several) whose X-Forwarded-For "
        "header names the client in the audit trail; without it the client is the socket's "
        "peer and X-Forwarded-For is ignored.",
    ),
    env_option(
        "--account-id",
        type=click.STRING,
        callback=check_account_id,
        default="000000000000",
        help="The 12-digit account in the ARNs and events the server reports.",
    ),
    env_option(
        "--region",
        callback=_region,
        default="us-east-1",
        help="The region in the ARNs and events the server reports.",
    ),
    env_option(
        "--public-url",
        help="The server's URL as subscribers and clients reach it, in the links and "
        "SigningCertURL of SNS messages and the links to commands' output.  "
        "[default: http://HOST:PORT]",
    ),
    env_option(
        "--signing-key",
        type=click.Path(dir_okay=False, path_type=Path),
        help="PEM file with the key (and certificate) that signs SNS messages, made if "
        "missing; give replicas the same one.  [default: sns-signing-key.pem in the data dir]",
    ),
    env_option(
        "--smtp-url",
        help="SMTP server for email subscriptions: smtp://[user:password@]host[:port]"
        "[?from=ADDRESS], smtp+starttls://... or smtps://...",
    ),
    env_option(
        "--ca-bundle",
        type=click.Path(dir_okay=False, exists=True, path_type=Path),
        help="CA certificates (PEM) to trust for HTTPS subscriptions, besides the system's.",
    ),
    env_option(
        "--delivery-retry-delay",
        type=click.FloatRange(min=0, min_open=True),
        default=1.0,
        help="Seconds before the first retry of a failed delivery; each retry waits twice as "
        "long, up to 5 minutes, for an hour.",
    ),
    env_option(
        "--metrics",
        type=click.Choice(["open", "key", "off"]),
        default="key",
        help="Who may read GET /metrics: anyone (open), a request carrying the token of "
        "--metrics-token-file or signed with an access key (key), or nobody (off).",
    ),
    env_option(
        "--metrics-token-file",
        type=click.Path(dir_okay=False, path_type=Path),
        help="The bearer token of GET /metrics under --metrics key, made if missing; give "
        "replicas the same one.  [default: metrics-token in the data dir]",
    ),
    env_option(
        "--delivery-timeout",
        type=click.FloatRange(min=0, min_open=True),
        default=10.0,
        help="Seconds one delivery attempt (an HTTP POST or an email) may take.",
    ),
    env_option(
        "--console-idle-timeout",
        type=click.FloatRange(min=1),
        default=1800,
        help="Seconds a web console session lasts without a request.",
    ),
    env_option(
        "--recheck-seconds",
        type=click.FloatRange(min=0, min_open=True),
        default=5.0,
        help="How often waiting agent polls look for work sent through another replica "
        "that no replica announced (on PostgreSQL replicas tell each other at once).",
    ),
    env_option(
        "--tls-key",
        type=click.Path(dir_okay=False, exists=True, path_type=Path),
        help="The private key (PEM) of --tls-cert.",
    ),
    env_option(
        "--tls-cert",
        type=click.Path(dir_okay=False, exists=True, path_type=Path),
        help="Serve https with this certificate chain (PEM); give --tls-key too.",
    ),
    env_option(
        "--max-connections",
        type=click.IntRange(min=1),
        default=10_000,
        help="Connections served at once (each agent holds one); a request past it is "
        "answered 503. Lowered to what the open-file limit allows.",
    ),
    env_option(
        "--keep-alive-timeout",
        type=click.IntRange(min=1),
        default=5,
        help="Seconds an idle connection is kept open between requests.",
    ),
    env_option(
        "--header-timeout",
        type=click.FloatRange(min=0, min_open=True),
        default=10.0,
        help="Seconds a request's headers may take to arrive (from the connection opening, "
        "or the request's first byte); a later one is answered 408 and its connection closed.",
    ),
    env_option(
        "--body-timeout",
        type=click.FloatRange(min=0, min_open=True),
        default=10.0,
        help="Seconds a request's body may take to arrive, plus one for every 64 KiB of it; "
        "a later one is answered 408 and its connection closed.",
    ),
    env_option(
        "--port",
        type=click.IntRange(0, 65535),
        default=DEFAULT_PORT,
        help="TCP port (0 picks a free one).",
    ),
    env_option("--host", default="127.0.0.1", help="Address to listen on."),
)
"""The server's settings, each with its TRANSOM_* twin, in the order `server_options` adds them."""


def server_options(command: F) -> F:
    for option in _SERVER_OPTIONS:
        command = option(command)
    return store_options(master_key_option(command))


def read_policy(policy_file: Path) -> str:
    with click.open_file(str(policy_file), encoding="utf-8") as file:
        return str(file.read())
