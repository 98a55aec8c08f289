"""The rule that says which window targets a Targets + ResourceType query is about."""

from __future__ import annotations

from typing import Any

import pytest

from transom.domain.errors import ValidationError
from transom.domain.windows import (
    ResourceType,
    TargetSpec,
    TaskSpec,
    TaskType,
    WindowTarget,
    WindowTask,
)
from transom.services.target_query import TargetQuery

INSTANCE, GROUP = ResourceType.INSTANCE, ResourceType.RESOURCE_GROUP


def t(key: str, *values: str) -> dict[str, Any]:
    return {"Key": key, "Values": list(values)}


SELECTS = [
    # (query, window target, selected)
    ([t("InstanceIds", "i-1")], [t("InstanceIds", "i-2", "i-1")], True),
    ([t("instanceids", "i-1")], [t("InstanceIds", "i-1")], True),
    ([t("InstanceIds", "i-1")], [t("InstanceIds", "i-2")], False),
    ([t("InstanceIds", "i-1")], [t("tag:Env", "prod")], False),  # i-1 is no registered node
    ([t("tag:Env", "prod")], [t("tag:Env", "prod", "staging")], True),
    ([t("tag:Env", "prod", "dev")], [t("tag:Env", "prod")], True),
    ([t("tag:Env", "dev")], [t("tag:Env", "prod")], False),
    ([t("tag:env", "prod")], [t("tag:Env", "prod")], False),  # tag keys are case-sensitive
    ([t("tag:Env", "prod")], [t("tag:Env", "prod"), t("tag:Role", "web")], False),
    ([t("tag:Env", "prod"), t("tag:Role", "web")], [t("tag:Env", "prod")], True),
    ([t("tag:Env", "prod"), t("tag:Role", "web")], [t("tag-key", "Env", "Role")], True),
    ([t("tag:Env", "prod")], [t("tag-key", "Env", "Role")], False),
    ([t("tag-key", "Env", "Role")], [t("tag-key", "Env")], True),
    ([t("tag-key", "Env")], [t("tag:Env", "prod")], False),
    ([t("tag:Env", "prod")], [t("InstanceIds", "i-1")], False),
]


@pytest.mark.parametrize(("query", "registered", "selected"), SELECTS)
def test_an_instance_window_target_is_selected_when_it_would_select_the_described_node(
    query: list[dict[str, Any]], registered: list[dict[str, Any]], selected: bool
) -> None:
    target = WindowTarget("mw-0123456789abcdef0", "t", TargetSpec(INSTANCE, registered))
    assert TargetQuery(INSTANCE, query).selects(target) is selected


def test_a_resource_group_query_is_refused_as_its_registration_is() -> None:
    with pytest.raises(ValidationError, match="RESOURCE_GROUP is not supported"):
        TargetQuery(GROUP, [t("resource-groups:Name", "db")])


NODE_TAGS = [
    # (window target, selected for i-1 tagged Env=prod, Role=web)
    ([t("tag:Env", "prod", "dev")], True),
    ([t("tag:Env", "prod"), t("tag:Role", "web")], True),
    ([t("tag:Env", "prod"), t("tag:Role", "db")], False),
    ([t("tag-key", "Env", "Role")], True),
    ([t("tag-key", "Env", "Team")], False),
]


@pytest.mark.parametrize(("registered", "selected"), NODE_TAGS)
def test_an_instance_query_meets_tag_targets_through_the_registered_nodes_tags(
    registered: list[dict[str, Any]], selected: bool
) -> None:
    target = WindowTarget("mw-0123456789abcdef0", "t", TargetSpec(INSTANCE, registered))
    query = TargetQuery(
        INSTANCE, [t("InstanceIds", "i-1", "i-2")], {"i-1": {"Env": "prod", "Role": "web"}}
    )
    assert query.selects(target) is selected


def test_a_window_target_of_another_resource_type_is_never_selected() -> None:
    target = WindowTarget(
        "mw-0123456789abcdef0", "t", TargetSpec(GROUP, [t("resource-groups:Name", "db")])
    )
    assert not TargetQuery(INSTANCE, [t("tag:Name", "db")]).selects(target)


def test_a_task_is_about_the_instances_its_instance_ids_target_names() -> None:
    def task(*targets: dict[str, Any]) -> WindowTask:
        spec = TaskSpec("AWS-RunShellScript", TaskType.RUN_COMMAND, list(targets))
        return WindowTask("mw-0123456789abcdef0", "k", spec)

    query = TargetQuery(INSTANCE, [t("InstanceIds", "i-1")])
    assert query.names_instance_in(task(t("InstanceIds", "i-2", "i-1")))
    assert not query.names_instance_in(task(t("InstanceIds", "i-2")))
    assert not query.names_instance_in(task(t("WindowTargetIds", "i-1")))


def test_a_query_takes_the_form_of_a_window_target() -> None:
    with pytest.raises(ValidationError, match="Hostname"):
        TargetQuery(INSTANCE, [t("Hostname", "a")])
    with pytest.raises(ValidationError, match="at least one target"):
        TargetQuery(INSTANCE, [])
