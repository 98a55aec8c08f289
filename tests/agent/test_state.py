"""The agent's state directory and its registration file."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from transom.agent import state
from transom.agent.state import (
    NotRegisteredError,
    Registration,
    default_state_dir,
    load_registration,
    save_registration,
)

NODE = Registration("http://server:8770", "mi-0123456789abcdef0", "s3cret")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_saved_registration_loads_back(tmp_path: Path) -> None:
    save_registration(tmp_path / "agent", NODE)
    assert load_registration(tmp_path / "agent") == NODE


def test_the_registration_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    folder = tmp_path / "agent"
    save_registration(folder, NODE)
    assert mode(folder) == 0o700
    assert mode(folder / state.REGISTRATION_FILE) == 0o600


def test_an_existing_state_directory_is_made_private(tmp_path: Path) -> None:
    folder = tmp_path / "agent"
    folder.mkdir(mode=0o755)
    save_registration(folder, NODE)
    assert mode(folder) == 0o700


def test_a_failed_write_leaves_the_previous_registration_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_registration(tmp_path, NODE)

    def crash(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("transom.agent.state.os.replace", crash)
    with pytest.raises(OSError, match="disk full"):
        save_registration(tmp_path, Registration("http://other", "mi-ffffffffffffffff0", "x"))
    assert json.loads((tmp_path / state.REGISTRATION_FILE).read_text())["secret"] == "s3cret"


def test_a_write_leaves_no_temporary_file_behind(tmp_path: Path) -> None:
    save_registration(tmp_path, NODE)
    save_registration(tmp_path, NODE)
    assert [p.name for p in tmp_path.iterdir()] == [state.REGISTRATION_FILE]


def test_an_unregistered_directory_says_how_to_register(tmp_path: Path) -> None:
    with pytest.raises(NotRegisteredError, match=r"not registered.*transom agent register"):
        load_registration(tmp_path)


def test_the_environment_names_the_state_directory_first(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TRANSOM_AGENT_STATE_DIR", str(tmp_path))
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert default_state_dir() == tmp_path


def test_root_keeps_its_state_under_var_lib(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRANSOM_AGENT_STATE_DIR", raising=False)
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert default_state_dir() == Path("/var/lib/transom-agent")


def test_a_user_keeps_its_state_under_xdg_state_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("TRANSOM_AGENT_STATE_DIR", raising=False)
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert default_state_dir() == tmp_path / "transom-agent"
    monkeypatch.delenv("XDG_STATE_HOME")
    assert default_state_dir() == Path.home() / ".local" / "state" / "transom-agent"
