"""Run Command's server side over the real agent protocol: dispatch within MaxConcurrency,
the MaxErrors budget, results applied once, cancellation and delivery time-outs."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.commands import command_done
from tests.support.nodes import activation, outcome, poll, register, results
from tests.support.servers import ServerProcess
from tests.support.waiting import wait_for
from transom.wire import RegisterResponse


def _fleet(ssm: Any, server: ServerProcess, size: int) -> tuple[str, list[RegisterResponse]]:
    marker = f"fleet-{uuid.uuid4().hex[:8]}"
    activation_id, code = activation(ssm, Tags=[{"Key": "Fleet", "Value": marker}])
    return marker, [register(server.endpoint, activation_id, code) for _ in range(size)]


def _work(server: ServerProcess, node: RegisterResponse) -> list[dict[str, Any]]:
    answer = poll(server.endpoint, node.instance_id, node.secret)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["work"])


def _command(ssm: Any, command_id: str) -> dict[str, Any]:
    return dict(ssm.list_commands(CommandId=command_id)["Commands"][0])


def test_a_command_by_tag_runs_within_max_concurrency_and_succeeds(
    ssm: Any, server: ServerProcess
) -> None:
    marker, nodes = _fleet(ssm, server, 3)
    sent = ssm.send_command(
        DocumentName="AWS-RunShellScript",
        Targets=[{"Key": "tag:Fleet", "Values": [marker]}],
        Parameters={"commands": ["echo hello"]},
        MaxConcurrency="1",
        Comment="hello",
    )["Command"]
    assert sent["Status"] == "Pending"
    assert sorted(sent["InstanceIds"]) == sorted(n.instance_id for n in nodes)
    assert (sent["TargetCount"], sent["MaxErrors"], sent["DocumentVersion"]) == (3, "0", "")
    # echoed as sent; the document's defaults apply when it runs (below)
    assert sent["Parameters"] == {"commands": ["echo hello"]}
    assert _command(ssm, sent["CommandId"])["Parameters"] == {"commands": ["echo hello"]}
    assert sent["NotificationConfig"] == {
        "NotificationArn": "",
        "NotificationEvents": [],
        "NotificationType": "",
    }
    command_id = sent["CommandId"]
    handed = [(n, _work(server, n)) for n in nodes]
    busy = [(n, w[0]) for n, w in handed if w]
    assert len(busy) == 1  # MaxConcurrency 1
    node, item = busy[0]
    assert item["commands"] == ["echo hello"]
    assert item["plugin_name"] == "aws:runShellScript"
    assert item["execution_timeout"] == 3600
    assert item["working_directory"] == ""
    # not accepted yet: the same lease is offered again
    assert _work(server, node) == [item]
    assert results(server.endpoint, node.instance_id, node.secret, outcome(item, "InProgress")) == {
        "acknowledged": [command_id]
    }
    assert _work(server, node) == []
    final = outcome(item, "Success", out="hello\n")
    assert results(server.endpoint, node.instance_id, node.secret, final)["acknowledged"] == [
        command_id
    ]
    # a repeated report is acknowledged and changes nothing
    results(server.endpoint, node.instance_id, node.secret, {**final, "stdout": "again"})
    got = ssm.get_command_invocation(CommandId=command_id, InstanceId=node.instance_id)
    assert (got["Status"], got["StandardOutputContent"], got["ResponseCode"]) == (
        "Success",
        "hello\n",
        0,
    )
    for other in nodes:
        if other is node:
            continue
        for item in _work(server, other):
            results(server.endpoint, other.instance_id, other.secret, outcome(item, "Success"))
    command = _command(ssm, command_id)
    assert (command["Status"], command["CompletedCount"], command["ErrorCount"]) == (
        "Success",
        3,
        0,
    )
    invocations = ssm.list_command_invocations(CommandId=command_id, Details=True)[
        "CommandInvocations"
    ]
    assert {i["Status"] for i in invocations} == {"Success"}
    assert invocations[0]["CommandPlugins"][0]["Name"] == "aws:runShellScript"


def test_the_error_budget_stops_a_command_and_terminates_the_rest(
    ssm: Any, server: ServerProcess
) -> None:
    marker, nodes = _fleet(ssm, server, 4)
    command_id = ssm.send_command(
        DocumentName="AWS-RunShellScript",
        Targets=[{"Key": "tag:Fleet", "Values": [marker]}],
        Parameters={"commands": ["false"]},
        MaxConcurrency="2",
        MaxErrors="1",
    )["Command"]["CommandId"]
    failed = 0
    for node in nodes:
        for item in _work(server, node):
            results(server.endpoint, node.instance_id, node.secret, outcome(item, "Failed", 1))
            failed += 1
    assert failed == 2  # two ran at a time; both failed: one more than MaxErrors allows
    command = _command(ssm, command_id)
    assert (command["Status"], command["StatusDetails"], command["ErrorCount"]) == (
        "Failed",
        "Failed",
        2,
    )
    details = sorted(
        i["StatusDetails"]
        for i in ssm.list_command_invocations(CommandId=command_id)["CommandInvocations"]
    )
    assert details == ["Failed", "Failed", "Terminated", "Terminated"]
    assert all(_work(server, n) == [] for n in nodes)


def test_results_ride_the_next_poll_which_acknowledges_them(
    ssm: Any, server: ServerProcess
) -> None:
    marker, (a, b) = _fleet(ssm, server, 2)
    command_id = ssm.send_command(
        DocumentName="AWS-RunShellScript",
        Targets=[{"Key": "tag:Fleet", "Values": [marker]}],
        Parameters={"commands": ["echo hi"]},
        MaxConcurrency="1",
    )["Command"]["CommandId"]
    first, other = (a, b) if _work(server, a) else (b, a)
    (item,) = _work(server, first)
    assert _work(server, other) == []  # MaxConcurrency 1
    final = outcome(item, "Success", out="hi\n")
    answer = poll(server.endpoint, first.instance_id, first.secret, results=[final])
    assert (answer.json()["acknowledged"], answer.json()["work"]) == ([command_id], [])
    # the slot it freed goes to the other node; a repeated result changes nothing
    (item,) = _work(server, other)
    again = poll(
        server.endpoint, first.instance_id, first.secret, results=[{**final, "stdout": "x"}]
    )
    assert again.json()["acknowledged"] == [command_id]
    got = ssm.get_command_invocation(CommandId=command_id, InstanceId=first.instance_id)
    assert (got["Status"], got["StandardOutputContent"]) == ("Success", "hi\n")
    # a malformed result refuses the whole poll and applies nothing
    bad = poll(
        server.endpoint, other.instance_id, other.secret, results=[final, {"status": "Success"}]
    )
    assert (bad.status_code, bad.json()["error"]) == (400, "InvalidRequest")
    assert "command_id" in bad.json()["message"]
    got = ssm.get_command_invocation(CommandId=command_id, InstanceId=other.instance_id)
    assert got["Status"] == "InProgress"


def test_concurrent_polls_hand_out_no_more_than_max_concurrency(
    ssm: Any, server: ServerProcess
) -> None:
    marker, nodes = _fleet(ssm, server, 8)
    ssm.send_command(
        DocumentName="AWS-RunShellScript",
        Targets=[{"Key": "tag:Fleet", "Values": [marker]}],
        Parameters={"commands": ["true"]},
        MaxConcurrency="3",
    )
    with ThreadPoolExecutor(len(nodes)) as pool:
        handed = list(pool.map(lambda n: _work(server, n), nodes))
    assert sum(len(work) for work in handed) == 3


def test_a_deregistered_node_s_unfinished_invocations_end_undeliverable(
    ssm: Any, server: ServerProcess
) -> None:
    marker, (running, offered, pending, healthy) = _fleet(ssm, server, 4)
    command_id = ssm.send_command(
        DocumentName="AWS-RunShellScript",
        Targets=[{"Key": "tag:Fleet", "Values": [marker]}],
        Parameters={"commands": ["true"]},
        MaxConcurrency="100%",
    )["Command"]["CommandId"]
    (item,) = _work(server, running)
    results(server.endpoint, running.instance_id, running.secret, outcome(item, "InProgress"))
    assert _work(server, offered)  # handed out, never accepted
    for node in (running, offered, pending):
        ssm.deregister_managed_instance(InstanceId=node.instance_id)
    for (healthy_item,) in [_work(server, healthy)]:
        results(
            server.endpoint, healthy.instance_id, healthy.secret, outcome(healthy_item, "Success")
        )
    # the deregistered agent can no longer report
    late = results(server.endpoint, running.instance_id, running.secret, outcome(item, "Failed", 1))
    assert late["error"] == "InvalidNodeCredentials"
    invocations = {
        i["InstanceId"]: (i["Status"], i["StatusDetails"])
        for i in ssm.list_command_invocations(CommandId=command_id)["CommandInvocations"]
    }
    assert invocations == {
        **{n.instance_id: ("Failed", "Undeliverable") for n in (running, offered, pending)},
        healthy.instance_id: ("Success", "Success"),
    }
    command = _command(ssm, command_id)
    assert (command["Status"], command["CompletedCount"], command["ErrorCount"]) == (
        "Success",
        4,
        0,
    )


def test_a_result_with_a_stale_lease_is_ignored(ssm: Any, server: ServerProcess) -> None:
    _, (node,) = _fleet(ssm, server, 1)
    command_id = ssm.send_command(
        DocumentName="AWS-RunShellScript",
        InstanceIds=[node.instance_id],
        Parameters={"commands": ["true"]},
    )["Command"]["CommandId"]
    (item,) = _work(server, node)
    forged = outcome({**item, "lease": str(uuid.uuid4())}, "Failed", 1)
    assert results(server.endpoint, node.instance_id, node.secret, forged)["acknowledged"] == [
        command_id
    ]
    got = ssm.get_command_invocation(CommandId=command_id, InstanceId=node.instance_id)
    assert got["Status"] == "InProgress"


def test_cancel_cancels_pending_at_once_and_asks_the_agent_to_stop_running_ones(
    ssm: Any, server: ServerProcess
) -> None:
    marker, nodes = _fleet(ssm, server, 2)
    command_id = ssm.send_command(
        DocumentName="AWS-RunShellScript",
        Targets=[{"Key": "tag:Fleet", "Values": [marker]}],
        Parameters={"commands": ["sleep 600"]},
        MaxConcurrency="1",
    )["Command"]["CommandId"]
    running = [(n, w[0]) for n in nodes if (w := _work(server, n))]
    (node, item) = running[0]
    results(server.endpoint, node.instance_id, node.secret, outcome(item, "InProgress"))
    ssm.cancel_command(CommandId=command_id)
    answer = poll(server.endpoint, node.instance_id, node.secret).json()
    assert answer["cancel"] == [command_id]
    assert _command(ssm, command_id)["Status"] == "Cancelling"
    results(server.endpoint, node.instance_id, node.secret, outcome(item, "Cancelled", -1))
    command = _command(ssm, command_id)
    assert (command["Status"], command["StatusDetails"]) == ("Cancelled", "Cancelled")
    statuses = {
        i["InstanceId"]: i["Status"]
        for i in ssm.list_command_invocations(CommandId=command_id)["CommandInvocations"]
    }
    assert set(statuses.values()) == {"Cancelled"}


def test_a_node_that_never_polls_times_out_undelivered(ssm: Any, server: ServerProcess) -> None:
    _, (node,) = _fleet(ssm, server, 1)
    command_id = ssm.send_command(
        DocumentName="AWS-RunShellScript",
        InstanceIds=[node.instance_id],
        Parameters={"commands": ["true"]},
        TimeoutSeconds=30,
    )["Command"]["CommandId"]
    command = wait_for(
        lambda: command_done(ssm, command_id), seconds=45, what="the delivery time-out"
    )
    assert (command["Status"], command["StatusDetails"], command["DeliveryTimedOutCount"]) == (
        "TimedOut",
        "Delivery Timed Out",
        1,
    )
    got = ssm.get_command_invocation(CommandId=command_id, InstanceId=node.instance_id)
    assert (got["Status"], got["StatusDetails"]) == ("TimedOut", "Delivery Timed Out")


@pytest.mark.parametrize(
    ("request_args", "code"),
    [
        (
            {"DocumentName": "AWS-NoSuchDocument", "InstanceIds": ["mi-0123456789abcdef0"]},
            "InvalidDocument",
        ),
        ({"InstanceIds": ["mi-0123456789abcdef0"]}, "InvalidInstanceId"),
        ({"InstanceIds": ["{node}", "{node}"]}, "DuplicateInstanceId"),
        ({"InstanceIds": ["{node}"], "Parameters": {"command": ["x"]}}, "InvalidParameters"),
        ({"InstanceIds": ["{node}"], "Parameters": {}}, "InvalidParameters"),
        (
            {
                "InstanceIds": ["{node}"],
                "Parameters": {"commands": ["x"], "executionTimeout": ["0"]},
            },
            "InvalidParameters",
        ),
        (
            {"Targets": [{"Key": "tag:a", "Values": ["b"]}], "InstanceIds": ["{node}"]},
            "ValidationException",
        ),
        ({"InstanceIds": ["{node}"], "DocumentVersion": "7"}, "InvalidDocumentVersion"),
    ],
)
def test_bad_send_command_requests_are_refused_and_create_nothing(
    ssm: Any, server: ServerProcess, request_args: dict[str, Any], code: str
) -> None:
    _, (node,) = _fleet(ssm, server, 1)
    params: dict[str, Any] = {
        "DocumentName": "AWS-RunShellScript",
        "Parameters": {"commands": ["true"]},
    }
    params.update(request_args)
    params["InstanceIds"] = [
        i.replace("{node}", node.instance_id) for i in params.get("InstanceIds", [])
    ]
    if not params["InstanceIds"]:
        del params["InstanceIds"]
    before = len(ssm.list_commands(MaxResults=50)["Commands"])
    with pytest.raises(ClientError) as error:
        ssm.send_command(**params)
    assert error.value.response["Error"]["Code"] == code
    assert len(ssm.list_commands(MaxResults=50)["Commands"]) == before


def test_get_command_invocation_says_it_does_not_exist_until_it_does(ssm: Any) -> None:
    with pytest.raises(ClientError) as error:
        ssm.get_command_invocation(CommandId=str(uuid.uuid4()), InstanceId="mi-0123456789abcdef0")
    assert error.value.response["Error"]["Code"] == "InvocationDoesNotExist"
    docs = ssm.list_documents()["DocumentIdentifiers"]
    assert [d["Name"] for d in docs] == ["AWS-RunPowerShellScript", "AWS-RunShellScript"]
    described = ssm.describe_document(Name="AWS-RunShellScript")["Document"]
    assert [p["Name"] for p in described["Parameters"]] == [
        "commands",
        "workingDirectory",
        "executionTimeout",
    ]


def test_a_command_cancelled_before_its_node_accepted_it_ends_cancelled(
    ssm: Any, server: ServerProcess
) -> None:
    _, (node,) = _fleet(ssm, server, 1)
    command_id = ssm.send_command(
        DocumentName="AWS-RunShellScript",
        InstanceIds=[node.instance_id],
        Parameters={"commands": ["true"]},
    )["Command"]["CommandId"]
    (item,) = _work(server, node)  # handed out, never accepted
    ssm.cancel_command(CommandId=command_id)
    assert poll(server.endpoint, node.instance_id, node.secret).json()["cancel"] == []
    command = _command(ssm, command_id)
    assert (command["Status"], command["StatusDetails"]) == ("Cancelled", "Cancelled")
    late = results(server.endpoint, node.instance_id, node.secret, outcome(item, "Success"))
    assert late["acknowledged"] == [command_id]
    assert _command(ssm, command_id)["Status"] == "Cancelled"


def test_invocations_echo_the_role_and_output_settings_the_command_was_sent_with(
    ssm: Any, server: ServerProcess
) -> None:
    _, nodes = _fleet(ssm, server, 1)
    cloudwatch = {"CloudWatchLogGroupName": "ops", "CloudWatchOutputEnabled": True}
    role = "arn:aws:iam::000000000000:role/maintenance"
    command_id = ssm.send_command(
        DocumentName="AWS-RunShellScript",
        InstanceIds=[nodes[0].instance_id],
        Parameters={"commands": ["true"]},
        ServiceRoleArn=role,
        CloudWatchOutputConfig=cloudwatch,
    )["Command"]["CommandId"]
    listed = ssm.list_command_invocations(CommandId=command_id)["CommandInvocations"][0]
    assert (listed["ServiceRole"], listed["CloudWatchOutputConfig"]) == (role, cloudwatch)
    assert listed["NotificationConfig"] == {
        "NotificationArn": "",
        "NotificationEvents": [],
        "NotificationType": "",
    }
    got = ssm.get_command_invocation(CommandId=command_id, InstanceId=nodes[0].instance_id)
    assert got["CloudWatchOutputConfig"] == cloudwatch


def test_a_command_notifying_a_topic_that_is_not_there_is_refused_and_not_sent(
    ssm: Any, server: ServerProcess
) -> None:
    _, nodes = _fleet(ssm, server, 1)
    for arn, says in [
        (
            "arn:aws:sns:us-east-1:000000000000:no-such-topic",
            "'no-such-topic', which does not exist",
        ),
        ("not-an-arn", "is not a topic of this server"),
    ]:
        comment = f"refused-{uuid.uuid4().hex[:8]}"
        with pytest.raises(ClientError) as error:
            ssm.send_command(
                DocumentName="AWS-RunShellScript",
                InstanceIds=[nodes[0].instance_id],
                Parameters={"commands": ["true"]},
                Comment=comment,
                NotificationConfig={"NotificationArn": arn, "NotificationEvents": ["All"]},
            )
        assert error.value.response["Error"]["Code"] == "InvalidNotificationConfig"
        assert says in error.value.response["Error"]["Message"]
        listed = ssm.list_commands(InstanceId=nodes[0].instance_id)["Commands"]
        assert [c for c in listed if c["Comment"] == comment] == []
