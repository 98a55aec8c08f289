"""Activations and nodes on SQLAlchemy Core (`transom.store.ports.nodes.NodePort`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from transom.domain.nodes import Activation, Node, NodeFacts
from transom.domain.windows import Tag
from transom.store import schema as t
from transom.store.ports.nodes import NodeChoice
from transom.store.sql_rows import in_order

# Hot lookups, built once: constructing a statement costs more than running it on SQLite.
_GET_NODE = sa.select(t.nodes).where(t.nodes.c.instance_id == sa.bindparam("id"))
_NODES_OF = sa.select(t.nodes).where(t.nodes.c.instance_id.in_(sa.bindparam("ids", expanding=True)))
_NODE_CHOICES = (
    sa.select(
        t.nodes.c.instance_id, t.nodes.c.name, t.nodes.c.computer_name, t.nodes.c.last_ping_date
    )
    .where(t.nodes.c.deregistered_date.is_(None))
    .order_by(t.nodes.c.seq)
)
_RECORD_PINGS = (
    t.nodes.update()
    .where(t.nodes.c.instance_id.in_(sa.bindparam("ids", expanding=True)))
    .values(last_ping_date=sa.bindparam("at"))
)
_NODE_FACTS = tuple(f.name for f in dataclasses.fields(NodeFacts))
_NODE_FIELDS = tuple(f.name for f in dataclasses.fields(Node))
in_order(t.nodes, ("seq", *_NODE_FIELDS[:3], *_NODE_FACTS, *_NODE_FIELDS[4:]))
_FACTS_AT = slice(4, 4 + len(_NODE_FACTS))


def _activation(row: sa.Row[Any]) -> Activation:
    m = dict(row._mapping)
    m["tags"] = tuple(Tag(tag["Key"], tag["Value"]) for tag in m["tags"])
    return Activation(**m)


def _node(row: Sequence[Any]) -> Node:
    """A row of `select(nodes)`, by position (every poll authenticates with one)."""
    return Node(row[1], row[2], row[3], NodeFacts(*row[_FACTS_AT]), *row[_FACTS_AT.stop :])


class NodeQueries:
    _conn: Connection

    # activations
    def insert_activation(self, activation: Activation) -> None:
        row = dataclasses.asdict(activation)
        row["tags"] = [{"Key": t.key, "Value": t.value} for t in activation.tags]
        self._conn.execute(t.activations.insert().values(row))

    def get_activation(self, activation_id: str) -> Activation | None:
        row = self._conn.execute(
            sa.select(t.activations).where(t.activations.c.activation_id == activation_id)
        ).first()
        return None if row is None else _activation(row)

    def list_activations(self) -> list[Activation]:
        rows = self._conn.execute(sa.select(t.activations).order_by(t.activations.c.created_date))
        return [_activation(r) for r in rows]

    def delete_activation(self, activation_id: str) -> bool:
        result = self._conn.execute(
            t.activations.delete().where(t.activations.c.activation_id == activation_id)
        )
        return result.rowcount > 0

    def claim_registration(self, activation_id: str) -> bool:
        result = self._conn.execute(
            t.activations.update()
            .where(
                t.activations.c.activation_id == activation_id,
                t.activations.c.registrations_count < t.activations.c.registration_limit,
            )
            .values(registrations_count=t.activations.c.registrations_count + 1)
        )
        return result.rowcount > 0

    # nodes
    def insert_node(self, node: Node) -> None:
        row = {k: v for k, v in dataclasses.asdict(node).items() if k != "facts"}
        row.update(dataclasses.asdict(node.facts))
        self._conn.execute(t.nodes.insert().values(row))

    def get_node(self, instance_id: str) -> Node | None:
        row = self._conn.execute(_GET_NODE, {"id": instance_id}).first()
        return None if row is None else _node(row)

    def nodes_of(self, instance_ids: Collection[str]) -> list[Node]:
        return [_node(r) for r in self._conn.execute(_NODES_OF, {"ids": list(instance_ids)})]

    def list_nodes(self, offset: int = 0, limit: int | None = None) -> list[Node]:
        query = (
            sa.select(t.nodes).where(t.nodes.c.deregistered_date.is_(None)).order_by(t.nodes.c.seq)
        )
        if offset or limit is not None:
            query = query.offset(offset).limit(limit)
        return [_node(r) for r in self._conn.execute(query)]

    def node_choices(self) -> list[NodeChoice]:
        rows = self._conn.execute(_NODE_CHOICES)
        return [NodeChoice(i, name or computer, ping) for i, name, computer, ping in rows]

    def record_ping(self, instance_id: str, at: datetime, facts: NodeFacts | None) -> None:
        values: dict[str, Any] = {"last_ping_date": at}
        if facts is not None:
            values.update(dataclasses.asdict(facts))
        self._conn.execute(
            t.nodes.update().where(t.nodes.c.instance_id == instance_id).values(values)
        )

    def record_pings(self, instance_ids: Collection[str], at: datetime) -> None:
        if instance_ids:
            self._conn.execute(_RECORD_PINGS, {"ids": list(instance_ids), "at": at})

    def quiet_nodes(self, heard_before: datetime) -> list[str]:
        rows = self._conn.execute(
            sa.select(t.nodes.c.instance_id)
            .where(
                t.nodes.c.deregistered_date.is_(None),
                t.nodes.c.reported_ping_status == "Online",
                t.nodes.c.last_ping_date < heard_before,
            )
            .order_by(t.nodes.c.seq)
        )
        return list(rows.scalars())

    def report_ping_status(
        self, instance_id: str, status: str, heard_before: datetime | None
    ) -> bool:
        where = [
            t.nodes.c.instance_id == instance_id,
            t.nodes.c.deregistered_date.is_(None),
            t.nodes.c.reported_ping_status != status,
        ]
        if heard_before is not None:
            where.append(t.nodes.c.last_ping_date < heard_before)
        result = self._conn.execute(
            t.nodes.update().where(*where).values(reported_ping_status=status)
        )
        return result.rowcount > 0

    def deregister_node(self, instance_id: str, at: datetime) -> bool:
        result = self._conn.execute(
            t.nodes.update()
            .where(t.nodes.c.instance_id == instance_id, t.nodes.c.deregistered_date.is_(None))
            .values(deregistered_date=at)
        )
        return result.rowcount > 0

    def set_node_role(self, instance_id: str, iam_role: str) -> bool:
        result = self._conn.execute(
            t.nodes.update()
            .where(t.nodes.c.instance_id == instance_id, t.nodes.c.deregistered_date.is_(None))
            .values(iam_role=iam_role)
        )
        return result.rowcount > 0
