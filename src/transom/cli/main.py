"""The `transom` command. Heavy modules are imported inside the commands that need them."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from transom.cli.agent import agent
from transom.cli.audit import audit
from transom.cli.backup import backup_command, restore_command
from transom.cli.commands import command
from transom.cli.documents import documents
from transom.cli.events import events
from transom.cli.logs import configure_logging, log_options, process_log
from transom.cli.schedule import schedule
from transom.cli.window import window

if TYPE_CHECKING:
    from transom.bootstrap import Settings
    from transom.cli.connections import ConnectionLimits
    from transom.domain.windows import AccessKey, StoredKey
    from transom.store.sql import SqlStore

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
        callback=_account_id,
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


def _account_id(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    if not re.fullmatch(r"\d{12}", value):
        raise click.BadParameter(f"{value!r} is not an account id: give 12 digits.")
    return value


def _region(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d{1,2}", value):
        raise click.BadParameter(f"{value!r} is not a region name such as us-east-1.")
    return value


def _settings(
    data_dir: Path, database_url: str | None, master_key_file: Path | None = None, **server: Any
) -> Settings:
    from transom.bootstrap import Settings
    from transom.domain.delivery_policy import RetryPolicy
    from transom.domain.events import Realm
    from transom.domain.quotas import Quotas

    if not server:
        return Settings(
            data_dir=data_dir, database_url=database_url, master_key_file=master_key_file
        )
    if (server["tls_cert"] is None) != (server["tls_key"] is None):
        raise click.UsageError("give --tls-cert and --tls-key together")
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        master_key_file=master_key_file,
        host=server["host"],
        port=server["port"],
        quotas=Quotas(
            windows=server["max_windows"],
            targets_per_window=server["max_targets_per_window"],
            tasks_per_window=server["max_tasks_per_window"],
        ),
        node_ping_timeout=timedelta(seconds=server["node_ping_timeout"]),
        history_retention=timedelta(days=server["history_retention_days"]),
        audit_retention=timedelta(days=server["audit_retention_days"]),
        trusted_proxies=tuple(server["trusted_proxies"]),
        realm=Realm(server["account_id"], server["region"]),
        public_url=server["public_url"],
        signing_key=server["signing_key"],
        smtp_url=server["smtp_url"],
        ca_bundle=server["ca_bundle"],
        delivery_policy=RetryPolicy(
            min_delay=timedelta(seconds=server["delivery_retry_delay"]),
        ),
        metrics=server["metrics"],
        metrics_token_file=server["metrics_token_file"],
        delivery_timeout=server["delivery_timeout"],
        console_idle_timeout=timedelta(seconds=server["console_idle_timeout"]),
        recheck_seconds=server["recheck_seconds"],
        tls_cert=server["tls_cert"],
        tls_key=server["tls_key"],
    )


def _connection_limits(server: dict[str, Any]) -> ConnectionLimits:
    from transom.cli.connections import ConnectionLimits

    return ConnectionLimits(
        max_connections=server["max_connections"],
        keep_alive_seconds=server["keep_alive_timeout"],
        header_seconds=server["header_timeout"],
        body_seconds=server["body_timeout"],
    )


def _private(settings: Settings) -> int:
    """Make what the server writes from now on its owner's alone (umask 077) and its data
    directory 0700 (its database files are made 0600 by the store); the umask before."""
    previous = os.umask(0o077)
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    settings.data_dir.chmod(0o700)
    return previous


def _open(settings: Settings) -> SqlStore:
    from transom.bootstrap import open_store
    from transom.store.engine import redacted_url

    try:
        return open_store(settings)
    except Exception as exc:
        raise click.ClickException(
            f"cannot open the database {redacted_url(settings.url)}: {exc}"
        ) from exc


@click.group()
@click.version_option(package_name="transom")
def main() -> None:
    """Transom: self-hosted maintenance windows with the AWS Systems Manager API."""


main.add_command(schedule)
main.add_command(agent)
main.add_command(window)
main.add_command(documents)
main.add_command(command)
main.add_command(audit)
main.add_command(events)
main.add_command(store_options(backup_command))
main.add_command(store_options(restore_command))


@main.command()
@server_options
@log_options
def server(
    data_dir: Path, database_url: str | None, log_level: str, log_format: str, **options: Any
) -> None:
    """Run the server in the foreground (for scripts and service managers)."""
    from transom.cli.serve import serve

    configure_logging(log_level, log_format)
    settings = _settings(data_dir, database_url, **options)
    _private(settings)
    serve(settings, _open(settings), _connection_limits(options))


@main.command()
@server_options
@log_options
@click.option("--no-agent", is_flag=True, help="Do not run an agent for this machine.")
@click.option(
    "--tls",
    is_flag=True,
    help="Serve https with a certificate of a private CA made in the data directory (once; "
    "tls/ca.pem is what agents and API clients trust).",
)
@click.option(
    "--tls-name",
    "tls_names",
    multiple=True,
    help="A host name or address the --tls certificate names besides localhost, 127.0.0.1 "
    "and this host's name (repeatable).",
)
def up(
    data_dir: Path,
    database_url: str | None,
    log_level: str,
    log_format: str,
    no_agent: bool,
    tls: bool,
    tls_names: tuple[str, ...],
    **options: Any,
) -> None:
    """Start Transom on this machine: the server on SQLite with a first access key, and an
    agent for this machine (tagged transom:host=local) so commands can run at once."""
    from transom.bootstrap import build_services
    from transom.cli.local_agent import ensure_registered, start_agent
    from transom.cli.serve import serve
    from transom.domain.clock import SystemClock

    configure_logging(log_level, log_format)
    settings = _settings(data_dir, database_url, **options)
    umask = _private(settings)  # the agent's commands run with the caller's
    as_log = log_format.lower() == "json"
    ca = None
    if tls or tls_names:
        settings, ca = _private_tls(settings, tls_names, as_log)
    store = _open(settings)
    services = build_services(store, SystemClock(), settings)
    if not services.keys.list():
        key = services.keys.create("created by transom up")
        _announce_key(key, settings, ca, as_log)
    agent_dir = settings.data_dir / "agent"
    if not no_agent:
        instance_id = ensure_registered(services.nodes, agent_dir)
        process_log.info("this machine is managed node %s", instance_id)
    logs = ["--log-level", log_level, "--log-format", log_format]
    companion = None if no_agent else lambda url: start_agent(agent_dir, url, umask, logs, ca)
    serve(settings, store, _connection_limits(options), companion)


def _private_tls(settings: Settings, names: tuple[str, ...], as_log: bool) -> tuple[Settings, Path]:
    """`settings` serving https with a certificate of the data directory's private CA (made
    if missing), and the CA's certificate; say what an agent needs."""
    import dataclasses
    import socket

    from transom.crypto.certificates import ensure_server_certificate

    if settings.tls_cert is not None:
        raise click.UsageError("give either --tls (a private CA) or --tls-cert and --tls-key")
    own = [] if settings.host in ("0.0.0.0", "::") else [settings.host]
    host = socket.gethostname()
    files = ensure_server_certificate(
        settings.data_dir / "tls", ["localhost", "127.0.0.1", host, *own, *names]
    )
    settings = dataclasses.replace(settings, tls_cert=files.certificate, tls_key=files.key)
    server = f"https://{names[0] if names else host}:{settings.port or 'PORT'}"
    if as_log:
        process_log.info(
            "serving https with a certificate of the private CA %s; agents register with "
            "echo CODE | transom agent register --server %s --ca-file %s --id ID",
            files.ca,
            server,
            files.ca,
        )
    else:
        click.echo(
            f"Serving https with a certificate of the private CA {files.ca}. On another host, "
            f"copy that file there and register an agent with:\n"
            f"  echo ACTIVATION_CODE | transom agent register --server {server} "
            f"--ca-file {files.ca} --id ACTIVATION_ID\n"
            f"and give API clients the same file: aws --ca-bundle {files.ca} ...",
            err=True,
        )
    return settings, files.ca


