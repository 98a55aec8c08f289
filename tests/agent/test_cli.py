"""`transom agent register|run` on the command line."""

from __future__ import annotations

import json
import signal
import socket
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from transom.agent import channel as channel_module
from transom.agent.state import Registration, load_registration, save_registration
from transom.cli.main import main

OLD = Registration("http://old:8770", "mi-00000000000000000", "old-secret")
NEW_ID = "mi-0123456789abcdef0"


@pytest.fixture
def registrations(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    """Route the CLI's channel to a fake register endpoint; the bodies it received."""
    received: list[dict[str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/agent/v1/register"
        received.append(json.loads(request.content))
        return httpx.Response(200, json={"instance_id": NEW_ID, "secret": "new-secret"})

    class FakeChannel(channel_module.Channel):
        def __init__(
            self, server: str, instance_id: str = "", secret: str = "", **_: object
        ) -> None:
            super().__init__(server, instance_id, secret, httpx.MockTransport(handler))

    monkeypatch.setattr(channel_module, "Channel", FakeChannel)
    return received


def register(state_dir: Path, *extra: str) -> tuple[int, str]:
    args = ["agent", "register", "--id", "ACT", "--state-dir", str(state_dir)]
    result = CliRunner().invoke(
        main, [*args, *extra], input="CODE\n", env={"TRANSOM_AGENT_SERVER": "https://new:8770"}
    )
    return result.exit_code, result.output


def test_register_prints_the_node_id_and_keeps_private_credentials(
    tmp_path: Path, registrations: list[dict[str, object]]
) -> None:
    code, output = register(tmp_path / "agent")
    assert (code, output) == (0, f"{NEW_ID}\n")
    assert load_registration(tmp_path / "agent") == Registration(
        "https://new:8770", NEW_ID, "new-secret"
    )
    assert stat.S_IMODE((tmp_path / "agent" / "registration.json").stat().st_mode) == 0o600
    assert registrations[0]["activation_id"] == "ACT"
    assert registrations[0]["activation_code"] == "CODE"


def test_register_refuses_to_overwrite_an_existing_registration(
    tmp_path: Path, registrations: list[dict[str, object]]
) -> None:
    save_registration(tmp_path, OLD)
    code, output = register(tmp_path)
    assert code == 1
    assert OLD.instance_id in output
    assert "--force" in output
    assert registrations == []
    assert load_registration(tmp_path) == OLD


@pytest.mark.usefixtures("registrations")
def test_register_with_force_replaces_the_registration(tmp_path: Path) -> None:
    save_registration(tmp_path, OLD)
    code, output = register(tmp_path, "--force")
    assert (code, output) == (0, f"{NEW_ID}\n")
    assert load_registration(tmp_path).instance_id == NEW_ID


def test_run_without_a_registration_says_how_to_register(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["agent", "run"], env={"TRANSOM_AGENT_STATE_DIR": str(tmp_path)}
    )
    assert result.exit_code == 1
    assert "not registered" in result.output
    assert "transom agent register" in result.output


@pytest.fixture
def silent_server() -> Iterator[tuple[str, threading.Event]]:
    """A server that accepts connections and never answers; the event is set on accept."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        try:
            held.append(listener.accept()[0])
        except OSError:
            return
        accepted.set()

    threading.Thread(target=serve, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}", accepted
    listener.close()
    for connection in held:
        connection.close()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_the_agent_cleanly_in_the_middle_of_a_long_poll(
    tmp_path: Path, silent_server: tuple[str, threading.Event], signum: signal.Signals
) -> None:
    url, accepted = silent_server
    save_registration(tmp_path, Registration(url, NEW_ID, "secret"))
    agent = subprocess.Popen(
        [sys.executable, "-m", "transom", "agent", "run", "--state-dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert accepted.wait(10), "the agent never polled"
        agent.send_signal(signum)
        _, stderr = agent.communicate(timeout=5)
    finally:
        agent.kill()
    assert agent.returncode == 0, stderr
    assert "Traceback" not in stderr
