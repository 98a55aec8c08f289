"""Which windows a `Targets` + `ResourceType` query is about (SPEC.md §b.15, §b.16).

The query takes the form of a window target (the rules of RegisterTargetWithMaintenanceWindow
apply) and is read as a description of the nodes the caller asks about: `InstanceIds` names
them, `tag:K` says they carry tag K with one of the values, `tag-key` names tag keys they
carry. A query of ResourceType RESOURCE_GROUP is refused, as registering such a target is.

A window is about the query when one of its window targets of the same ResourceType would
select such a node, or one of its tasks names a queried instance directly:
- an `InstanceIds` window target names one of the queried instance IDs;
- a tag window target has every entry met (its entries are ANDed, as at run time): `tag:K`
  with values V by a queried `tag:K` sharing a value with V; `tag-key` with keys Ks by every
  key of Ks being among the queried tag keys (of `tag:K` or `tag-key` entries);
- a task has an `InstanceIds` task target naming one of the queried instance IDs;
- a queried instance ID is a registered node whose own tags meet every entry of a tag window
  target (`node_tags`: what `tag:`/`tag-key` targets resolve against at run time).
"""

from __future__ import annotations

from collections.abc import Mapping

from transom.domain.windows import ResourceType, TargetList, WindowTarget, WindowTask
from transom.services.target_rules import check_window_targets, is_instance_ids


class TargetQuery:
    """A validated query; construction raises `ValidationError` for a malformed one."""

    def __init__(
        self,
        resource_type: ResourceType,
        targets: TargetList,
        node_tags: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        check_window_targets(resource_type, targets)
        self.resource_type = resource_type
        self.node_tags = dict(node_tags or {})
        """The tags of the queried instances that are registered nodes."""
        self.instance_ids: set[str] = set()
        self.tags: dict[str, set[str]] = {}
        self.tag_keys: set[str] = set()
        for target in targets:
            key, values = target["Key"], set(target.get("Values", []))
            if is_instance_ids(key):
                self.instance_ids |= values
            elif key.startswith("tag:"):
                self.tags.setdefault(key[4:], set()).update(values)
                self.tag_keys.add(key[4:])
            else:  # tag-key, the one other key check_window_targets lets through
                self.tag_keys |= values

    def selects(self, target: WindowTarget) -> bool:
        """Whether the window target would select a node the query describes."""
        if target.spec.resource_type is not self.resource_type:
            return False
        entries = [(e["Key"], set(e.get("Values", []))) for e in target.spec.targets]
        return all(self._meets(k, v) for k, v in entries) or any(
            all(_node_meets(instance_id, tags, k, v) for k, v in entries)
            for instance_id, tags in self.node_tags.items()
        )

    def names_instance_in(self, task: WindowTask) -> bool:
        """Whether one of the task's `InstanceIds` targets names a queried instance."""
        return any(
            is_instance_ids(entry["Key"]) and not self.instance_ids.isdisjoint(entry["Values"])
            for entry in task.spec.targets
        )

    def _meets(self, key: str, values: set[str]) -> bool:
        if is_instance_ids(key):
            return not self.instance_ids.isdisjoint(values)
        if key.startswith("tag:"):
            return not self.tags.get(key[4:], set()).isdisjoint(values)
        if key == "tag-key":
            return values <= self.tag_keys
        return False


def _node_meets(instance_id: str, tags: Mapping[str, str], key: str, values: set[str]) -> bool:
    """Whether one registered node meets one window-target entry."""
    if is_instance_ids(key):
        return instance_id in values
    if key.startswith("tag:"):
        return tags.get(key[4:]) in values
    if key == "tag-key":
        return values <= set(tags)
    return False
