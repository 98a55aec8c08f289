"""Activations, node registration over the agent channel, and the node inventory API."""

from __future__ import annotations

import dataclasses
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.nodes import FACTS, activation, poll, register
from tests.support.servers import BACKEND_PARAMS, Database, ServerProcess, boto3_client
from tests.support.waiting import wait_for
from transom.wire import RegisterResponse


def _code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def _node(ssm: Any, instance_id: str) -> dict[str, Any]:
    listed = ssm.describe_instance_information(
        Filters=[{"Key": "InstanceIds", "Values": [instance_id]}]
    )["InstanceInformationList"]
    assert len(listed) == 1
    return dict(listed[0])


def test_a_registered_node_is_listed_with_its_facts_and_the_activations_tags(
    ssm: Any, server: ServerProcess
) -> None:
    activation_id, code = activation(
        ssm,
        Description="web tier",
        DefaultInstanceName="web",
        Tags=[{"Key": "Role", "Value": "web"}],
    )
    registered = register(server.endpoint, activation_id, code)
    assert isinstance(registered, RegisterResponse)
    assert registered.instance_id.startswith("mi-")
    assert len(registered.instance_id) == 20
    node = _node(ssm, registered.instance_id)
    assert {
        k: node[k]
        for k in (
            "PingStatus",
            "AgentVersion",
            "PlatformType",
            "PlatformName",
            "PlatformVersion",
            "ActivationId",
            "IamRole",
            "ResourceType",
            "IPAddress",
            "ComputerName",
            "Name",
        )
    } == {
        "PingStatus": "Online",
        "AgentVersion": "0.1.0",
        "PlatformType": "Linux",
        "PlatformName": "Debian GNU/Linux",
        "PlatformVersion": "12",
        "ActivationId": activation_id,
        "IamRole": "transom-node",
        "ResourceType": "ManagedInstance",
        "IPAddress": "192.0.2.10",
        "ComputerName": "web-1.example",
        "Name": "web",
    }
    tags = ssm.list_tags_for_resource(
        ResourceType="ManagedInstance", ResourceId=registered.instance_id
    )["TagList"]
    assert tags == [{"Key": "Role", "Value": "web"}]
    listed = ssm.describe_activations(
        Filters=[{"FilterKey": "ActivationIds", "FilterValues": [activation_id]}]
    )["ActivationList"]
    assert listed[0]["RegistrationsCount"] == 1
    assert listed[0]["Expired"] is False
    assert listed[0]["Description"] == "web tier"


def test_nodes_are_found_by_tag_tag_key_and_activation_filters(
    ssm: Any, server: ServerProcess
) -> None:
    activation_id, code = activation(ssm)
    first = register(server.endpoint, activation_id, code).instance_id
    second = register(server.endpoint, activation_id, code).instance_id
    marker = f"m{time.monotonic_ns()}"
    ssm.add_tags_to_resource(
        ResourceType="ManagedInstance", ResourceId=first, Tags=[{"Key": "Batch", "Value": marker}]
    )
    ssm.add_tags_to_resource(
        ResourceType="ManagedInstance", ResourceId=second, Tags=[{"Key": marker, "Value": "x"}]
    )

    def ids(filters: list[dict[str, Any]]) -> list[str]:
        pages = ssm.get_paginator("describe_instance_information").paginate(Filters=filters)
        return [n["InstanceId"] for p in pages for n in p["InstanceInformationList"]]

    assert ids([{"Key": "tag:Batch", "Values": [marker]}]) == [first]
    assert ids([{"Key": "tag-key", "Values": [marker]}]) == [second]
    both = ids([{"Key": "ActivationIds", "Values": [activation_id]}])
    assert both == [first, second]
    with pytest.raises(ClientError) as error:
        ids([{"Key": "tag:Batch", "Values": [marker]}, {"Key": "PingStatus", "Values": ["Online"]}])
    assert _code(error) == "InvalidFilterKey"