def _announce_key(key: AccessKey, settings: Settings, ca: Path | None, as_log: bool) -> None:
    """Save the key in DATA_DIR/credentials and say how to use it; `as_log`: in one log line
    instead, without the secret (never logged)."""
    path = settings.data_dir / "credentials"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # a file that was there keeps its mode through O_CREAT
    with os.fdopen(fd, "w") as out:
        out.write(
            f"[transom]\naws_access_key_id = {key.access_key_id}\n"
            f"aws_secret_access_key = {key.secret_access_key}\n"
        )
    if as_log:
        process_log.info(
            "created access key %s; its secret is saved in %s (mode 0600, profile transom)",
            key.access_key_id,
            path,
        )
        return
    endpoint = settings.base_url
    aws = endpoint if ca is None else f"{endpoint} --ca-bundle {ca}"
    verify = "" if ca is None else f", verify='{ca}'"
    click.echo(
        f"Created access key {key.access_key_id}; its secret is shown only now and saved in "
        f"{path} (mode 0600).\n"
        "Use it from a shell:\n"
        f"  export AWS_ACCESS_KEY_ID={key.access_key_id}\n"
        f"  export AWS_SECRET_ACCESS_KEY={key.secret_access_key}\n"
        f"  export AWS_DEFAULT_REGION={DEFAULT_REGION}\n"
        f"  aws ssm describe-maintenance-windows --endpoint-url {aws}\n"
        "or as an aws profile:\n"
        f"  aws configure set aws_access_key_id {key.access_key_id} --profile transom\n"
        f"  aws configure set aws_secret_access_key {key.secret_access_key} --profile transom\n"
        f"  aws configure set region {DEFAULT_REGION} --profile transom\n"
        f"  aws --profile transom ssm describe-maintenance-windows --endpoint-url {aws}\n"
        f"boto3: boto3.client('ssm', endpoint_url='{endpoint}', "
        f"region_name='{DEFAULT_REGION}'{verify})",
        err=True,
    )


