"""Finding: `transom keys import ID SECRET` and `transom agent register --code CODE` put
secrets on the command line, where every local user reads them (`ps`, /proc/PID/cmdline).
Now both read the secret from standard input, a file (`--secret-file`, `--code-file`) or an
environment variable; the old forms still work but warn."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.agents import transom_agent
from tests.support.nodes import activation
from tests.support.servers import Database, ServerProcess, key_service
from tests.support.waiting import wait_for

KEY_ID = "AKIASECRETSTDIN00001"
SECRET = "never-on-a-command-line-0123456789"


def secret_of(db: Database, key_id: str) -> str | None:
    store = db.open_store()
    try:
        return key_service(db, store).secret_for(key_id)
    finally:
        store.close()


def test_keys_import_reads_the_secret_from_stdin_and_ps_never_shows_it(tmp_path: Path) -> None:
    db = Database("sqlite", tmp_path)
    command = [sys.executable, "-m", "transom", "keys", "import", KEY_ID, *db.cli_args()]
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        cmdline = Path(f"/proc/{process.pid}/cmdline")
        wait_for(lambda: b"keys" in cmdline.read_bytes(), what="the command to start")
        assert SECRET.encode() not in cmdline.read_bytes()
        _out, err = process.communicate(SECRET + "\n", timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert secret_of(db, KEY_ID) == SECRET


@pytest.mark.parametrize("how", ["file", "env", "argument"])
def test_keys_import_takes_a_file_or_an_env_var_and_warns_about_the_argument(
    tmp_path: Path, how: str
) -> None:
    db = Database("sqlite", tmp_path / "db")
    secret_file = tmp_path / "secret"
    secret_file.write_text(SECRET + "\n")
    args, env = {
        "file": (["--secret-file", str(secret_file)], {}),
        "env": ([], {"TRANSOM_SECRET_ACCESS_KEY": SECRET}),
        "argument": ([SECRET], {}),
    }[how]
    done = subprocess.run(
        [sys.executable, "-m", "transom", "keys", "import", KEY_ID, *args, *db.cli_args()],
        env={**os.environ, **env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert secret_of(db, KEY_ID) == SECRET
    assert ("other users of this machine can read it" in done.stderr) is (how == "argument")


@pytest.mark.parametrize("how", ["stdin", "file", "env", "flag"])
def test_agent_register_takes_the_code_off_the_command_line(
    ssm: Any, server: ServerProcess, tmp_path: Path, how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    activation_id, code = activation(ssm)
    code_file = tmp_path / "code"
    code_file.write_text(code)
    args = {
        "stdin": [],
        "file": ["--code-file", str(code_file)],
        "env": [],
        "flag": ["--code", code],
    }
    if how == "env":
        monkeypatch.setenv("TRANSOM_ACTIVATION_CODE", code)
    done = transom_agent(
        "register",
        "--server",
        server.endpoint,
        "--id",
        activation_id,
        "--state-dir",
        str(tmp_path / "agent"),
        *args[how],
        stdin=code if how == "stdin" else "",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("mi-")
    assert ("other users of this machine can read it" in done.stderr) is (how == "flag")
