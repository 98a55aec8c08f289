"""Expanding a window task's targets into the invocations of one task execution (SPEC.md §d.3).

Window targets are processed one after another: each becomes a batch. A node reachable through
two window targets is invoked once, in the first. Node ids named explicitly are kept even when
no such node is registered (the invocation then fails as undeliverable).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from transom.domain.errors import ValidationError
from transom.domain.windows import ResourceType, TargetList, WindowTarget
from transom.execution.node_selection import resolve_targets


@dataclass(frozen=True)
class PlannedInvocation:
    batch: int
    window_target_id: str | None
    owner_information: str | None
    resource_id: str | None


def plan_invocations(
    task_targets: TargetList,
    window_targets: Sequence[WindowTarget],
    node_tags: Mapping[str, Mapping[str, str]],
) -> list[PlannedInvocation]:
    """The invocations for a task with `task_targets`, against the window's targets and the
    registered nodes' tags as they are now; one targetless invocation when there are none.
    Raises ValidationError for a target Transom cannot resolve."""
    if not task_targets:
        return [PlannedInvocation(0, None, None, None)]
    planned: list[PlannedInvocation] = []
    seen: set[str] = set()

    def add(batch: int, target: WindowTarget | None, nodes: Sequence[str]) -> None:
        for node in nodes:
            if node not in seen:
                seen.add(node)
                planned.append(
                    PlannedInvocation(
                        batch,
                        None if target is None else target.window_target_id,
                        None if target is None else target.spec.owner_information,
                        node,
                    )
                )

    by_id = {t.window_target_id: t for t in window_targets}
    for entry in task_targets:
        key, values = entry["Key"], [str(v) for v in entry.get("Values", [])]
        if key == "InstanceIds":
            add(0, None, _nodes_of([{"Key": key, "Values": values}], node_tags))
        elif key == "WindowTargetIds":
            for batch, target_id in enumerate(values):
                target = by_id.get(target_id)
                if target is None:
                    continue  # deregistered since the task was registered: nothing to run on
                if target.spec.resource_type is not ResourceType.INSTANCE:
                    raise ValidationError(
                        f"Window target {target_id} is a {target.spec.resource_type}; Transom "
                        "runs tasks on INSTANCE targets only."
                    )
                add(batch, target, _nodes_of(target.spec.targets, node_tags))
        else:
            raise ValidationError(f"Task target key {key!r} is not WindowTargetIds or InstanceIds.")
    return planned


def _nodes_of(targets: TargetList, node_tags: Mapping[str, Mapping[str, str]]) -> list[str]:
    if len(targets) == 1 and targets[0]["Key"] == "InstanceIds":
        values = [str(v) for v in targets[0].get("Values", [])]
        if "*" not in values:
            return values
    return resolve_targets(targets, node_tags)