def test_the_legacy_filter_list_selects_by_activation_and_pages_in_registration_order(
    ssm: Any, server: ServerProcess
) -> None:
    activation_id, code = activation(ssm)
    made = [register(server.endpoint, activation_id, code).instance_id for _ in range(7)]
    pages = list(
        ssm.get_paginator("describe_instance_information").paginate(
            InstanceInformationFilterList=[{"key": "ActivationIds", "valueSet": [activation_id]}],
            PaginationConfig={"PageSize": 5},
        )
    )
    assert [len(p["InstanceInformationList"]) for p in pages] == [5, 2]
    assert [n["InstanceId"] for p in pages for n in p["InstanceInformationList"]] == made


def test_registration_refuses_bad_codes_used_up_and_expired_activations(
    ssm: Any, server: ServerProcess
) -> None:
    activation_id, code = activation(ssm, RegistrationLimit=1)
    assert register(server.endpoint, activation_id, "wrong-code")["error"] == "InvalidActivation"
    assert (
        register(server.endpoint, "0" * 8 + "-0000-0000-0000-" + "0" * 12, code)["error"]
        == "InvalidActivation"
    )
    assert isinstance(register(server.endpoint, activation_id, code), RegisterResponse)
    assert register(server.endpoint, activation_id, code)["error"] == "RegistrationLimitExceeded"
    short_id, short_code = activation(ssm, ExpirationDate=datetime.now(UTC) + timedelta(seconds=1))

    def short() -> dict[str, Any]:
        return dict(
            ssm.describe_activations(
                Filters=[{"FilterKey": "ActivationIds", "FilterValues": [short_id]}]
            )["ActivationList"][0]
        )

    wait_for(lambda: short()["Expired"], what="the activation to expire")
    assert register(server.endpoint, short_id, short_code)["error"] == "ActivationExpired"
    assert (short()["Expired"], short()["RegistrationsCount"]) == (True, 0)


def test_a_node_cannot_use_another_nodes_credentials_or_outlive_deregistration(
    ssm: Any, server: ServerProcess
) -> None:
    activation_id, code = activation(ssm)
    one = register(server.endpoint, activation_id, code)
    two = register(server.endpoint, activation_id, code)
    assert poll(server.endpoint, one.instance_id, one.secret).status_code == 200
    stolen = poll(server.endpoint, two.instance_id, one.secret)
    assert (stolen.status_code, stolen.json()["error"]) == (401, "InvalidNodeCredentials")
    ssm.deregister_managed_instance(InstanceId=one.instance_id)
    refused = poll(server.endpoint, one.instance_id, one.secret)
    assert (refused.status_code, refused.json()["error"]) == (401, "InvalidNodeCredentials")
    listed = ssm.describe_instance_information(
        Filters=[{"Key": "ActivationIds", "Values": [activation_id]}]
    )["InstanceInformationList"]
    assert [n["InstanceId"] for n in listed] == [two.instance_id]
    with pytest.raises(ClientError) as error:
        ssm.deregister_managed_instance(InstanceId=one.instance_id)
    assert _code(error) == "InvalidInstanceId"
    with pytest.raises(ClientError) as error:
        ssm.list_tags_for_resource(ResourceType="ManagedInstance", ResourceId=one.instance_id)
    assert _code(error) == "InvalidResourceId"


def test_a_node_takes_a_new_role_that_describe_reports(ssm: Any, server: ServerProcess) -> None:
    activation_id, code = activation(ssm)
    node = register(server.endpoint, activation_id, code)
    ssm.update_managed_instance_role(InstanceId=node.instance_id, IamRole="patching-role")
    described = ssm.describe_instance_information(
        Filters=[{"Key": "IamRole", "Values": ["patching-role"]}]
    )["InstanceInformationList"]
    assert [(n["InstanceId"], n["IamRole"]) for n in described] == [
        (node.instance_id, "patching-role")
    ]
    ssm.deregister_managed_instance(InstanceId=node.instance_id)
    for instance_id in (node.instance_id, "mi-0123456789abcdef0"):
        with pytest.raises(ClientError) as error:
            ssm.update_managed_instance_role(InstanceId=instance_id, IamRole="other")
        assert _code(error) == "InvalidInstanceId"
        assert f"Instance {instance_id} is not a registered managed node" in str(error.value)


