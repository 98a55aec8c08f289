"""Managed nodes, the activations they register with, and their tags as targets."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from transom.domain.nodes import Activation, Node, NodeFacts


@dataclass(frozen=True)
class NodeChoice:
    """A registered node as a list to pick nodes from shows it."""

    instance_id: str
    name: str
    """Its Name, or its computer name when it has none."""
    last_ping_date: datetime


class NodePort(Protocol):
    # activations
    def insert_activation(self, activation: Activation) -> None:
        """Add the activation; its id must be new."""

    def get_activation(self, activation_id: str) -> Activation | None:
        """The activation, or None when there is none with this id."""

    def list_activations(self) -> list[Activation]:
        """All activations, oldest first."""

    def delete_activation(self, activation_id: str) -> bool:
        """Delete the activation (nodes registered with it stay); False when it did not exist."""

    def claim_registration(self, activation_id: str) -> bool:
        """Count one registration against the activation's limit; False when it is used up
        or does not exist. Compare-and-set: concurrent claims never exceed the limit."""

    # nodes
    def insert_node(self, node: Node) -> None:
        """Register the node, after every node registered before; its id must be new."""

    def get_node(self, instance_id: str) -> Node | None:
        """The node, deregistered or not; None when there is none with this id."""

    def nodes_of(self, instance_ids: Collection[str]) -> list[Node]:
        """The nodes with these ids that exist (deregistered or not), in no particular order."""

    def list_nodes(self, offset: int = 0, limit: int | None = None) -> list[Node]:
        """Registered (not deregistered) nodes in registration order: `limit` of them (all
        when None) from the `offset`th."""

    def node_choices(self) -> list[NodeChoice]:
        """Every registered node in registration order, read as a list to pick from shows
        it (one narrow read, whatever the fleet's size)."""

    def record_ping(self, instance_id: str, at: datetime, facts: NodeFacts | None) -> None:
        """Note that the node was heard from at `at`, and its new facts if given (else its
        facts stay)."""

    def record_pings(self, instance_ids: Collection[str], at: datetime) -> None:
        """Note that each of these nodes was heard from at `at` (their facts stay): one
        statement for them all."""

    def quiet_nodes(self, heard_before: datetime) -> list[str]:
        """The ids of registered nodes whose `reported_ping_status` is Online and that were
        last heard from before `heard_before`, in registration order."""

    def report_ping_status(
        self, instance_id: str, status: str, heard_before: datetime | None
    ) -> bool:
        """Set the registered node's `reported_ping_status` to `status` unless it is that
        already (and, when `heard_before` is given, only if the node was last heard from
        before it); whether it changed. Compare-and-set: of racing reports, one changes it."""

    def count_nodes(self, heard_since: datetime) -> tuple[int, int, int]:
        """(registered nodes last heard from at or after `heard_since`, the other registered
        nodes, deregistered nodes)."""

    def deregister_node(self, instance_id: str, at: datetime) -> bool:
        """Mark a registered node deregistered at `at`; False when it was not registered."""

    def set_node_role(self, instance_id: str, iam_role: str) -> bool:
        """Give a registered node `iam_role`; False when it is not registered."""

    def node_tags(self) -> dict[str, dict[str, str]]:
        """Every registered node (in registration order) with its tags (empty when none)."""

    def node_names(self) -> dict[str, str]:
        """Every registered node's computer name, by id (one read, whatever the fleet's size:
        what a command sent to targets needs of its nodes)."""
