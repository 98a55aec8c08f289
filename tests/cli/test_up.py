"""`transom up` and `transom server` as a user starts them."""

from __future__ import annotations

import os
import re
import socket
import stat
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.support.commands import command_done
from tests.support.servers import (
    Database,
    ServerProcess,
    aws_cli_env,
    boto3_client,
    install_test_key,
)
from tests.support.waiting import wait_for


def test_up_creates_one_key_prints_how_to_use_it_and_saves_it_privately(tmp_path: Path) -> None:
    db = Database("sqlite", tmp_path / "data")
    first = ServerProcess(db, subcommand="up").start()
    try:
        output = "".join(first.log)
        key_id = re.search(r"export AWS_ACCESS_KEY_ID=(AKIA[A-Z0-9]{16})", output)
        assert key_id is not None, output
        assert "aws configure set aws_secret_access_key" in output
        credentials = tmp_path / "data" / "credentials"
        assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
        os.environ["AWS_SHARED_CREDENTIALS_FILE"] = str(credentials)
        try:
            session = boto3.Session(profile_name="transom")
            ssm = session.client("ssm", endpoint_url=first.endpoint, region_name="us-east-1")
            assert ssm.describe_maintenance_windows()["WindowIdentities"] == []
        finally:
            del os.environ["AWS_SHARED_CREDENTIALS_FILE"]
    finally:
        assert first.stop() == 0
    second = ServerProcess(db, subcommand="up").start()
    try:
        assert "AWS_ACCESS_KEY_ID" not in "".join(second.log)
    finally:
        second.stop()


def test_the_server_takes_its_settings_from_transom_environment_variables(
    tmp_path: Path,
) -> None:
    db = Database("sqlite", tmp_path / "from-env")
    install_test_key(db)
    env = dict(
        os.environ,
        TRANSOM_DATA_DIR=str(db.data_dir),
        TRANSOM_HOST="127.0.0.1",
        TRANSOM_PORT="0",
        TRANSOM_MAX_WINDOWS="1",
    )
    server = ServerProcess(db, env=env, flags=False).start()
    try:
        ssm = boto3_client(server.endpoint)
        window = {
            "Name": "only-one",
            "Schedule": "rate(1 day)",
            "Duration": 2,
            "Cutoff": 1,
            "AllowUnassociatedTargets": False,
        }
        ssm.create_maintenance_window(**window)
        with pytest.raises(ClientError) as error:
            ssm.create_maintenance_window(**window)
        assert error.value.response["Error"]["Code"] == "ResourceLimitExceededException"
    finally:
        server.stop()


def test_a_taken_port_is_reported_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "transom",
                "server",
                "--port",
                port,
                "--data-dir",
                str(tmp_path),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr


def test_up_runs_an_agent_for_this_machine_that_runs_commands_at_once(tmp_path: Path) -> None:
    db = Database("sqlite", tmp_path / "data")
    install_test_key(db)
    server = ServerProcess(db, subcommand="up").start()
    try:
        ssm = boto3_client(server.endpoint)
        (node,) = wait_for(
            lambda: ssm.describe_instance_information()["InstanceInformationList"],
            what="the local agent to register",
        )
        assert node["PingStatus"] == "Online"
        command_id = ssm.send_command(
            DocumentName="AWS-RunShellScript",
            Targets=[{"Key": "tag:transom:host", "Values": ["local"]}],
            Parameters={"commands": ["python3 -c \"print('x' * 30000)\""]},
        )["Command"]["CommandId"]
        command = wait_for(lambda: command_done(ssm, command_id), what="the command")
        assert command["Status"] == "Success"
        shown = ssm.get_command_invocation(CommandId=command_id, InstanceId=node["InstanceId"])
        assert len(shown["StandardOutputContent"]) == 24_000
        full = subprocess.run(
            [
                sys.executable,
                "-m",
                "transom",
                "command",
                "output",
                command_id,
                "--endpoint-url",
                server.endpoint,
            ],
            capture_output=True,
            text=True,
            # an API client: the test key, and a data directory that is not the server's
            env=aws_cli_env(tmp_path) | {"XDG_DATA_HOME": str(tmp_path / "client")},
            timeout=60,
            check=True,
        )
        assert full.stdout == "x" * 30000 + "\n"
    finally:
        assert server.stop() == 0
    assert not any("Traceback" in line for line in server.log)
