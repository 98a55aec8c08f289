"""Use cases for activations and managed nodes: register, authenticate, heartbeat, list."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from transom.domain.clock import Clock
from transom.domain.errors import (
    ActivationExpiredError,
    InvalidActivationError,
    InvalidActivationIdError,
    InvalidInstanceIdError,
    InvalidNodeCredentialsError,
    RegistrationLimitExceededError,
    ValidationError,
)
from transom.domain.events import Realm
from transom.domain.ids import new_instance_id, new_secret, new_uuid
from transom.domain.nodes import Activation, Node, NodeFacts
from transom.domain.windows import Tag
from transom.events import transom_events
from transom.events.transom_events import CONNECTION_LOST, ONLINE
from transom.store.port import Store

log = logging.getLogger(__name__)
NODE_RESOURCE = "ManagedInstance"
DEFAULT_ACTIVATION_LIFETIME = timedelta(hours=24)
MAX_ACTIVATION_LIFETIME = timedelta(days=30)
PING_WRITE_INTERVAL = timedelta(seconds=10)
_CODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class NodeView:
    """A registered node as listed: with its ping status and tags."""

    node: Node
    ping_status: str
    tags: tuple[Tag, ...]


@dataclass(frozen=True)
class NodeOption:
    """A registered node in a list to pick nodes from."""

    instance_id: str
    name: str
    """Its Name, or its computer name when it has none."""
    ping_status: str


class NodeService:
    """Activations and nodes. A node is Online while it was heard from within `ping_timeout`
    (an agent's long poll counts), and ConnectionLost after that.

    Ping-status events: Online when a node registers and when a node last reported
    ConnectionLost is heard from again (`heartbeat`, which writes nothing more for a node
    whose status stays); ConnectionLost when `report_lost`, called periodically, finds a node
    reported Online that has gone quiet. Each node remembers the status last reported, so
    every change is reported once, by one replica, which also logs it once committed (field
    `instance_id`; never a secret or activation code)."""

    def __init__(self, store: Store, clock: Clock, ping_timeout: timedelta, realm: Realm) -> None:
        self._store = store
        self._clock = clock
        self._ping_timeout = ping_timeout
        self._realm = realm

    # activations
    def create_activation(
        self,
        *,
        iam_role: str,
        description: str | None = None,
        default_instance_name: str | None = None,
        registration_limit: int = 1,
        expiration_date: datetime | None = None,
        tags: Sequence[Tag] = (),
    ) -> tuple[str, str]:
        """A new activation; returns its id and its code (shown only now)."""
        now = self._clock.now()
        expires = expiration_date or now + DEFAULT_ACTIVATION_LIFETIME
        if not now < expires <= now + MAX_ACTIVATION_LIFETIME:
            raise ValidationError(
                "ExpirationDate must be in the future and at most 30 days away; "
                "leave it out for 24 hours."
            )
        code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(20))
        activation = Activation(
            activation_id=new_uuid(),
            code_hash=_digest(code),
            iam_role=iam_role,
            registration_limit=registration_limit,
            registrations_count=0,
            expiration_date=expires,
            created_date=now,
            description=description,
            default_instance_name=default_instance_name,
            tags=tuple(tags),
        )
        with self._store.write() as tx:
            tx.insert_activation(activation)
        return activation.activation_id, code

    def activations(self) -> list[Activation]:
        with self._store.read() as tx:
            return tx.list_activations()

    def is_expired(self, activation: Activation) -> bool:
        return activation.expiration_date <= self._clock.now()

    def delete_activation(self, activation_id: str) -> None:
        """Delete an activation; nodes registered with it stay."""
        with self._store.write() as tx:
            if not tx.delete_activation(activation_id):
                raise InvalidActivationIdError(
                    f"Activation {activation_id} does not exist; DescribeActivations lists them."
                )

    # nodes
    def register(self, activation_id: str, code: str, facts: NodeFacts) -> tuple[str, str]:
        """Turn a host into a managed node; returns its instance id and secret.

        Refuses unknown activations and wrong codes alike (InvalidActivation), expired
        activations, and activations whose registration limit is used up. The activation's
        tags become the node's tags.
        """
        now = self._clock.now()
        secret = new_secret()
        with self._store.write() as tx:
            activation = tx.get_activation(activation_id)
            if activation is None or not hmac.compare_digest(activation.code_hash, _digest(code)):
                raise InvalidActivationError(
                    "The activation ID or code is not valid. Check both, or create a new "
                    "activation (aws ssm create-activation)."
                )
            if activation.expiration_date <= now:
                raise ActivationExpiredError(
                    f"Activation {activation_id} expired at "
                    f"{activation.expiration_date.isoformat()}; create a new one."
                )
            if not tx.claim_registration(activation_id):
                raise RegistrationLimitExceededError(
                    f"Activation {activation_id} has registered its limit of "
                    f"{activation.registration_limit} nodes; create another activation."
                )
            node = Node(
                instance_id=new_instance_id(),
                activation_id=activation_id,
                secret_hash=_digest(secret),
                facts=facts,
                registration_date=now,
                last_ping_date=now,
                iam_role=activation.iam_role,
                name=activation.default_instance_name,
            )
            tx.insert_node(node)
            tx.put_tags(NODE_RESOURCE, node.instance_id, activation.tags)
            tx.append_events(
                [transom_events.ping_status(self._realm, node.instance_id, ONLINE, now)]
            )
        log.info(
            "node registered",
            extra={"instance_id": node.instance_id, "activation_id": activation_id},
        )
        return node.instance_id, secret

    def authenticate_all(
        self, credentials: Sequence[tuple[str, str]]
    ) -> list[Node | InvalidNodeCredentialsError]:
        """For each (instance id, secret), in order: its registered node, or the error to
        answer with. One read for them all."""
        with self._store.read() as tx:
            nodes = {n.instance_id: n for n in tx.nodes_of({i for i, _ in credentials})}
        found: list[Node | InvalidNodeCredentialsError] = []
        for instance_id, secret in credentials:
            node = nodes.get(instance_id)
            if (
                node is None
                or node.deregistered_date is not None
                or not hmac.compare_digest(node.secret_hash, _digest(secret))
            ):
                found.append(
                    InvalidNodeCredentialsError(
                        f"The credentials of {instance_id} are not valid (wrong secret, or the "
                        "node was deregistered). Register the host again."
                    )
                )
            else:
                found.append(node)
        return found

    def ping_due(self, node: Node, facts: NodeFacts | None) -> bool:
        """Whether hearing from `node` (with these facts) must be written: the ping time is
        written at most every `PING_WRITE_INTERVAL` (and whenever facts change), far finer
        than ConnectionLost needs, which spares a write per poll; and at once when the node
        was last reported ConnectionLost (it is Online again)."""
        return (
            facts is not None
            or node.reported_ping_status != ONLINE
            or self._clock.now() - node.last_ping_date >= PING_WRITE_INTERVAL
        )

    def heartbeat(self, pings: Sequence[tuple[Node, NodeFacts | None]]) -> None:
        """Record that these nodes were heard from (with their new facts, if any), those
        whose ping is due (`ping_due`); a node last reported ConnectionLost (as `pings` has
        it) is reported Online. The pings without facts are one statement."""
        now = self._clock.now()
        due = [(node, facts) for node, facts in pings if self.ping_due(node, facts)]
        if due:
            with self._store.write() as tx:
                tx.record_pings([node.instance_id for node, facts in due if facts is None], now)
                back = []
                for node, facts in due:
                    if facts is not None:
                        tx.record_ping(node.instance_id, now, facts)
                    if node.reported_ping_status != ONLINE and tx.report_ping_status(
                        node.instance_id, ONLINE, None
                    ):
                        back.append(node.instance_id)
                tx.append_events(
                    [transom_events.ping_status(self._realm, i, ONLINE, now) for i in back]
                )
            for instance_id in back:
                log.info("node connected again", extra={"instance_id": instance_id})

    def report_lost(self) -> int:
        """Report ConnectionLost for each node reported Online that has not been heard from
        within the ping timeout; how many. One read when there is none."""
        now = self._clock.now()
        heard_before = now - self._ping_timeout
        with self._store.read() as tx:
            quiet = tx.quiet_nodes(heard_before)
        if not quiet:
            return 0
        with self._store.write() as tx:
            lost = [
                instance_id
                for instance_id in quiet
                if tx.report_ping_status(instance_id, CONNECTION_LOST, heard_before)
            ]
            tx.append_events(
                [transom_events.ping_status(self._realm, i, CONNECTION_LOST, now) for i in lost]
            )
        timeout = self._ping_timeout.total_seconds()
        for instance_id in lost:
            log.warning(
                "node connection lost: not heard from within the ping timeout",
                extra={"instance_id": instance_id, "ping_timeout_seconds": timeout},
            )
        return len(lost)

    def deregister(self, instance_id: str) -> None:
        """Revoke the node's credentials and hide it; its history stays."""
        with self._store.write() as tx:
            if not tx.deregister_node(instance_id, self._clock.now()):
                raise InvalidInstanceIdError(
                    f"Instance {instance_id} is not a registered managed node."
                )
            tx.remove_tags(
                NODE_RESOURCE, instance_id, [t.key for t in tx.get_tags(NODE_RESOURCE, instance_id)]
            )

    def set_role(self, instance_id: str, iam_role: str) -> None:
        """The role the node reports (IamRole); `InvalidInstanceIdError` for an unknown or
        deregistered node."""
        with self._store.write() as tx:
            if not tx.set_node_role(instance_id, iam_role):
                raise InvalidInstanceIdError(
                    f"Instance {instance_id} is not a registered managed node."
                )

    def ping_status(self, node: Node) -> str:
        recent = node.last_ping_date >= self._clock.now() - self._ping_timeout
        return ONLINE if recent else CONNECTION_LOST

    def page(self, offset: int, limit: int) -> tuple[list[NodeView], int]:
        """`limit` registered nodes from the `offset`th, in registration order, as `describe`
        shows them; and how many nodes are registered. Reads only those nodes and their
        tags, whatever the fleet's size."""
        now = self._clock.now()
        with self._store.read() as tx:
            online, lost, _ = tx.count_nodes(now - self._ping_timeout)
            nodes = tx.list_nodes(offset, limit)
            tags = tx.tags_of(NODE_RESOURCE, [n.instance_id for n in nodes])
        views = [
            NodeView(n, self.ping_status(n), tuple(tags.get(n.instance_id, ()))) for n in nodes
        ]
        return views, online + lost

    def options(self) -> list[NodeOption]:
        """Every registered node, in registration order, to pick from (one narrow read)."""
        heard_since = self._clock.now() - self._ping_timeout
        with self._store.read() as tx:
            choices = tx.node_choices()
        return [
            NodeOption(
                c.instance_id,
                c.name,
                ONLINE if c.last_ping_date >= heard_since else CONNECTION_LOST,
            )
            for c in choices
        ]

    def describe(self, filters: Mapping[str, Sequence[str]]) -> list[NodeView]:
        """Registered nodes matching every filter (values of one filter are alternatives).

        Keys: InstanceIds, AgentVersion, PingStatus, PlatformTypes, ActivationIds, IamRole,
        ResourceType, `tag:<key>` and `tag-key`. A listed instance id that is not a
        registered node is an InvalidInstanceIdError.
        """
        with self._store.read() as tx:
            nodes = tx.list_nodes()
            tags = {
                node: tuple(Tag(k, v) for k, v in sorted(pairs.items()))
                for node, pairs in tx.node_tags().items()
            }
        wanted = filters.get("InstanceIds")
        if wanted:
            unknown = sorted(set(wanted) - {n.instance_id for n in nodes})
            if unknown:
                raise InvalidInstanceIdError(
                    f"Instance {unknown[0]} is not a registered managed node."
                )
        views = [NodeView(n, self.ping_status(n), tags.get(n.instance_id, ())) for n in nodes]
        return [v for v in views if all(_matches(v, k, vs) for k, vs in filters.items())]


def _matches(view: NodeView, key: str, values: Sequence[str]) -> bool:
    node = view.node
    if key.startswith("tag:"):
        return any(t.key == key[4:] and t.value in values for t in view.tags)
    if key == "tag-key":
        return any(t.key in values for t in view.tags)
    field = {
        "InstanceIds": node.instance_id,
        "AgentVersion": node.facts.agent_version,
        "PingStatus": view.ping_status,
        "PlatformTypes": node.facts.platform_type,
        "ActivationIds": node.activation_id,
        "IamRole": node.iam_role,
        "ResourceType": "ManagedInstance",
    }[key]
    return field in values
