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


def server_options(command: F) -> F:
    for name, env, default, text in (
        ("--max-tasks-per-window", "TRANSOM_MAX_TASKS_PER_WINDOW", 20, "Tasks per window."),
        ("--max-targets-per-window", "TRANSOM_MAX_TARGETS_PER_WINDOW", 100, "Targets per window."),
        ("--max-windows", "TRANSOM_MAX_WINDOWS", 1000, "Maintenance windows in all."),
    ):
        command = click.option(
            name,
            envvar=env,
            type=click.IntRange(min=1),
            default=default,
            show_default=True,
            help=text,
        )(command)
    command = click.option(
        "--node-ping-timeout",
        envvar="TRANSOM_NODE_PING_TIMEOUT",
        type=click.FloatRange(min=0, min_open=True),
        default=300,
        show_default=True,
        help="Seconds without a heartbeat before a node shows ConnectionLost.",
    )(command)
    command = click.option(
        "--history-retention-days",
        envvar="TRANSOM_HISTORY_RETENTION_DAYS",
        type=click.IntRange(min=1),
        default=30,
        show_default=True,
        help="Days window executions and commands are kept before they are purged.",
    )(command)
    command = click.option(
        "--audit-retention-days",
        envvar="TRANSOM_AUDIT_RETENTION_DAYS",
        type=click.IntRange(min=1),
        default=90,
        show_default=True,
        help="Days the audit trail keeps its records before they are pruned.",
    )(command)
    command = click.option(
        "--trust-proxy",
        "trusted_proxies",
        envvar="TRANSOM_TRUST_PROXY",
        multiple=True,
        metavar="ADDRESS",
        help="A reverse proxy (IP address or CIDR; repeat for several) whose X-Forwarded-For "
        "header names the client in the audit trail; without it the client is the socket's "
        "peer and X-Forwarded-For is ignored.",
    )(command)
    command = click.option(
        "--account-id",
        envvar="TRANSOM_ACCOUNT_ID",
        type=click.STRING,
        callback=check_account_id,
        default="000000000000",
        show_default=True,
        help="The 12-digit account in the ARNs and events the server reports.",
    )(command)
    command = click.option(
        "--region",
        envvar="TRANSOM_REGION",
        callback=_region,
        default="us-east-1",
        show_default=True,
        help="The region in the ARNs and events the server reports.",
    )(command)
    command = click.option(
        "--public-url",
        envvar="TRANSOM_PUBLIC_URL",
        help="The server's URL as subscribers and clients reach it, in the links and "
        "SigningCertURL of SNS messages and the links to commands' output.  "
        "[default: http://HOST:PORT]",
    )(command)
    command = click.option(
        "--signing-key",
        envvar="TRANSOM_SIGNING_KEY",
        type=click.Path(dir_okay=False, path_type=Path),
        help="PEM file with the key (and certificate) that signs SNS messages, made if "
        "missing; give replicas the same one.  [default: sns-signing-key.pem in the data dir]",
    )(command)
    command = click.option(
        "--smtp-url",
        envvar="TRANSOM_SMTP_URL",
        help="SMTP server for email subscriptions: smtp://[user:password@]host[:port]"
        "[?from=ADDRESS], smtp+starttls://... or smtps://...",
    )(command)
    command = click.option(
        "--ca-bundle",
        envvar="TRANSOM_CA_BUNDLE",
        type=click.Path(dir_okay=False, exists=True, path_type=Path),
        help="CA certificates (PEM) to trust for HTTPS subscriptions, besides the system's.",
    )(command)
    command = click.option(
        "--delivery-retry-delay",
        envvar="TRANSOM_DELIVERY_RETRY_DELAY",
        type=click.FloatRange(min=0, min_open=True),
        default=1.0,
        show_default=True,
        help="Seconds before the first retry of a failed delivery; each retry waits twice as "
        "long, up to 5 minutes, for an hour.",
    )(command)
    command = click.option(
        "--metrics",
        envvar="TRANSOM_METRICS",
        type=click.Choice(["open", "key", "off"]),
        default="key",
        show_default=True,
        help="Who may read GET /metrics: anyone (open), a request carrying the token of "
        "--metrics-token-file or signed with an access key (key), or nobody (off).",
    )(command)
    command = click.option(
        "--metrics-token-file",
        envvar="TRANSOM_METRICS_TOKEN_FILE",
        type=click.Path(dir_okay=False, path_type=Path),
        help="The bearer token of GET /metrics under --metrics key, made if missing; give "
        "replicas the same one.  [default: metrics-token in the data dir]",
    )(command)
    command = click.option(
        "--delivery-timeout",
        envvar="TRANSOM_DELIVERY_TIMEOUT",
        type=click.FloatRange(min=0, min_open=True),
        default=10.0,
        show_default=True,
        help="Seconds one delivery attempt (an HTTP POST or an email) may take.",
    )(command)
    command = click.option(
        "--console-idle-timeout",
        envvar="TRANSOM_CONSOLE_IDLE_TIMEOUT",
        type=click.FloatRange(min=1),
        default=1800,
        show_default=True,
        help="Seconds a web console session lasts without a request.",
    )(command)
    command = click.option(
        "--recheck-seconds",
        envvar="TRANSOM_RECHECK_SECONDS",
        type=click.FloatRange(min=0, min_open=True),
        default=5.0,
        show_default=True,
        help="How often waiting agent polls look for work sent through another replica "
        "that no replica announced (on PostgreSQL replicas tell each other at once).",
    )(command)
    command = click.option(
        "--tls-key",
        envvar="TRANSOM_TLS_KEY",
        type=click.Path(dir_okay=False, exists=True, path_type=Path),
        help="The private key (PEM) of --tls-cert.",
    )(command)
    command = click.option(
        "--tls-cert",
        envvar="TRANSOM_TLS_CERT",
        type=click.Path(dir_okay=False, exists=True, path_type=Path),
        help="Serve https with this certificate chain (PEM); give --tls-key too.",
    )(command)
    command = click.option(
        "--max-connections",
        envvar="TRANSOM_MAX_CONNECTIONS",
        type=click.IntRange(min=1),
        default=10_000,
        show_default=True,
        help="Connections served at once (each agent holds one); a request past it is "
        "answered 503. Lowered to what the open-file limit allows.",
    )(command)
    command = click.option(
        "--keep-alive-timeout",
        envvar="TRANSOM_KEEP_ALIVE_TIMEOUT",
        type=click.IntRange(min=1),
        default=5,
        show_default=True,
        help="Seconds an idle connection is kept open between requests.",
    )(command)
    command = click.option(
        "--header-timeout",
        envvar="TRANSOM_HEADER_TIMEOUT",
        type=click.FloatRange(min=0, min_open=True),
        default=10.0,
        show_default=True,
        help="Seconds a request's headers may take to arrive (from the connection opening, "
        "or the request's first byte); a later one is answered 408 and its connection closed.",
    )(command)
    command = click.option(
        "--body-timeout",
        envvar="TRANSOM_BODY_TIMEOUT",
        type=click.FloatRange(min=0, min_open=True),
        default=10.0,
        show_default=True,
        help="Seconds a request's body may take to arrive, plus one for every 64 KiB of it; "
        "a later one is answered 408 and its connection closed.",
    )(command)
    command = click.option(
        "--port",
        envvar="TRANSOM_PORT",
        type=click.IntRange(0, 65535),
        default=DEFAULT_PORT,
        show_default=True,
        help="TCP port (0 picks a free one).",
    )(command)
    command = click.option(
        "--host",
        envvar="TRANSOM_HOST",
        default="127.0.0.1",
        show_default=True,
        help="Address to listen on.",
    )(command)
    return store_options(master_key_option(command))


def check_account_id(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    if not re.fullmatch(r"\d{12}", value):
        raise click.BadParameter(f"{value!r} is not an account id: give 12 digits.")
    return value


def _region(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d{1,2}", value):
        raise click.BadParameter(f"{value!r} is not a region name such as us-east-1.")
    return value


def read_policy(policy_file: Path) -> str:
    with click.open_file(str(policy_file), encoding="utf-8") as file:
        return str(file.read())
