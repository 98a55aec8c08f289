"""`transom roles`: the roles window tasks run as (their ServiceRoleArn)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from transom.cli.options import check_account_id, env_option, read_policy, store_options
from transom.cli.settings import settings_of, store_of


@click.group()
def roles() -> None:
    """Manage the roles window tasks run as (their ServiceRoleArn): named policy documents."""


def _role_service(data_dir: Path, database_url: str | None, account_id: str) -> Any:
    from transom.domain.clock import SystemClock
    from transom.domain.events import Realm
    from transom.services.roles import RoleService

    settings = settings_of(data_dir, database_url)
    return RoleService(store_of(settings), SystemClock(), Realm(account_id))


account_option = env_option(
    "--account-id",
    callback=check_account_id,
    default="000000000000",
    help="The server's account, in the roles' ARNs.",
)


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
        role = service.create(name, read_policy(policy_file), description)
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
