"""`transom backup` and `transom restore` with real server and agent processes: a backup taken
while windows run and commands are in flight restores every record it held into a fresh data
directory that a server then serves; the refusals change nothing; and PostgreSQL gets the
pg_dump recipe, which restores a database with a record of every kind as it was."""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import stat
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.support.cli import transom, transom_here
from tests.support.every_record import Rows, assert_served, every_record, rows, write_rows
from tests.support.schedules import at_in
from tests.support.servers import (
    POSTGRES_ADMIN_URL,
    Database,
    ServerProcess,
    boto3_client,
    install_test_key,
    key_service,
)
from tests.support.shell_window import shell_window
from tests.support.waiting import wait_for
from transom.store.engine import create_engine
from transom.store.migrate import revisions, upgrade
from transom.store.sqlite_backup import STEP_BYTES


@pytest.fixture
def live(tmp_path: Path) -> Database:
    """A SQLite data directory with the test key, as a server leaves it."""
    db = Database("sqlite", tmp_path / "live")
    install_test_key(db)
    return db


def busy(url: str) -> Rows | None:
    """The database's rows while a window execution and a command are in progress; None
    while not."""
    found = rows(url)
    running = any(e["status"] == "IN_PROGRESS" for e in found["window_executions"].values())
    in_flight = any(c["status"] == "InProgress" for c in found["commands"].values())
    return found if running and in_flight else None


def test_a_backup_taken_while_windows_run_restores_every_record_it_held(
    live: Database, tmp_path: Path
) -> None:
    backup = tmp_path / "backups" / "transom.db"
    backup.parent.mkdir()
    server = ServerProcess(live).start()
    try:
        with every_record(server.endpoint, tmp_path) as fleet:
            ssm = boto3_client(server.endpoint)
            for n in range(1, 6):  # a window starting every 2 s, each running 1 s
                shell_window(ssm, at_in(2 * n), ("Fleet", fleet), ["sleep 1"], name=f"busy-{n}")
            ssm.send_command(
                Targets=[{"Key": "tag:Fleet", "Values": [fleet]}],
                DocumentName="AWS-RunShellScript",
                Parameters={"commands": ["sleep 3"]},
            )
            before = wait_for(lambda: busy(live.store_url), what="a window and a command to run")
            done = transom("backup", str(backup), *live.cli_args())
            after = rows(live.store_url)
    finally:
        server.stop()
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert os.listdir(backup.parent) == ["transom.db"]  # no temporary file, no -wal or -shm

    restored = Database("sqlite", tmp_path / "restored")
    done = transom_here("restore", str(backup), *restored.cli_args())
    assert done.returncode == 0, done.stderr
    copy = rows(restored.store_url)
    assert_between(copy, before, after)
    assert_whole(copy)
    shutil.copy(live.data_dir / "master-key", restored.data_dir)  # kept apart from backups
    server = ServerProcess(restored).start()
    try:
        assert_served(server.endpoint, before)
    finally:
        server.stop()


def assert_between(copy: Rows, before: Rows, after: Rows) -> None:
    """`copy` holds every record of `before` and none that `after` lacks; a record that did
    not change from `before` to `after` is in `copy` as it was."""
    for table, held in before.items():
        assert set(held) <= set(copy[table]) <= set(after[table]), table
        unchanged = {key for key, row in held.items() if after[table].get(key) == row}
        assert {key: copy[table][key] for key in unchanged} == {
            key: held[key] for key in unchanged
        }, table


def assert_whole(copy: Rows) -> None:
    """No record in `copy` lacks the record it belongs to: the database as at one instant."""

    def values(table: str, column: str) -> set[Any]:
        return {row[column] for row in copy[table].values()} - {None}

    for part, column, whole, key in (
        ("invocations", "command_id", "commands", "command_id"),
        ("task_executions", "window_execution_id", "window_executions", "window_execution_id"),
        ("task_invocations", "task_execution_id", "task_executions", "task_execution_id"),
        ("deliveries", "message_id", "messages", "message_id"),
        ("window_targets", "window_id", "windows", "window_id"),
        ("window_tasks", "window_id", "windows", "window_id"),
    ):
        assert values(part, column) <= values(whole, key), (part, whole)


