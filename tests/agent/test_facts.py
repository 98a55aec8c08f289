"""What the agent says about its host."""

from __future__ import annotations

import ipaddress
import platform
import re
import socket
from pathlib import Path

import pytest

from transom.agent.facts import collect_facts


def test_it_reads_the_os_name_and_version_from_os_release(tmp_path: Path) -> None:
    release = tmp_path / "os-release"
    release.write_text('NAME="Ubuntu"\nVERSION_ID="22.04"\nPRETTY_NAME="Ubuntu 22.04.4 LTS"\n')
    got = collect_facts(release)
    assert (got.platform_name, got.platform_version) == ("Ubuntu", "22.04")


def test_it_falls_back_to_the_kernel_when_os_release_is_missing(tmp_path: Path) -> None:
    got = collect_facts(tmp_path / "absent")
    assert (got.platform_name, got.platform_version) == (platform.system(), platform.release())


def test_it_names_the_host_and_a_valid_ipv4_address() -> None:
    got = collect_facts()
    assert got.computer_name == socket.gethostname()
    assert ipaddress.ip_address(got.ip_address).version == 4
    assert got.platform_type in ("Linux", "MacOS", "Windows")


def test_its_agent_version_has_the_dotted_form_describe_instance_information_needs() -> None:
    assert re.fullmatch(r"[0-9]{1,6}(\.[0-9]{1,6}){2,3}", collect_facts().agent_version)


def test_it_reports_loopback_when_no_route_exists(monkeypatch: pytest.MonkeyPatch) -> None:
    class Unroutable(socket.socket):
        def connect(self, _: object) -> None:
            raise OSError("Network is unreachable")

    monkeypatch.setattr("transom.agent.facts.socket.socket", Unroutable)
    assert collect_facts().ip_address == "127.0.0.1"
