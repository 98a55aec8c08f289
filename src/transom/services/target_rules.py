"""Semantic rules for the `Targets` lists of window targets and window tasks (SPEC.md §b.0)."""

from __future__ import annotations

import re

from transom.domain.errors import DoesNotExistError, ValidationError
from transom.domain.windows import ResourceType, TargetList

INSTANCE_ID = re.compile(r"^(i|mi)-[0-9A-Za-z]+$")
"""Loose on purpose: targets resolve at run time, and AWS's own examples use short ids."""
MAX_INSTANCE_IDS = 50
MAX_TAG_TARGETS = 5
MAX_WINDOW_TARGET_IDS = 10


def is_instance_ids(key: str) -> bool:
    return key.lower() == "instanceids"


def check_instance_ids(values: list[str]) -> None:
    if not values:
        raise ValidationError("Key=InstanceIds needs at least one instance ID in Values.")
    if len(values) > MAX_INSTANCE_IDS:
        raise ValidationError(
            f"A target lists {len(values)} instance IDs; at most {MAX_INSTANCE_IDS} are allowed."
        )
    bad = [v for v in values if not INSTANCE_ID.match(v)]
    if bad:
        raise ValidationError(
            f"Invalid instance ID {bad[0]!r}: instance IDs start with i- or mi- followed by "
            "letters and digits."
        )


def check_window_targets(resource_type: ResourceType, targets: TargetList) -> None:
    """Rules for RegisterTargetWithMaintenanceWindow / UpdateMaintenanceWindowTarget."""
    if not targets:
        raise ValidationError("Targets must name at least one target.")
    keys = [t["Key"] for t in targets]
    if resource_type is ResourceType.RESOURCE_GROUP:
        raise ValidationError(
            "ResourceType RESOURCE_GROUP is not supported: Transom has no resource groups. "
            "Register nodes with ResourceType INSTANCE, by InstanceIds or by tag:<tag-key>."
        )
    unknown = [
        k for k in keys if not (is_instance_ids(k) or k.startswith("tag:") or k == "tag-key")
    ]
    if unknown:
        raise ValidationError(
            f"Target key {unknown[0]!r} is not valid for ResourceType INSTANCE: use InstanceIds, "
            "tag:<tag-key> or tag-key."
        )
    if any(is_instance_ids(k) for k in keys) and len(targets) > 1:
        raise ValidationError(
            "Name instances either with one Key=InstanceIds target or with tag targets, not both."
        )
    for target in targets:
        key, values = target["Key"], target.get("Values", [])
        if is_instance_ids(key):
            check_instance_ids(values)
        elif key == "tag:" or not values:
            raise ValidationError(
                f"Target {key!r} needs a tag key after 'tag:' and at least one value."
                if key == "tag:"
                else f"Target {key!r} needs at least one value."
            )
        elif key == "tag-key" and len(values) > MAX_TAG_TARGETS:
            raise ValidationError(f"Key=tag-key takes at most {MAX_TAG_TARGETS} tag keys.")


def registered_instance_ids(window_targets: list[TargetList]) -> set[str]:
    """The instance IDs named by InstanceIds window targets."""
    return {
        value
        for targets in window_targets
        for target in targets
        if is_instance_ids(target["Key"])
        for value in target.get("Values", [])
    }


def unassociated_instances(task_targets: TargetList, registered_instances: set[str]) -> list[str]:
    """The instances a task names by InstanceIds that no InstanceIds window target registers."""
    return [
        value
        for target in task_targets
        if is_instance_ids(target["Key"])
        for value in target.get("Values", [])
        if value not in registered_instances
    ]


def check_task_targets(
    targets: TargetList,
    allow_unassociated_targets: bool,
    registered: set[str],
    registered_instances: set[str],
) -> None:
    """Rules for task targets: WindowTargetIds of this window, or InstanceIds. Unless the
    window allows unassociated targets, those instances must be registered window targets."""
    for target in targets:
        key, values = target["Key"], target.get("Values", [])
        if key == "WindowTargetIds":
            if not values:
                raise ValidationError("Key=WindowTargetIds needs at least one window target ID.")
            if len(values) > MAX_WINDOW_TARGET_IDS:
                raise ValidationError(
                    f"The maximum number of window targets is {MAX_WINDOW_TARGET_IDS}; "
                    f"this task names {len(values)}."
                )
            unknown = [v for v in values if v not in registered]
            if unknown:
                raise DoesNotExistError(
                    f"Window target {unknown[0]} is not registered with this maintenance window."
                )
        elif is_instance_ids(key):
            check_instance_ids(values)
            if not allow_unassociated_targets:
                unregistered = unassociated_instances(targets, registered_instances)
                if unregistered:
                    raise ValidationError(
                        f"Instance {unregistered[0]} is not a registered target of this window, "
                        "which requires registered targets (AllowUnassociatedTargets=false). "
                        "Register it with RegisterTargetWithMaintenanceWindow first, or allow "
                        "unassociated targets on the window."
                    )
        else:
            raise ValidationError(
                f"Task target key {key!r} is not valid: use WindowTargetIds or InstanceIds."
            )
