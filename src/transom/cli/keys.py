"""`transom keys`: the access keys API callers sign requests with."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click

from transom.cli.options import F, master_key_option, read_policy, store_options
from transom.cli.settings import settings_of, store_of

if TYPE_CHECKING:
    from transom.domain.windows import AccessKey, StoredKey


@click.group()
def keys() -> None:
    """Manage the access keys API callers sign requests with."""


def key_options(command: F) -> F:
    """The options of every `transom keys` command: the store's and the master key's."""
    return store_options(master_key_option(command))


def _key_service(data_dir: Path, database_url: str | None, master_key_file: Path | None) -> Any:
    from transom.crypto.master_keys import MasterKeys
    from transom.domain.clock import SystemClock
    from transom.services.keys import KeyService

    settings = settings_of(data_dir, database_url, master_key_file)
    return KeyService(store_of(settings), SystemClock(), MasterKeys(settings.master_key_path))


@dataclass(frozen=True)
class PolicyChoice:
    """What --policy FILE, --read-only and --admin say a key may do."""

    policy_file: Path | None
    read_only: bool
    admin: bool

    @property
    def given(self) -> bool:
        return self.policy_file is not None or self.read_only or self.admin

    def policy(self) -> str | None:
        """The policy document chosen; None: everything (--admin, or nothing said). The
        file is read now (it may be standard input)."""
        from transom.services.keys import READ_ONLY_POLICY

        if (self.policy_file is not None) + self.read_only + self.admin > 1:
            raise click.UsageError("Give at most one of --policy, --read-only and --admin.")
        if self.read_only:
            return READ_ONLY_POLICY
        return None if self.policy_file is None else read_policy(self.policy_file)


def policy_options(command: F) -> F:
    """--policy FILE, --read-only, --admin: what a key may do, given to the command as
    `choice` (a `PolicyChoice`)."""

    @functools.wraps(command)
    def run(
        *args: Any, policy_file: Path | None, read_only: bool, admin: bool, **kwargs: Any
    ) -> Any:
        return command(*args, choice=PolicyChoice(policy_file, read_only, admin), **kwargs)

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
        run = option(run)
    return cast(F, run)


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
    choice: PolicyChoice,
    description: str | None,
    as_json: bool,
) -> None:
    """Create a key and print its id and secret (the only time the secret is shown)."""
    policy = choice.policy()
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
    choice: PolicyChoice,
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
    policy = choice.policy()
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
    choice: PolicyChoice,
) -> None:
    """Change what a key may do (give one of --policy, --read-only, --admin); running servers
    apply it within 5 seconds."""
    from transom.domain.errors import ApiError

    if not choice.given:
        raise click.UsageError("Give one of --policy, --read-only and --admin.")
    policy = choice.policy()
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

    settings = settings_of(data_dir, database_url, master_key_file)
    box = MasterKeys(settings.master_key_path)
    service = KeyService(store_of(settings), SystemClock(), box)
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
