"""A backup copied in many steps while another connection writes is the database as it was at
one instant: each write is in it whole or not at all, and the copy never starts over."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import closing
from pathlib import Path

from transom.store.sql import SqlStore
from transom.store.sqlite_backup import back_up

WAIT_SECONDS = 30


def test_a_copy_in_many_steps_is_one_instant_of_a_database_written_meanwhile(
    tmp_path: Path,
) -> None:
    source, target = tmp_path / "transom.db", tmp_path / "backup.db"
    SqlStore.open(f"sqlite:///{source}").close()
    written = [0]
    wrote = threading.Condition()
    stop = threading.Event()

    def write_pairs() -> None:
        """Two tags per transaction, both or neither, until stopped."""
        with closing(sqlite3.connect(source, isolation_level=None, timeout=30)) as conn:
            while not stop.is_set():
                conn.execute("BEGIN IMMEDIATE")
                for key in ("a", "b"):
                    conn.execute(
                        "INSERT INTO tags VALUES ('Document', ?, ?, 'v')", (f"d{written[0]}", key)
                    )
                conn.execute("COMMIT")
                with wrote:
                    written[0] += 1
                    wrote.notify_all()

    def another_write() -> None:
        with wrote:
            seen = written[0]
            assert wrote.wait_for(lambda: written[0] > seen, WAIT_SECONDS), "no write"

    progress: list[tuple[int, int]] = []

    def step(copied: int, total: int) -> None:
        assert not progress or copied > progress[-1][0], "the copy started over"
        progress.append((copied, total))
        another_write()

    writer = threading.Thread(target=write_pairs)
    writer.start()
    try:
        another_write()
        with closing(sqlite3.connect(source)) as conn:
            page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        back_up(source, target, progress=step, step_bytes=page_size)
    finally:
        stop.set()
        writer.join()

    assert len(progress) > 20  # one page a step, with a write after each
    assert {total for _, total in progress} == {progress[-1][0]}
    with closing(sqlite3.connect(target)) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        counts = dict(copy.execute("SELECT key, count(*) FROM tags GROUP BY key").fetchall())
    assert counts["a"] == counts["b"] >= 1
    assert counts["a"] < written[0]  # the writes made during the copy are not in it
