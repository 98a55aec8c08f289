"""Transport security: `transom server --tls-cert/--tls-key` and `transom up --tls` serve
https, end to end with the real `aws` CLI (`--ca-bundle`), Transom's own API clients
(`--ca-bundle`, AWS_CA_BUNDLE) and real agents registered with `--ca-file`; verification stays
on (no CA given: refused); and an agent refuses plain http to a server that is not on its own
host unless told `--insecure-http`."""

from __future__ import annotations

import ipaddress
import json
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.agents import AgentProcess, transom_agent
from tests.support.commands import command_done
from tests.support.nodes import activation
from tests.support.servers import (
    BACKEND_PARAMS,
    Database,
    ServerProcess,
    aws_cli_env,
    aws_executable,
    boto3_client,
    install_test_key,
)
from tests.support.waiting import wait_for
from transom.crypto.certificates import ensure_server_certificate

DESCRIBE = "describe-maintenance-windows"


def aws(endpoint: str, home: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    """`aws ssm ARGS` against `endpoint`: its exit code and decoded output (or stderr)."""
    done = subprocess.run(
        [aws_executable(), "ssm", *args, "--endpoint-url", endpoint, "--output", "json"],
        env={**aws_cli_env(home), **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.returncode, json.loads(done.stdout) if done.returncode == 0 else done.stderr


def run_on(ssm: Any, instance_id: str, text: str) -> str:
    """Run `echo TEXT` on the node through SendCommand; its output once done."""
    command = ssm.send_command(
        InstanceIds=[instance_id],
        DocumentName="AWS-RunShellScript",
        Parameters={"commands": [f"echo {text}"]},
    )["Command"]["CommandId"]
    wait_for(lambda: command_done(ssm, command), what=f"command {command} to end")
    return str(
        ssm.get_command_invocation(CommandId=command, InstanceId=instance_id)[
            "StandardOutputContent"
        ]
    )


@pytest.fixture
def tls_server(fresh_db: Database, tmp_path: Path) -> Iterator[tuple[ServerProcess, Path]]:
    """`transom server` serving https with a certificate of a private CA; and that CA."""
    files = ensure_server_certificate(tmp_path / "tls", ["localhost", "127.0.0.1"])
    server = ServerProcess(
        fresh_db, ["--tls-cert", str(files.certificate), "--tls-key", str(files.key)]
    ).start()
    yield server, files.ca
    server.stop()


@pytest.mark.parametrize("fresh_db", BACKEND_PARAMS, indirect=True)
def test_the_aws_cli_transom_clients_and_an_agent_work_over_tls_with_the_ca(
    tls_server: tuple[ServerProcess, Path], tmp_path: Path
) -> None:
    server, ca = tls_server
    assert server.endpoint.startswith("https://127.0.0.1:")

    code, said = aws(server.endpoint, tmp_path, DESCRIBE)
    assert code != 0
    assert "CERTIFICATE_VERIFY_FAILED" in said
    code, said = aws(server.endpoint, tmp_path, DESCRIBE, "--ca-bundle", str(ca))
    assert (code, said) == (0, {"WindowIdentities": []})
    code, said = aws(server.endpoint, tmp_path, DESCRIBE, env={"AWS_CA_BUNDLE": str(ca)})
    assert code == 0, said

    ssm = boto3_client(server.endpoint, verify=str(ca))
    activation_id, code_ = activation(ssm)
    state = tmp_path / "agent"
    register = ["register", "--server", server.endpoint, "--id", activation_id, "--code", code_]
    refused = transom_agent(*register, "--state-dir", str(state))
    assert refused.returncode == 1
    assert "CERTIFICATE_VERIFY_FAILED" in refused.stderr
    done = transom_agent(*register, "--state-dir", str(state), "--ca-file", str(ca))
    assert done.returncode == 0, done.stderr
    agent = AgentProcess(state).start()
    try:
        assert run_on(ssm, agent.instance_id, "over-tls") == "over-tls\n"
    finally:
        agent.stop()

    env = {**aws_cli_env(tmp_path), "AWS_CA_BUNDLE": str(ca)}
    for ca_args, environment in (([], env), (["--ca-bundle", str(ca)], aws_cli_env(tmp_path))):
        listed = subprocess.run(
            [sys.executable, "-m", "transom", "events", "deliveries", "--json", *ca_args],
            env={**environment, "AWS_ENDPOINT_URL": server.endpoint},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert listed.returncode == 0, listed.stderr
        assert json.loads(listed.stdout)["deliveries"] == []
    unverified = subprocess.run(
        [sys.executable, "-m", "transom", "events", "deliveries"],
        env={**aws_cli_env(tmp_path), "AWS_ENDPOINT_URL": server.endpoint},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert unverified.returncode == 2
    assert "CERTIFICATE_VERIFY_FAILED" in unverified.stderr


def test_up_with_tls_makes_a_private_ca_once_and_its_agent_and_clients_use_it(
    tmp_path: Path,
) -> None:
    db = Database("sqlite", tmp_path / "data")
    install_test_key(db)
    args = ["--tls", "--tls-name", "transom.example"]
    first = ServerProcess(db, args, subcommand="up").start()
    tls = db.data_dir / "tls"
    ca = tls / "ca.pem"
    try:
        assert first.endpoint.startswith("https://127.0.0.1:")
        said = "".join(first.log)
        assert f"transom agent register --server https://transom.example:PORT --ca-file {ca} " in (
            said
        )
        assert f"aws --ca-bundle {ca}" in said
        assert "echo" in said  # the code goes on stdin, never in ps
        assert "--code" not in said
        for key in ("ca-key.pem", "server-key.pem"):
            assert stat.S_IMODE((tls / key).stat().st_mode) == 0o600
        code, _ = aws(first.endpoint, tmp_path, DESCRIBE, "--ca-bundle", str(ca))
        assert code == 0
        ssm = boto3_client(first.endpoint, verify=str(ca))
        local = wait_for(
            lambda: ssm.describe_instance_information()["InstanceInformationList"],
            what="the local agent to come online",
        )
        assert run_on(ssm, local[0]["InstanceId"], "local") == "local\n"
    finally:
        assert first.stop() == 0
    made = {name: (tls / name).read_bytes() for name in ("ca.pem", "ca-key.pem", "server.pem")}
    second = ServerProcess(db, args, subcommand="up").start()
    try:
        code, _ = aws(second.endpoint, tmp_path, DESCRIBE, "--ca-bundle", str(ca))
        assert code == 0
    finally:
        second.stop()
    assert {name: (tls / name).read_bytes() for name in made} == made  # made once


@pytest.mark.parametrize(
    "server",
    ["http://192.0.2.10:8770", "http://transom.example:8770", "http://[2001:db8::1]:8770"],
)
def test_an_agent_refuses_plain_http_to_another_host(server: str, tmp_path: Path) -> None:
    done = transom_agent(
        "register", "--server", server, "--id", "A", "--code", "C", "--state-dir", str(tmp_path)
    )
    assert done.returncode == 1
    assert "Error: refusing plain http to " in done.stderr
    assert "pass --insecure-http if this network is trusted" in done.stderr
    assert not (tmp_path / "registration.json").exists()

    (tmp_path / "registration.json").write_text(
        json.dumps({"server": server, "instance_id": "mi-00000000000000000", "secret": "s"})
    )
    run = transom_agent("run", "--state-dir", str(tmp_path))
    assert run.returncode == 1
    assert "Error: refusing plain http to " in run.stderr


def outward_address() -> str | None:
    """This host's address on its default route (no packet is sent); None without one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if ipaddress.ip_address(address).is_loopback else address


@pytest.mark.parametrize("fresh_db", ["sqlite"], indirect=True)
def test_plain_http_is_allowed_to_this_host_and_elsewhere_when_told(
    fresh_db: Database, tmp_path: Path
) -> None:
    outward = outward_address()
    if outward is None:
        pytest.skip("this host has no address but loopback")
    server = ServerProcess(fresh_db, ["--host", "0.0.0.0"]).start()
    try:
        ssm = boto3_client(server.endpoint.replace("0.0.0.0", "127.0.0.1"))
        activation_id, code = activation(ssm)
        port = server.endpoint.rsplit(":", 1)[1]
        outside = f"http://{outward}:{port}"
        register = ["register", "--id", activation_id, "--code", code, "--server"]
        for n, (url, extra, allowed) in enumerate(
            [
                (f"http://127.0.0.1:{port}", [], True),
                (f"http://localhost:{port}", [], True),
                (outside, [], False),
                (outside, ["--insecure-http"], True),
            ]
        ):
            state = tmp_path / f"agent-{n}"
            done = transom_agent(*register, url, "--state-dir", str(state), *extra)
            assert (done.returncode == 0) is allowed, (url, done.stderr)
            assert (state / "registration.json").exists() is allowed
        insecure = AgentProcess(tmp_path / "agent-3").start()
        try:
            assert run_on(ssm, insecure.instance_id, "told") == "told\n"
        finally:
            insecure.stop()
    finally:
        server.stop()
