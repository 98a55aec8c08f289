"""The agent protocol's messages as JSON, and its versions reading each other's."""

from __future__ import annotations

import dataclasses
import json

import pytest

from transom.wire import (
    WIRE_VERSION,
    AgentError,
    InvocationResult,
    PluginResult,
    PluginStatus,
    PollRequest,
    PollResponse,
    ResultStatus,
    StepItem,
    WorkItem,
)


def _item(command_id: str, *steps: StepItem) -> WorkItem:
    first = steps[0]
    return WorkItem(
        command_id,
        f"lease-{command_id}",
        "Runbook",
        first.plugin_name,
        first.commands,
        first.working_directory,
        first.execution_timeout,
        list(steps),
    )


def test_a_poll_response_is_its_fields_as_json_and_reads_back_the_same() -> None:
    one, two = (f"00000000-0000-4000-8000-00000000000{n}" for n in (1, 2))
    work = [
        _item(one, StepItem("aws:runShellScript", "aws:runShellScript", ["true"], "", 30)),
        _item(
            two,
            StepItem("one", "aws:runShellScript", ["a", "b"], "/", 5, on_failure="exit"),
            StepItem("two", "aws:runPowerShellScript", ["c"], "", 9, "Linux", finally_step=True),
        ),
    ]
    response = PollResponse(1700000000.5, work, ["c-3"], ["c-0"])
    text = json.dumps(response.to_json())
    assert json.loads(text) == dataclasses.asdict(response)
    assert PollResponse.from_json(json.loads(text)) == response
    assert PollResponse(1.0).to_json() == {
        "server_time": 1.0,
        "work": [],
        "cancel": [],
        "acknowledged": [],
    }


def test_a_work_item_of_version_1_reads_as_its_one_step() -> None:
    old = {
        "command_id": "c-1",
        "lease": "l",
        "document_name": "AWS-RunShellScript",
        "plugin_name": "aws:runShellScript",
        "commands": ["uptime"],
        "working_directory": "/tmp",
        "execution_timeout": 60,
    }
    (step,) = WorkItem.from_json(old).steps
    assert step == StepItem("aws:runShellScript", "aws:runShellScript", ["uptime"], "/tmp", 60)


def test_the_version_1_fields_of_a_work_item_are_its_first_step() -> None:
    """What an agent of version 1 reads (it ignores `steps`) is the first step."""
    item = _item("c-1", StepItem("one", "aws:runShellScript", ["a"], "/", 5))
    data = item.to_json()
    assert (data["plugin_name"], data["commands"], data["execution_timeout"]) == (
        "aws:runShellScript",
        ["a"],
        5,
    )


def test_messages_of_version_1_read_with_the_defaults_of_what_version_2_added() -> None:
    poll = PollRequest.from_json({"wait_seconds": 5})
    assert poll.wire_version == 1
    assert PollRequest(5).wire_version == WIRE_VERSION == 2
    old_result = {
        "command_id": "c-1",
        "lease": "l",
        "status": "Success",
        "response_code": 0,
        "stdout": "out",
        "stderr": "",
        "started_at": 1.0,
        "finished_at": 2.0,
    }
    assert InvocationResult.from_json(old_result).plugins == []


def test_a_result_with_plugins_reads_back_the_same() -> None:
    plugins = [
        PluginResult("one", PluginStatus.FAILED, 1, "o", "e", 1.0, 2.0),
        PluginResult("two", PluginStatus.SKIPPED, 0, "why", "", 2.0, 2.0),
    ]
    result = InvocationResult("c-1", "l", ResultStatus.FAILED, 1, "", "", 1.0, 2.0, plugins)
    assert InvocationResult.from_json(json.loads(json.dumps(result.to_json()))) == result


@pytest.mark.parametrize(
    ("plugin", "words"),
    [
        ({"status": "Rebooted"}, "status must be one of"),
        ({"name": "n" * 101}, "PluginResult.name must be a string of 100"),
        ({"response_code": "1"}, "PluginResult.response_code must be a 32-bit integer"),
        ({"stdout": 3}, "PluginResult.stdout must be a string"),
    ],
)
def test_a_bad_plugin_result_is_refused(plugin: dict[str, object], words: str) -> None:
    good = dataclasses.asdict(PluginResult("one", PluginStatus.SUCCESS, 0, "", "", 1.0, 2.0))
    result = dataclasses.asdict(
        InvocationResult("c-1", "l", ResultStatus.SUCCESS, 0, "", "", 1.0, 2.0)
    )
    with pytest.raises(AgentError, match=words):
        InvocationResult.from_json({**result, "plugins": [{**good, **plugin}]})
