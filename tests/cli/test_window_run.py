"""`transom window run` and `POST /v1/windows/{id}/executions` against a real server with a
real agent."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.agents import AgentProcess
from tests.support.cli import transom_window_run
from tests.support.nodes import activation
from tests.support.servers import (
    ACCESS_KEY_ID,
    SECRET_ACCESS_KEY,
    ServerProcess,
    aws_cli_env,
    boto3_client,
)
from tests.support.shell_window import shell_window
from tests.support.waiting import wait_for

UNKNOWN_WINDOW = "mw-0123456789abcdef0"


@pytest.fixture(scope="module")
def fleet(server: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A running agent whose node carries tag Fleet=<marker>; the marker."""
    ssm = boto3_client(server.endpoint)
    marker = f"run-{uuid.uuid4().hex[:8]}"
    activation_id, code = activation(ssm, Tags=[{"Key": "Fleet", "Value": marker}])
    agent = AgentProcess.register(
        server.endpoint, activation_id, code, tmp_path_factory.mktemp("agent")
    ).start()
    yield marker
    agent.kill()


def make_window(ssm: Any, fleet: str, *commands: str) -> str:
    """A window far from its next scheduled run, with one shell task on the fleet's node."""
    return shell_window(
        ssm, "cron(0 4 ? * SUN *)", ("Fleet", fleet), commands, name="run-now", duration=2, cutoff=1
    )


def cancel(ssm: Any, execution_id: str) -> None:
    """Cancel the execution and the command its one invocation runs; wait until it ends."""
    ssm.cancel_maintenance_window_execution(WindowExecutionId=execution_id)
    [task] = ssm.describe_maintenance_window_execution_tasks(WindowExecutionId=execution_id)[
        "WindowExecutionTaskIdentities"
    ]
    cancelled_commands: list[str] = []

    def cancelled() -> bool:
        if not cancelled_commands:
            [invocation] = ssm.describe_maintenance_window_execution_task_invocations(
                WindowExecutionId=execution_id, TaskId=task["TaskExecutionId"]
            )["WindowExecutionTaskInvocationIdentities"]
            if "ExecutionId" in invocation:
                ssm.cancel_command(CommandId=invocation["ExecutionId"])
                cancelled_commands.append(invocation["ExecutionId"])
        execution = ssm.get_maintenance_window_execution(WindowExecutionId=execution_id)
        return bool(execution["Status"] == "CANCELLED")

    wait_for(cancelled, seconds=15, what="the execution to end cancelled")


def test_run_wait_follows_the_execution_to_success(
    ssm: Any, server: ServerProcess, fleet: str, tmp_path: Path
) -> None:
    window_id = make_window(ssm, fleet, "echo hello")
    done = transom_window_run(
        window_id, "--endpoint-url", server.endpoint, "--wait", env=aws_cli_env(tmp_path)
    )
    execution_id, *progress, summary = done.stdout.splitlines()
    uuid.UUID(execution_id)
    ran = re.fullmatch(r"  (mi-\w+) SUCCESS \(command (\S+)\)", progress[-2])
    assert ran is not None, done.stdout
    assert re.fullmatch(r"task \S+ AWS-RunShellScript SUCCESS", progress[-1]), done.stdout
    assert summary.startswith(f"execution {execution_id} SUCCESS after ")
    [listed] = ssm.describe_maintenance_window_executions(WindowId=window_id)["WindowExecutions"]
    assert (listed["WindowExecutionId"], listed["Status"]) == (execution_id, "SUCCESS")
    [invocation] = ssm.list_command_invocations(CommandId=ran.group(2), Details=True)[
        "CommandInvocations"
    ]
    assert invocation["CommandPlugins"][0]["Output"] == "hello\n"


def test_credentials_and_region_come_from_a_profile_and_the_endpoint_from_the_environment(
    ssm: Any, server: ServerProcess, fleet: str, tmp_path: Path
) -> None:
    window_id = make_window(ssm, fleet, "true")
    env = {k: v for k, v in aws_cli_env(tmp_path).items() if not k.startswith("AWS_")}
    credentials, config = tmp_path / "credentials", tmp_path / "config"
    credentials.write_text(
        f"[ops]\naws_access_key_id = {ACCESS_KEY_ID}\naws_secret_access_key = {SECRET_ACCESS_KEY}\n"
    )
    config.write_text("[profile ops]\nregion = eu-west-1\n")
    env |= {
        "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
        "AWS_CONFIG_FILE": str(config),
        "AWS_ENDPOINT_URL_SSM": server.endpoint,
    }
    done = transom_window_run(window_id, "--profile", "ops", "--wait", env=env)
    assert done.stdout.splitlines()[-1].startswith(f"execution {done.stdout.split()[0]} SUCCESS")


