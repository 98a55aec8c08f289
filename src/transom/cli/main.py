"""The `transom` command. Heavy modules are imported inside the commands that need them."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from transom.cli.agent import agent
from transom.cli.audit import audit
from transom.cli.backup import backup_command, restore_command
from transom.cli.commands import command
from transom.cli.documents import documents
from transom.cli.events import events
from transom.cli.keys import keys
from transom.cli.logs import configure_logging, log_options, process_log
from transom.cli.options import DEFAULT_REGION, server_options, store_options
from transom.cli.roles import roles
from transom.cli.schedule import schedule
from transom.cli.settings import connection_limits, make_private, settings_of, store_of
from transom.cli.window import window

if TYPE_CHECKING:
    from transom.bootstrap import Settings
    from transom.domain.windows import AccessKey


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
main.add_command(keys)
main.add_command(roles)
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
    settings = settings_of(data_dir, database_url, **options)
    make_private(settings)
    serve(settings, store_of(settings), connection_limits(options))


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
    settings = settings_of(data_dir, database_url, **options)
    umask = make_private(settings)  # the agent's commands run with the caller's
    as_log = log_format.lower() == "json"
    ca = None
    if tls or tls_names:
        settings, ca = _private_tls(settings, tls_names, as_log)
    store = store_of(settings)
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
    serve(settings, store, connection_limits(options), companion)


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


if __name__ == "__main__":
    sys.exit(main())
