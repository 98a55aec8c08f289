"""The settings, store and limits of a `transom` command from its options; heavy modules
are imported inside the functions that need them."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from transom.bootstrap import Settings
    from transom.cli.connections import ConnectionLimits
    from transom.store.sql import SqlStore


def settings_of(
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


def connection_limits(server: dict[str, Any]) -> ConnectionLimits:
    from transom.cli.connections import ConnectionLimits

    return ConnectionLimits(
        max_connections=server["max_connections"],
        keep_alive_seconds=server["keep_alive_timeout"],
        header_seconds=server["header_timeout"],
        body_seconds=server["body_timeout"],
    )


def make_private(settings: Settings) -> int:
    """Make what the server writes from now on its owner's alone (umask 077) and its data
    directory 0700 (its database files are made 0600 by the store); the umask before."""
    previous = os.umask(0o077)
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    settings.data_dir.chmod(0o700)
    return previous


def store_of(settings: Settings) -> SqlStore:
    from transom.bootstrap import open_store
    from transom.store.engine import redacted_url

    try:
        return open_store(settings)
    except Exception as exc:
        raise click.ClickException(
            f"cannot open the database {redacted_url(settings.url)}: {exc}"
        ) from exc