def test_a_large_database_is_backed_up_with_progress_on_stderr(
    live: Database, tmp_path: Path
) -> None:
    megabyte = "x" * 1024 * 1024
    with sqlite3.connect(live.data_dir / "transom.db") as conn:
        conn.executemany(
            "INSERT INTO messages (message_id, topic_name, kind, body, attributes, created_date)"
            " VALUES (?, 'ballast', 'Notification', ?, '{}', 0)",
            [(f"m-{n}", megabyte) for n in range(3 * STEP_BYTES // len(megabyte))],
        )
    backup = tmp_path / "big.db"

    done = transom_here("backup", str(backup), *live.cli_args())

    assert done.returncode == 0, done.stderr
    *progress, last = done.stderr.splitlines()
    percents = [int(line.removeprefix("backed up ").split("%")[0]) for line in progress]
    assert len(percents) >= 2, done.stderr
    assert percents == sorted(set(percents))
    assert percents[-1] == 100
    assert last.startswith(f"backed up {live.data_dir / 'transom.db'} (schema revision")
    with sqlite3.connect(backup) as conn:
        assert conn.execute("SELECT count(*) FROM messages").fetchone() == (48,)


def test_backup_never_overwrites_a_file_unless_forced(live: Database, tmp_path: Path) -> None:
    backup = tmp_path / "backup.db"
    backup.write_text("an older backup")

    refused = transom_here("backup", str(backup), *live.cli_args())

    assert refused.returncode == 1
    assert refused.stderr == f"Error: {backup} exists already: give --force to replace it\n"
    assert backup.read_text() == "an older backup"
    forced = transom_here("backup", str(backup), "--force", *live.cli_args())
    assert forced.returncode == 0, forced.stderr
    assert forced.stderr.count("\n") == 1  # no progress for a small database
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert sorted(os.listdir(tmp_path)) == ["backup.db", "live"]


@pytest.mark.usefixtures("live")
@pytest.mark.parametrize(
    ("file", "data_dir", "message"),
    [
        ("b.db", "none", "there is no database at {tmp}/none/transom.db"),
        ("no/b.db", "live", "there is no directory {tmp}/no to write b.db in"),
        ("live/transom.db", "live", "{tmp}/live/transom.db and {tmp}/live/transom.db are the"),
    ],
)
def test_backup_refuses_with_a_message_and_writes_nothing(
    tmp_path: Path, file: str, data_dir: str, message: str
) -> None:
    before = sorted(tmp_path.rglob("*"))

    done = transom_here(
        "backup", str(tmp_path / file), "--force", "--data-dir", str(tmp_path / data_dir)
    )

    assert done.returncode == 1
    assert done.stderr.startswith(f"Error: {message.format(tmp=tmp_path)}")
    assert sorted(tmp_path.rglob("*")) == before


def backup_of(live: Database, tmp_path: Path, revision: str | None = None) -> Path:
    """A backup of `live`, claiming schema `revision` if given."""
    backup = tmp_path / "backup.db"
    done = transom_here("backup", str(backup), *live.cli_args())
    assert done.returncode == 0, done.stderr
    if revision is not None:
        with sqlite3.connect(backup) as conn:
            conn.execute("UPDATE alembic_version SET version_num = ?", (revision,))
    return backup


def test_restore_refuses_a_data_directory_a_server_runs_on(live: Database, tmp_path: Path) -> None:
    backup = backup_of(live, tmp_path)
    server = ServerProcess(live).start()
    try:
        before = rows(live.store_url)
        done = transom_here("restore", str(backup), "--force", *live.cli_args())
        assert done.returncode == 1
        assert "is in use: stop the server running on it first" in done.stderr
        assert rows(live.store_url) == before
        boto3_client(server.endpoint).describe_maintenance_windows()
    finally:
        server.stop()


def test_restore_replaces_a_database_only_when_forced(live: Database, tmp_path: Path) -> None:
    backup = backup_of(live, tmp_path)
    other = Database("sqlite", tmp_path / "other")
    store = other.open_store()
    key_service(other, store).import_key("AKIAOTHERDATABASE001", "other-secret-0123")
    store.close()

    refused = transom_here("restore", str(backup), *other.cli_args())

    assert refused.returncode == 1
    assert refused.stderr == (
        f"Error: {other.data_dir / 'transom.db'} exists already: give --force to replace it "
        f"with {backup}\n"
    )
    assert set(rows(other.store_url)["access_keys"]) == {("AKIAOTHERDATABASE001",)}
    forced = transom_here("restore", str(backup), "--force", *other.cli_args())
    assert forced.returncode == 0, forced.stderr
    assert set(rows(other.store_url)["access_keys"]) == {("AKIATRANSOMTEST00001",)}


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"not a database at all", "is not a Transom database (file is not a database)"),
        (b"", "is not a Transom database (no such table: alembic_version)"),
    ],
)
def test_restore_refuses_a_file_that_is_not_a_transom_database(
    tmp_path: Path, content: bytes, words: str
) -> None:
    backup = tmp_path / "backup.db"
    backup.write_bytes(content)
    target = Database("sqlite", tmp_path / "target")

    done = transom_here("restore", str(backup), *target.cli_args())

    assert (done.returncode, done.stderr) == (1, f"Error: {backup} {words}\n")
    assert not (target.data_dir / "transom.db").exists()
    assert backup.read_bytes() == content


