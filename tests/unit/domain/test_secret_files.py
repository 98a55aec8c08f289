"""Secret files made on first start: one content wins, read whole by every process."""

from __future__ import annotations

import multiprocessing
import os
import stat
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from transom.api.metrics_access import load_or_create_token
from transom.domain.secret_files import read_or_create


def _slowly_made(path: Path, start: Any) -> bytes:
    def make() -> bytes:
        time.sleep(0.05)  # widen the window in which another process finds no file
        return f"made by {os.getpid()}\n".encode()

    start.wait()
    return read_or_create(path, make)


def test_processes_starting_together_all_read_the_first_content_linked(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    spawn = multiprocessing.get_context("spawn")
    with spawn.Manager() as manager, ProcessPoolExecutor(4, mp_context=spawn) as pool:
        start = manager.Barrier(4)
        contents = list(pool.map(_slowly_made, [path] * 4, [start] * 4))
    assert len(set(contents)) == 1
    assert contents[0].startswith(b"made by ")
    assert path.read_bytes() == contents[0]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secret"]  # no temporary file left


def test_an_existing_file_is_read_and_never_made_again(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    path.write_bytes(b"kept")
    assert read_or_create(path, lambda: b"never") == b"kept"


def test_the_metrics_token_is_made_through_it_and_read_back_stripped(tmp_path: Path) -> None:
    path = tmp_path / "data" / "metrics-token"
    token = load_or_create_token(path)
    assert len(token) >= 32
    assert path.read_text() == token + "\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_token(path) == token