def test_deleting_an_activation_stops_new_registrations_only(
    ssm: Any, server: ServerProcess
) -> None:
    activation_id, code = activation(ssm)
    node = register(server.endpoint, activation_id, code)
    ssm.delete_activation(ActivationId=activation_id)
    assert register(server.endpoint, activation_id, code)["error"] == "InvalidActivation"
    assert poll(server.endpoint, node.instance_id, node.secret).status_code == 200
    with pytest.raises(ClientError) as error:
        ssm.delete_activation(ActivationId=activation_id)
    assert _code(error) == "InvalidActivationId"


@pytest.mark.parametrize("fresh_db", BACKEND_PARAMS, indirect=True)
def test_a_silent_node_shows_connection_lost_until_it_polls_again(fresh_db: Database) -> None:
    server = ServerProcess(fresh_db, ["--node-ping-timeout", "1"]).start()
    try:
        ssm = boto3_client(server.endpoint)
        activation_id, code = activation(ssm)
        node = register(server.endpoint, activation_id, code)
        assert _node(ssm, node.instance_id)["PingStatus"] == "Online"
        wait_for(
            lambda: _node(ssm, node.instance_id)["PingStatus"] == "ConnectionLost",
            seconds=10,
            what="the silent node to show ConnectionLost",
        )
        moved = dataclasses.replace(FACTS, ip_address="192.0.2.99")
        assert poll(server.endpoint, node.instance_id, node.secret, facts=moved).status_code == 200
        again = _node(ssm, node.instance_id)
        assert (again["PingStatus"], again["IPAddress"]) == ("Online", "192.0.2.99")
    finally:
        server.stop()


@pytest.mark.parametrize("fresh_db", BACKEND_PARAMS, indirect=True)
def test_a_waiting_poll_gets_work_sent_through_another_server(fresh_db: Database) -> None:
    servers = [ServerProcess(fresh_db).start() for _ in range(2)]
    try:
        ssm = boto3_client(servers[0].endpoint)
        activation_id, code = activation(ssm)
        node = register(servers[0].endpoint, activation_id, code)
        answers: list[dict[str, Any]] = []
        # facts that differ from the registration's are written before the poll starts waiting
        arrived = dataclasses.replace(FACTS, ip_address="192.0.2.78")
        waiting = threading.Thread(
            target=lambda: answers.append(
                poll(servers[0].endpoint, node.instance_id, node.secret, 25, arrived).json()
            )
        )
        waiting.start()
        wait_for(
            lambda: _node(ssm, node.instance_id)["IPAddress"] == "192.0.2.78",
            what="the long poll to reach the server",
        )
        # the other server cannot wake the poll: the waiting polls look for work unwoken
        command_id = boto3_client(servers[1].endpoint).send_command(
            DocumentName="AWS-RunShellScript",
            InstanceIds=[node.instance_id],
            Parameters={"commands": ["true"]},
        )["Command"]["CommandId"]
        waiting.join(timeout=60)
        assert [item["command_id"] for item in answers[0]["work"]] == [command_id]
    finally:
        for server in servers:
            server.stop()


@pytest.mark.parametrize("fresh_db", BACKEND_PARAMS, indirect=True)
def test_a_long_poll_waits_and_ends_at_once_when_the_server_stops(fresh_db: Database) -> None:
    server = ServerProcess(fresh_db).start()
    ssm = boto3_client(server.endpoint)
    activation_id, code = activation(ssm)
    node = register(server.endpoint, activation_id, code)
    started = time.monotonic()
    assert poll(server.endpoint, node.instance_id, node.secret, wait=1).status_code == 200
    assert time.monotonic() - started >= 1
    answers: list[int] = []
    # facts that differ from the registration's are written before the poll starts waiting
    arrived = dataclasses.replace(FACTS, ip_address="192.0.2.77")
    waiting = threading.Thread(
        target=lambda: answers.append(
            poll(server.endpoint, node.instance_id, node.secret, 25, arrived).status_code
        )
    )
    waiting.start()
    wait_for(
        lambda: _node(ssm, node.instance_id)["IPAddress"] == "192.0.2.77",
        what="the long poll to reach the server",
    )
    stop_started = time.monotonic()
    assert server.stop() == 0
    waiting.join(timeout=10)
    assert answers == [200]
    assert time.monotonic() - stop_started < 5