def test_restore_refuses_a_backup_of_a_newer_schema(live: Database, tmp_path: Path) -> None:
    backup = backup_of(live, tmp_path, revision="9999")
    target = Database("sqlite", tmp_path / "target")

    done = transom_here("restore", str(backup), *target.cli_args())

    assert done.returncode == 1
    assert done.stderr == (
        f"Error: {backup} is at schema revision 9999, which this Transom does not know (it "
        f"knows {revisions()[0]} to {revisions()[-1]}): a newer Transom wrote it. Upgrade "
        "Transom to a version that knows revision 9999; nothing was changed.\n"
    )
    assert not (target.data_dir / "transom.db").exists()


def test_a_backup_of_an_older_schema_is_restored_and_migrated_on_next_open(
    tmp_path: Path,
) -> None:
    old = Database("sqlite", tmp_path / "old")
    old.data_dir.mkdir()
    engine = create_engine(old.store_url)
    upgrade(engine, revisions()[0])
    engine.dispose()
    backup = backup_of(old, tmp_path)
    target = Database("sqlite", tmp_path / "target")

    done = transom_here("restore", str(backup), *target.cli_args())

    assert done.returncode == 0, done.stderr
    assert done.stderr.endswith(
        f"(schema revision {revisions()[0]}; a server migrates it to {revisions()[-1]} when "
        "it starts)\n"
    )
    target.open_store().close()  # as a server starting on it does
    with sqlite3.connect(target.data_dir / "transom.db") as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (revisions()[-1],)
        ]


def shell(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, shell=True, cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def postgres_url(name: str) -> str:
    return sa.make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(False)


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new PostgreSQL database of its own, and `<name>_restored` if made, both dropped
    after; its name."""
    name = "transom_backup_" + secrets.token_hex(4)
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    try:
        yield name
    finally:
        with admin.connect() as conn:
            for dropped in (name, f"{name}_restored"):
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {dropped} WITH (FORCE)"))
        admin.dispose()


@pytest.mark.postgres
def test_postgresql_gets_the_pg_dump_recipe_which_restores_every_record(
    every_kind: Rows, tmp_path: Path
) -> None:
    for tool in ("pg_dump", "pg_restore", "psql"):
        assert shutil.which(tool), f"{tool} is missing (scripts/test installs it)"
    with postgres_database() as name:
        url = postgres_url(name)
        write_rows(Database("postgresql", tmp_path, url), every_kind)
        told = {
            command: transom_here(command, "ignored.db", "--database-url", url)
            for command in ("backup", "restore")
        }
        for command, done in told.items():
            assert done.returncode == 1
            assert done.stderr.startswith(f"Error: transom {command} copies SQLite databases.")
        recipe = [line.strip() for line in told["backup"].stderr.splitlines() if line[:2] == "  "]
        assert [step.split()[0] for step in recipe] == ["pg_dump", "psql", "pg_restore"]
        for step in recipe:
            done = shell(step, tmp_path)
            assert done.returncode == 0, f"{step}\n{done.stderr}"
        restored = Database("postgresql", tmp_path, postgres_url(f"{name}_restored"))
        assert rows(restored.store_url) == every_kind
        server = ServerProcess(restored).start()
        try:
            assert_served(server.endpoint, every_kind)
        finally:
            server.stop()
