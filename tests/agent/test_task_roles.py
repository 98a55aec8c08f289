"""A window task's role on real agents (issue 14 §4): the role allows AWS-RunShellScript only on
nodes tagged Env=staging, so the task's invocation on a production node among its targets is
recorded FAILED with an access-denied message, and in the audit trail, while those on staging
nodes run."""

from __future__ import annotations

import json
import uuid
from typing import Any

from tests.agent.test_windows_end_to_end import ended_execution
from tests.support.agents import AgentProcess
from tests.support.schedules import at_in
from tests.support.servers import Database
from tests.support.signing import signed_get
from tests.support.window_tasks import window_with_task
from transom.domain.clock import SystemClock
from transom.domain.events import Realm
from transom.services.roles import RoleService
from transom.services.window_runner import ROLE_SOURCE

SHELL = "arn:aws:ssm:us-east-1::document/AWS-RunShellScript"
STAGING_ONLY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "ssm:SendCommand", "Resource": SHELL},
        {
            "Effect": "Allow",
            "Action": "ssm:SendCommand",
            "Resource": "arn:aws:ssm:*:*:managed-instance/*",
            "Condition": {"StringEquals": {"ssm:resourceTag/Env": "staging"}},
        },
    ],
}


def test_a_role_blocks_the_invocation_on_a_node_it_does_not_allow(
    ssm: Any, fleet: tuple[str, list[AgentProcess]], backend_db: Database
) -> None:
    marker, agents = fleet
    envs = {agents[0].instance_id: "staging", agents[1].instance_id: "staging"}
    envs[agents[2].instance_id] = "production"
    for instance_id, env in envs.items():
        ssm.add_tags_to_resource(
            ResourceType="ManagedInstance",
            ResourceId=instance_id,
            Tags=[{"Key": "Env", "Value": env}],
        )
    store = backend_db.open_store()
    try:
        roles = RoleService(store, SystemClock(), Realm())
        role = f"staging-only-{uuid.uuid4().hex[:8]}"
        roles.create(role, json.dumps(STAGING_ONLY), "runs shell scripts on staging")
    finally:
        store.close()
    role_arn = f"arn:aws:iam::000000000000:role/{role}"
    window, _ = window_with_task(
        ssm,
        f"roles-{marker}",
        at_in(3),
        ("Fleet", marker),
        ServiceRoleArn=role_arn,
        TaskInvocationParameters={"RunCommand": {"Parameters": {"commands": ["echo ran"]}}},
        MaxConcurrency="100%",
        MaxErrors="1",
        Priority=1,
    )

    execution = ended_execution(ssm, window)

    execution_id = execution["WindowExecutionId"]
    [task_id] = ssm.get_maintenance_window_execution(WindowExecutionId=execution_id)["TaskIds"]
    task = ssm.get_maintenance_window_execution_task(WindowExecutionId=execution_id, TaskId=task_id)
    assert task["ServiceRole"] == role_arn
    invocations = ssm.describe_maintenance_window_execution_task_invocations(
        WindowExecutionId=execution_id, TaskId=task_id
    )["WindowExecutionTaskInvocationIdentities"]
    by_node = {json.loads(i["Parameters"])["instanceIds"][0]: i for i in invocations}
    assert sorted(by_node) == sorted(envs)
    production = agents[2].instance_id
    denied = by_node.pop(production)
    assert denied["Status"] == "FAILED"
    assert "ExecutionId" not in denied
    assert (
        denied["StatusDetails"]
        == (
            f"User: {role_arn} is not authorized to perform: ssm:SendCommand on resource: "
            f"arn:aws:ssm:us-east-1:000000000000:managed-instance/{production} because no "
            "identity-based policy allows the ssm:SendCommand action"
        )[:250]
    )
    for instance_id, invocation in by_node.items():
        assert invocation["Status"] == "SUCCESS"
        output = ssm.get_command_invocation(
            CommandId=invocation["ExecutionId"], InstanceId=instance_id
        )
        assert output["StandardOutputContent"] == "ran\n"
    assert execution["Status"] == "FAILED"

    trail = signed_get(f"{ssm.meta.endpoint_url}/v1/audit?resource={production}")
    [refused] = [r for r in trail.json()["records"] if r["SourceAddress"] == ROLE_SOURCE]
    assert (refused["AccessKeyId"], refused["Operation"]) == (None, "SendCommand")
    assert refused["Outcome"] == "AccessDeniedException"
    assert refused["Resources"] == [window, production, "AWS-RunShellScript"]
    assert refused["Parameters"]["ServiceRoleArn"] == role_arn