@pytest.mark.parametrize(
    "config",
    [
        "[profile ops]\nendpoint_url = {endpoint}\n",
        "[profile ops]\nservices = here\n[services here]\nssm =\n  endpoint_url = {endpoint}\n",
    ],
    ids=["profile-endpoint-url", "services-section"],
)
def test_the_endpoint_comes_from_the_aws_profile_as_the_aws_cli_finds_it(
    ssm: Any, server: ServerProcess, fleet: str, tmp_path: Path, config: str
) -> None:
    window_id = make_window(ssm, fleet, "true")
    env = aws_cli_env(tmp_path)
    (tmp_path / "aws-credentials").write_text(
        f"[ops]\naws_access_key_id = {ACCESS_KEY_ID}\naws_secret_access_key = {SECRET_ACCESS_KEY}\n"
    )
    (tmp_path / "aws-config").write_text(config.format(endpoint=server.endpoint))
    done = transom_window_run(window_id, "--profile", "ops", "--wait", env=env)
    assert done.stdout.splitlines()[-1].startswith(f"execution {done.stdout.split()[0]} SUCCESS")


def test_a_timed_out_wait_exits_1_and_a_second_run_is_refused_while_the_first_runs(
    ssm: Any, server: ServerProcess, fleet: str, tmp_path: Path
) -> None:
    window_id = make_window(ssm, fleet, "sleep 30")
    env = aws_cli_env(tmp_path) | {"AWS_ENDPOINT_URL": server.endpoint}
    first = transom_window_run(window_id, "--wait", "--timeout", "0.5", env=env, ok=1)
    execution_id = first.stdout.splitlines()[0]
    assert f"gave up waiting after 0.5 s: execution {execution_id} is still" in first.stderr
    second = transom_window_run(window_id, env=env, ok=2)
    assert "ValidationException" in second.stderr
    assert f"already running (execution {execution_id})" in second.stderr
    cancel(ssm, execution_id)


def test_a_failed_task_fails_the_run_and_exits_1(
    ssm: Any, server: ServerProcess, fleet: str, tmp_path: Path
) -> None:
    window_id = make_window(ssm, fleet, "echo failing >&2", "exit 3")
    done = transom_window_run(
        window_id, "--endpoint-url", server.endpoint, "--wait", env=aws_cli_env(tmp_path), ok=1
    )
    assert re.search(r"^  mi-\w+ FAILED \(command \S+\): ", done.stdout, re.MULTILINE)
    assert f"execution {done.stdout.split()[0]} FAILED after " in done.stdout


@pytest.mark.parametrize(
    ("window_id", "words"),
    [
        (UNKNOWN_WINDOW, f"DoesNotExistException: Maintenance window {UNKNOWN_WINDOW} does not"),
        ("mw-123", "ValidationException: Window id 'mw-123' is malformed: a window id is 'mw-'"),
    ],
)
def test_a_refused_window_id_exits_2_with_the_api_message(
    server: ServerProcess, tmp_path: Path, window_id: str, words: str
) -> None:
    done = transom_window_run(
        window_id, "--endpoint-url", server.endpoint, env=aws_cli_env(tmp_path), ok=2
    )
    assert words in done.stderr
    assert done.stdout == ""


def test_a_wrong_secret_exits_2_with_the_signature_error(
    server: ServerProcess, tmp_path: Path
) -> None:
    env = aws_cli_env(tmp_path) | {"AWS_SECRET_ACCESS_KEY": "wrong-secret-wrong-secret-wrong"}
    done = transom_window_run(UNKNOWN_WINDOW, "--endpoint-url", server.endpoint, env=env, ok=2)
    assert "InvalidSignatureException: The request signature we calculated" in done.stderr


def test_without_an_endpoint_it_exits_2_saying_how_to_give_one(tmp_path: Path) -> None:
    done = transom_window_run(UNKNOWN_WINDOW, env=aws_cli_env(tmp_path), ok=2)
    assert "pass --endpoint-url" in done.stderr


def test_an_unreachable_server_exits_2(tmp_path: Path) -> None:
    done = transom_window_run(
        UNKNOWN_WINDOW, "--endpoint-url", "http://127.0.0.1:9", env=aws_cli_env(tmp_path), ok=2
    )
    assert "cannot reach http://127.0.0.1:9" in done.stderr


def test_an_unsigned_post_gets_an_aws_shaped_400(server: ServerProcess) -> None:
    response = httpx.post(f"{server.endpoint}/v1/windows/{UNKNOWN_WINDOW}/executions")
    assert response.status_code == 400
    assert response.json() == {
        "__type": "MissingAuthenticationTokenException",
        "message": "Missing Authentication Token",
    }