@main.group()
def keys() -> None:
    """Manage the access keys API callers sign requests with."""


def key_options(command: F) -> F:
    """The options of every `transom keys` command: the store's and the master key's."""
    return store_options(master_key_option(command))


def _key_service(data_dir: Path, database_url: str | None, master_key_file: Path | None) -> Any:
    from transom.crypto.master_keys import MasterKeys
    from transom.domain.clock import SystemClock
    from transom.services.keys import KeyService

    settings = _settings(data_dir, database_url, master_key_file)
    return KeyService(_open(settings), SystemClock(), MasterKeys(settings.master_key_path))


def policy_options(command: F) -> F:
    """--policy FILE, --read-only, --admin: what a key may do (`_chosen_policy`)."""
    for option in (
        click.option(
            "--admin",
            is_flag=True,
            help="The key may do everything (the default of keys create and import).",
        ),
        click.option(
            "--read-only",
            is_flag=True,
            help="The key may read everything and change nothing (ssm:Describe*, Get*, List*, "
            "the events and sns reads).",
        ),
        click.option(
            "--policy",
            "policy_file",
            type=click.Path(dir_okay=False, exists=True, allow_dash=True, path_type=Path),
            help="An IAM-style policy document (JSON) that limits what the key may do.",
        ),
    ):
        command = option(command)
    return command


def _chosen_policy(policy_file: Path | None, read_only: bool, admin: bool) -> str | None:
    """The policy document the options choose; None: everything (--admin, or nothing said)."""
    from transom.services.keys import READ_ONLY_POLICY

    if (policy_file is not None) + read_only + admin > 1:
        raise click.UsageError("Give at most one of --policy, --read-only and --admin.")
    if read_only:
        return READ_ONLY_POLICY
    return None if policy_file is None else _read_policy(policy_file)


def _read_policy(policy_file: Path) -> str:
    with click.open_file(str(policy_file), encoding="utf-8") as file:
        return str(file.read())


def _access(policy: str | None) -> str:
    """How `keys list` shows a key's policy: admin, read-only or policy."""
    from transom.services.keys import READ_ONLY_POLICY

    return "admin" if policy is None else "read-only" if policy == READ_ONLY_POLICY else "policy"


def _print_key(
    key: AccessKey | StoredKey, as_json: bool, secret: str | None = None, access: str | None = None
) -> None:
    record = {
        "AccessKeyId": key.access_key_id,
        "Description": key.description,
        "CreatedDate": key.created_date.isoformat(),
    }
    if secret is not None:
        record["SecretAccessKey"] = secret
    if access is not None:
        record["Access"] = access
    if as_json:
        click.echo(json.dumps(record))
    else:
        click.echo("\t".join(str(v or "") for v in record.values()))


