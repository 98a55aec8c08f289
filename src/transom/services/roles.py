"""Roles: named policy documents that window tasks run as (their ServiceRoleArn,
`arn:aws:iam::ACCOUNT:role/NAME`), so a task can touch only the documents and nodes its role
allows, whatever its targets become.

A ServiceRoleArn in this server's account must name a role Transom keeps (else
`ValidationError`); one of another account names no Transom role and limits nothing (the task
runs as before roles). Passing any role to a task needs `iam:PassRole` on its ARN, which the
task operations ask of the caller's key (`Authorizer.check_caller`).
"""

from __future__ import annotations

import re

from transom.domain.clock import Clock
from transom.domain.errors import ValidationError
from transom.domain.events import Realm
from transom.domain.policies import Policy, parse_policy
from transom.domain.windows import Role
from transom.services.authorization import Arns
from transom.store.port import Store, Transaction

_NAME = re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)


class RoleService:
    def __init__(self, store: Store, clock: Clock, realm: Realm) -> None:
        self._store = store
        self._clock = clock
        self._arns = Arns(realm)

    def create(self, name: str, policy: str, description: str | None = None) -> Role:
        """A new role; `ValidationError` for a bad or taken name,
        `MalformedPolicyDocumentError` for a policy that does not parse."""
        if not _NAME.fullmatch(name):
            raise ValidationError(
                f"Role name {name[:80]!r} is not 1 to 64 letters, digits and +=,.@_- characters."
            )
        parse_policy(policy)
        role = Role(name, policy, description, self._clock.now())
        with self._store.write() as tx:
            if tx.get_role(name) is not None:
                raise ValidationError(f"Role {name} exists already.")
            tx.insert_role(role)
        return role

    def list(self) -> list[Role]:
        with self._store.read() as tx:
            return tx.list_roles()

    def delete(self, name: str) -> bool:
        """Delete the role; tasks that name it fail their invocations from then on."""
        with self._store.write() as tx:
            return tx.delete_role(name)

    def arn(self, name: str) -> str:
        return self._arns.role(name)

    def require(self, role_arn: str) -> None:
        """Refuse (`ValidationError`) a task's ServiceRoleArn of this account that names no
        Transom role."""
        name = self.name_of(role_arn)
        if name is None:
            return
        with self._store.read() as tx:
            known = tx.get_role(name) is not None
        if not known:
            raise ValidationError(
                f"ServiceRoleArn {role_arn} names no role of this server: create it with "
                f"`transom roles create {name} --policy FILE`, or leave ServiceRoleArn out."
            )

    def name_of(self, role_arn: str) -> str | None:
        """The role name of an ARN of this server's account, else None."""
        prefix = self._arns.role("")
        name = role_arn.removeprefix(prefix)
        return name if name != role_arn else None


def role_policy(tx: Transaction, realm: Realm, role_arn: str | None) -> Policy | None:
    """The policy of the Transom role `role_arn` names (None for no ARN, or one of another
    account); `ValidationError` when it names a role that no longer exists."""
    if not role_arn:
        return None
    prefix = Arns(realm).role("")
    name = role_arn.removeprefix(prefix)
    if name == role_arn:
        return None
    role = tx.get_role(name)
    if role is None:
        raise ValidationError(f"The task's role {role_arn} no longer exists.")
    return parse_policy(role.policy)
