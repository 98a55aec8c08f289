"""Authorization: whether a caller's access key (or a window task's role) may perform an action
on resources, by the policy it carries (`transom.domain.policies`).

A key without a policy may do everything, at no cost beyond a dictionary lookup. A key with a
policy is asked about each resource the request touches, by its ARN (`Arns` builds them as AWS
does); a resource's tags are read only when a statement that matches has a tag condition, and
are then kept for `cache_seconds` (5 s, as keys and their policies are), so a changed tag
applies to the edge's checks within that time, on every replica. The first resource not
allowed refuses the whole request with `AccessDeniedError` in IAM's words, before anything is
changed. (SendCommand's nodes and a task's role are checked against the tags in the
transaction that uses them, never cached ones.)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from transom.domain.errors import AccessDeniedError
from transom.domain.events import Realm
from transom.domain.policies import Decision, Policy, denial
from transom.services.documents import DOCUMENT_RESOURCE
from transom.services.keys import KeyService
from transom.services.nodes import NODE_RESOURCE
from transom.services.windows import WINDOW_RESOURCE
from transom.store.port import Store, Transaction

ANYTHING = "*"
"""The resource of operations on no particular resource (List*, Describe* of everything)."""
TagsOf = Callable[[str], Mapping[str, str]]
"""The tags of the resource an ARN names."""
_CALLER: ContextVar[str | None] = ContextVar("transom_caller", default=None)
_SSM_KINDS = {
    "maintenancewindow": WINDOW_RESOURCE,
    "document": DOCUMENT_RESOURCE,
    "managed-instance": NODE_RESOURCE,
}


@dataclass(frozen=True)
class Arns:
    """The ARNs of the resources a policy speaks of, in the server's realm."""

    realm: Realm

    def window(self, window_id: str) -> str:
        return self.realm.arn("ssm", f"maintenancewindow/{window_id}")

    def document(self, name: str) -> str:
        """A document's ARN; AWS's own documents (AWS-*) name no account, as on AWS."""
        if name.startswith("arn:"):
            return name
        if name.startswith("AWS-"):
            return f"arn:aws:ssm:{self.realm.region}::document/{name}"
        return self.realm.arn("ssm", f"document/{name}")

    def node(self, instance_id: str) -> str:
        return self.realm.arn("ssm", f"managed-instance/{instance_id}")

    def rule(self, name: str) -> str:
        return self.realm.arn("events", f"rule/{name}")

    def topic(self, name: str) -> str:
        return self.realm.arn("sns", name)

    def role(self, name: str) -> str:
        return f"arn:aws:iam::{self.realm.account_id}:role/{name}"

    def user(self, access_key_id: str) -> str:
        return f"arn:aws:iam::{self.realm.account_id}:user/{access_key_id}"


class Authorizer:
    """Checks callers' keys, and roles, against the resources of a request."""

    def __init__(
        self, store: Store, keys: KeyService, realm: Realm, cache_seconds: float = 5.0
    ) -> None:
        self._store = store
        self._keys = keys
        self.arns = Arns(realm)
        self._cache_seconds = cache_seconds
        self._tags_cache: dict[str, tuple[Mapping[str, str], float]] = {}

    def check(
        self,
        access_key_id: str,
        action: str,
        resources: Iterable[str],
        tags_of: TagsOf | None = None,
    ) -> None:
        """Refuse with `AccessDeniedError` unless the key may do `action` (`service:Name`) on
        every one of `resources` (ARNs, or `ANYTHING`); `tags_of` reads their tags when the
        caller has them at hand (by default they are read from the store, when needed)."""
        policy = self._keys.policy_for(access_key_id)
        if policy is not None:
            self.check_policy(policy, self.arns.user(access_key_id), action, resources, tags_of)

    def check_policy(
        self,
        policy: Policy,
        who: str,
        action: str,
        resources: Iterable[str],
        tags_of: TagsOf | None = None,
    ) -> None:
        """`check` for a policy (of a key or a role) that `who` (an ARN) holds."""
        check_policy(policy, who, action, resources, tags_of or self._tags)

    def node_tags_of(self, node_tags: Callable[[], Mapping[str, Mapping[str, str]]]) -> TagsOf:
        """A `TagsOf` for managed nodes' ARNs from `node_tags()` (tags by instance id, read in
        the caller's transaction), called at most once and only if a condition asks."""
        read: list[Mapping[str, Mapping[str, str]]] = []
        prefix = self.arns.node("")

        def tags_of(arn: str) -> Mapping[str, str]:
            if not read:
                read.append(node_tags())
            return read[0].get(arn.removeprefix(prefix), {})

        return tags_of

    @contextmanager
    def acting_for(self, access_key_id: str) -> Iterator[None]:
        """Within it, `check_caller` checks the key of the request being handled."""
        token = _CALLER.set(access_key_id)
        try:
            yield
        finally:
            _CALLER.reset(token)

    def check_caller(
        self, action: str, resources: Iterable[str], tags_of: TagsOf | None = None
    ) -> None:
        """`check` for the key of the request being handled (`acting_for`): what a handler
        learns only as it goes (SendCommand's resolved targets, a task's role). Outside a
        request (the engine, the command line) there is no caller and nothing to check."""
        access_key_id = _CALLER.get()
        if access_key_id is not None:
            self.check(access_key_id, action, resources, tags_of)

    def _tags(self, arn: str) -> Mapping[str, str]:
        """The tags of the resource `arn` names, as read at most `cache_seconds` ago."""
        now = time.monotonic()
        cached = self._tags_cache.get(arn)
        if cached is not None and cached[1] > now:
            return cached[0]
        tags = self._read_tags(arn)
        if len(self._tags_cache) > 10_000:
            self._tags_cache.clear()
        self._tags_cache[arn] = (tags, now + self._cache_seconds)
        return tags

    def _read_tags(self, arn: str) -> Mapping[str, str]:
        """The tags of the resource `arn` names; none for one that does not exist (or that is
        not this server's)."""
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[3] != self.arns.realm.region:
            return {}
        service, account, resource = parts[2], parts[4], parts[5]
        if account not in ("", self.arns.realm.account_id):
            return {}
        with self._store.read() as tx:
            return _tags_in(tx, service, resource)


def check_policy(
    policy: Policy, who: str, action: str, resources: Iterable[str], tags_of: TagsOf
) -> None:
    """Refuse with `AccessDeniedError` unless `policy`, which `who` (an ARN) holds, allows
    `action` on every one of `resources`."""
    for arn in resources:
        decision = policy.decide(action, arn, lambda: tags_of(arn))  # noqa: B023 (called now)
        if decision is not Decision.ALLOW:
            raise AccessDeniedError(denial(who, action, arn, decision))


def _tags_in(tx: Transaction, service: str, resource: str) -> Mapping[str, str]:
    if service == "sns":
        topic = tx.get_topic(resource)
        return {} if topic is None else topic.tags
    kind, _, name = resource.partition("/")
    if service == "events" and kind == "rule":
        rule = tx.get_rule(name)
        return {} if rule is None else rule.tags
    if service == "ssm" and kind in _SSM_KINDS:
        return {tag.key: tag.value for tag in tx.get_tags(_SSM_KINDS[kind], name)}
    return {}