def _run_key_command(action: Callable[[], AccessKey]) -> AccessKey:
    from transom.domain.errors import ApiError

    try:
        return action()
    except ApiError as exc:
        raise click.ClickException(exc.message) from exc


@keys.command("create")
@key_options
@policy_options
@click.option("--description", help="A note on who or what uses the key.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def keys_create(
    data_dir: Path,
    database_url: str | None,
    master_key_file: Path | None,
    policy_file: Path | None,
    read_only: bool,
    admin: bool,
    description: str | None,
    as_json: bool,
) -> None:
    """Create a key and print its id and secret (the only time the secret is shown)."""
    policy = _chosen_policy(policy_file, read_only, admin)
    service = _key_service(data_dir, database_url, master_key_file)
    key = _run_key_command(lambda: service.create(description, policy))
    _print_key(key, as_json, key.secret_access_key)


@keys.command("import")
@key_options
@click.argument("access_key_id")
@click.argument("secret_access_key", required=False)
@click.option(
    "--secret-file",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="Read the secret access key from this file (- for standard input).",
)
@policy_options
@click.option("--description", help="A note on who or what uses the key.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def keys_import(
    data_dir: Path,
    database_url: str | None,
    master_key_file: Path | None,
    access_key_id: str,
    secret_access_key: str | None,
    secret_file: Path | None,
    policy_file: Path | None,
    read_only: bool,
    admin: bool,
    description: str | None,
    as_json: bool,
) -> None:
    """Adopt an existing key pair, so scripts that carry credentials keep working. The
    secret comes from --secret-file, else $TRANSOM_SECRET_ACCESS_KEY, else standard input
    (the SECRET_ACCESS_KEY argument still works, with a warning: `ps` shows it)."""
    from transom.cli.secret_input import read_secret

    secret_access_key = read_secret(
        "secret access key",
        secret_file,
        "TRANSOM_SECRET_ACCESS_KEY",
        secret_access_key,
        "the SECRET_ACCESS_KEY argument",
    )
    policy = _chosen_policy(policy_file, read_only, admin)
    service = _key_service(data_dir, database_url, master_key_file)
    key = _run_key_command(
        lambda: service.import_key(access_key_id, secret_access_key, description, policy)
    )
    _print_key(key, as_json)


@keys.command("set-policy")
@key_options
@click.argument("access_key_id")
@policy_options
def keys_set_policy(
    data_dir: Path,
    database_url: str | None,
    master_key_file: Path | None,
    access_key_id: str,
    policy_file: Path | None,
    read_only: bool,
    admin: bool,
) -> None:
    """Change what a key may do (give one of --policy, --read-only, --admin); running servers
    apply it within 5 seconds."""
    from transom.domain.errors import ApiError

    if policy_file is None and not read_only and not admin:
        raise click.UsageError("Give one of --policy, --read-only and --admin.")
    policy = _chosen_policy(policy_file, read_only, admin)
    try:
        _key_service(data_dir, database_url, master_key_file).set_policy(access_key_id, policy)
    except ApiError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"{access_key_id}: {_access(policy)}")


@keys.command("list")
@key_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def keys_list(
    data_dir: Path, database_url: str | None, master_key_file: Path | None, as_json: bool
) -> None:
    """List keys (without their secrets)."""
    found = _key_service(data_dir, database_url, master_key_file).list()
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "AccessKeyId": k.access_key_id,
                        "Description": k.description,
                        "CreatedDate": k.created_date.isoformat(),
                        "Access": _access(k.policy),
                        "Policy": None if k.policy is None else json.loads(k.policy),
                    }
                    for k in found
                ]
            )
        )
        return
    for key in found:
        _print_key(key, False, access=_access(key.policy))


