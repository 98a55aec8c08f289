"""Resolving `Targets` to node ids against a snapshot of nodes and their tags (SPEC.md §b.0)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from transom.domain.errors import ValidationError


def resolve_targets(
    targets: Sequence[Mapping[str, Any]], node_tags: Mapping[str, Mapping[str, str]]
) -> list[str]:
    """The node ids (in `node_tags` order) matched by every target entry.

    `node_tags` maps each registered node id to its tags. Entries: `InstanceIds` (`*` is all
    nodes), `tag:K` (tag K with any of the values), `tag-key` (all of the keys).
    """
    chosen = list(node_tags)
    for target in targets:
        key, values = str(target["Key"]), [str(v) for v in target.get("Values", [])]
        if key.lower() == "instanceids":
            if "*" not in values:
                chosen = [n for n in chosen if n in values]
        elif key.startswith("tag:") and len(key) > 4:
            chosen = [n for n in chosen if node_tags[n].get(key[4:]) in values]
        elif key == "tag-key":
            chosen = [n for n in chosen if all(k in node_tags[n] for k in values)]
        else:
            raise ValidationError(
                f"Target key {key!r} is not supported: use InstanceIds, tag:<key> or tag-key."
            )
    return chosen
