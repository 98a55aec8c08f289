"""Backing up and restoring Transom's SQLite database file, also while servers use it.

`back_up` copies with SQLite's online backup API inside one read transaction on the source,
so the copy is the database as it was at one instant, however long the copy takes and
whatever servers write meanwhile (in WAL mode readers and writers never block each other;
without the transaction a write between two steps would restart the copy, forever under a
busy server). `restore` refuses a database file that a server (any connection) has open.
Both write a temporary file beside the destination and rename it into place, so the
destination is either untouched or complete, with mode 0600. A backup is a single file in
rollback-journal mode (no -wal or -shm beside it); a server opening it switches it to WAL.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from transom.store.migrate import UnknownRevision, check_known

STEP_BYTES = 16 * 1024 * 1024
"""How much one step of the backup API copies: the grain of the progress reports."""

Progress = Callable[[int, int], None]
"""Told (bytes copied, bytes in all) after each step of a copy."""


class BackupError(Exception):
    """Why a backup or restore was refused or failed, for the user; nothing was changed."""


class TargetExists(BackupError):
    """The destination exists, and was not to be replaced."""

    def __init__(self, target: Path) -> None:
        super().__init__(f"{target} exists already")


def back_up(
    source: Path,
    target: Path,
    *,
    replace: bool = False,
    progress: Progress | None = None,
    step_bytes: int = STEP_BYTES,
) -> str:
    """Copy the Transom database `source` to `target` as of one instant and return its
    schema revision. Never over an existing `target` unless `replace`."""
    _check_paths(source, target, "database")
    if target.exists() and not replace:
        raise TargetExists(target)
    with closing(_connect(source, "rw")) as conn:
        conn.execute("BEGIN")  # the snapshot every step reads
        revision = _revision(conn, source)
        with _staged(target, replace) as staged:
            _copy(conn, staged, progress, step_bytes)
    return revision


def restore(source: Path, target: Path, *, replace: bool = False) -> str:
    """Make `target` a copy of the backup `source` and return its schema revision, which
    may be older than this Transom's (a server migrates it when it opens it), not newer.
    Refused while anything has `target` open, and over an existing `target` unless
    `replace`."""
    _check_paths(source, target, "backup")
    with closing(_connect(source, "ro")) as conn:
        conn.execute("BEGIN")
        revision = _revision(conn, source)
        try:
            check_known(revision, str(source))
        except UnknownRevision as exc:
            raise BackupError(str(exc)) from exc
        if target.exists():
            if _in_use(target):
                raise BackupError(f"{target} is in use: stop the server running on it first")
            if not replace:
                raise TargetExists(target)
        with _staged(target, replace=True) as staged:
            _copy(conn, staged, None, STEP_BYTES)
            for leftover in ("-wal", "-shm"):  # of the database replaced: not the copy's
                Path(f"{target}{leftover}").unlink(missing_ok=True)
    return revision


def _check_paths(source: Path, target: Path, what: str) -> None:
    if not source.is_file():
        raise BackupError(f"there is no {what} at {source}")
    if not target.parent.is_dir():
        raise BackupError(f"there is no directory {target.parent} to write {target.name} in")
    if target.exists() and target.samefile(source):
        raise BackupError(f"{source} and {target} are the same file")


def _connect(path: Path, mode: str) -> sqlite3.Connection:
    """A connection to the existing file `path`, opened "ro" or "rw" (never created),
    which this module begins and ends transactions on itself."""
    return sqlite3.connect(
        f"{path.resolve().as_uri()}?mode={mode}", uri=True, isolation_level=None, timeout=30
    )


def _revision(conn: sqlite3.Connection, path: Path) -> str:
    try:
        rows = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.DatabaseError as exc:  # not SQLite at all, or without the table
        raise BackupError(f"{path} is not a Transom database ({exc})") from exc
    if len(rows) != 1:
        raise BackupError(f"{path} is not a Transom database (no single schema revision)")
    return str(rows[0][0])


def _in_use(path: Path) -> bool:
    """Whether a connection has the WAL database `path` open: each holds a shared lock on
    it for as long as it is open, so an exclusive lock cannot be had. (When none does,
    taking the lock and letting go checkpoints what a killed server left in the WAL.)"""
    with closing(
        sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True, timeout=0)
    ) as conn:
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as exc:  # busy, or no database that anything could use
            return exc.sqlite_errorcode & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return False


def _copy(
    source: sqlite3.Connection, target: Path, progress: Progress | None, step_bytes: int
) -> None:
    page_size = int(source.execute("PRAGMA page_size").fetchone()[0])

    def report(_status: int, remaining: int, total: int) -> None:
        if progress is not None:
            progress((total - remaining) * page_size, total * page_size)

    try:
        with closing(sqlite3.connect(target, isolation_level=None)) as copy:
            source.backup(copy, pages=max(1, step_bytes // page_size), progress=report)
            copy.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as exc:  # such as a full disk
        raise BackupError(f"cannot copy the database: {exc}") from exc


@contextmanager
def _staged(target: Path, replace: bool) -> Iterator[Path]:
    """A new empty file (mode 0600) beside `target` to write in the block, then synced and
    renamed to `target` (refused if `target` appeared meanwhile, unless `replace`);
    removed if the block fails."""
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    staged = Path(name)
    try:
        yield staged
        _fsync(staged)
        if replace:
            os.replace(staged, target)
        else:
            try:
                os.link(staged, target)  # unlike a rename, never over an existing file
            except FileExistsError:
                raise TargetExists(target) from None
        _fsync(target.parent)
    finally:
        staged.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