@keys.command("delete")
@key_options
@click.argument("access_key_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def keys_delete(
    data_dir: Path,
    database_url: str | None,
    master_key_file: Path | None,
    access_key_id: str,
    as_json: bool,
) -> None:
    """Delete a key; requests signed with it are refused from then on."""
    deleted = _key_service(data_dir, database_url, master_key_file).delete(access_key_id)
    if as_json:
        click.echo(json.dumps({"AccessKeyId": access_key_id, "Deleted": deleted}))
    if not deleted:
        raise click.ClickException(f"no access key {access_key_id}")
    if not as_json:
        click.echo(f"deleted {access_key_id}")


@keys.command("rotate-master")
@key_options
def keys_rotate_master(
    data_dir: Path, database_url: str | None, master_key_file: Path | None
) -> None:
    """Seal every key's secret under a new master key, then retire the old one. Servers
    running meanwhile keep working: they read the master key file again when it changes.
    The file always opens every secret the database holds, also if this is interrupted
    (run it again to finish)."""
    from transom.crypto.master_keys import MasterKeys
    from transom.domain.clock import SystemClock
    from transom.services.keys import KeyService

    settings = _settings(data_dir, database_url, master_key_file)
    box = MasterKeys(settings.master_key_path)
    service = KeyService(_open(settings), SystemClock(), box)
    try:
        service.seal_all()  # every secret opens before the file changes
        new = box.add_new()
        resealed = service.seal_all()
        while late := service.seal_all():  # sealed under the old key by a server meanwhile
            resealed += late
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    retired = box.retire_old()
    click.echo(
        f"sealed {resealed} access key(s) under master key {new} in {box.path}; "
        f"retired {', '.join(retired) or 'none'}"
    )


@main.group()
def roles() -> None:
    """Manage the roles window tasks run as (their ServiceRoleArn): named policy documents."""


def _role_service(data_dir: Path, database_url: str | None, account_id: str) -> Any:
    from transom.domain.clock import SystemClock
    from transom.domain.events import Realm
    from transom.services.roles import RoleService

    settings = _settings(data_dir, database_url)
    return RoleService(_open(settings), SystemClock(), Realm(account_id))


def account_option(command: F) -> F:
    return click.option(
        "--account-id",
        envvar="TRANSOM_ACCOUNT_ID",
        callback=_account_id,
        default="000000000000",
        show_default=True,
        help="The server's account, in the roles' ARNs.",
    )(command)


@roles.command("create")
@store_options
@account_option
@click.argument("name")
@click.option(
    "--policy",
    "policy_file",
    required=True,
    type=click.Path(dir_okay=False, exists=True, allow_dash=True, path_type=Path),
    help="The role's IAM-style policy document (JSON): what tasks running as it may do.",
)
@click.option("--description", help="A note on what the role is for.")
def roles_create(
    data_dir: Path,
    database_url: str | None,
    account_id: str,
    name: str,
    policy_file: Path,
    description: str | None,
) -> None:
    """Create a role and print its ARN, the ServiceRoleArn to give tasks."""
    from transom.domain.errors import ApiError

    service = _role_service(data_dir, database_url, account_id)
    try:
        role = service.create(name, _read_policy(policy_file), description)
    except ApiError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(service.arn(role.name))


@roles.command("list")
@store_options
@account_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def roles_list(data_dir: Path, database_url: str | None, account_id: str, as_json: bool) -> None:
    """List roles: ARN, description, created date (--json: with their policies)."""
    service = _role_service(data_dir, database_url, account_id)
    records = [
        {
            "Arn": service.arn(role.name),
            "RoleName": role.name,
            "Description": role.description,
            "CreatedDate": role.created_date.isoformat(),
            "Policy": json.loads(role.policy),
        }
        for role in service.list()
    ]
    if as_json:
        click.echo(json.dumps(records))
        return
    for record in records:
        shown = (record["Arn"], record["Description"], record["CreatedDate"])
        click.echo("\t".join(str(v or "") for v in shown))


@roles.command("delete")
@store_options
@click.argument("name")
def roles_delete(data_dir: Path, database_url: str | None, name: str) -> None:
    """Delete a role; invocations of tasks that name it fail from then on."""
    if not _role_service(data_dir, database_url, "000000000000").delete(name):
        raise click.ClickException(f"no role {name}")
    click.echo(f"deleted {name}")


if __name__ == "__main__":
    sys.exit(main())
