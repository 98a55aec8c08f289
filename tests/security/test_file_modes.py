"""Finding: any local user could read the secrets: the data directory was 0755 and
`transom.db` (with its -wal and -shm) 0644. Now the server runs with umask 077, makes its data
directory 0700 and its SQLite files 0600 (also those an older version left readable), and
rewrites the credentials file 0600; the agent's state directory is 0700, its files 0600."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.servers import Database, ServerProcess, boto3_client, install_test_key
from tests.support.waiting import wait_for


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@contextmanager
def loose_umask() -> Iterator[None]:
    """Files made here are readable by all (0644), as a careless setup leaves them."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def test_transom_up_keeps_its_data_directory_to_its_owner(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    (data / "credentials").write_text("left over\n")
    (data / "credentials").chmod(0o644)
    with loose_umask():
        server = ServerProcess(Database("sqlite", data), subcommand="up").start()
    try:
        agent_dir = data / "agent"
        wait_for((agent_dir / "registration.json").exists, what="the local agent")
        assert mode(data) == 0o700
        for name in ("transom.db", "transom.db-wal", "transom.db-shm", "credentials"):
            assert mode(data / name) == 0o600, name
        assert "aws_secret_access_key" in (data / "credentials").read_text()
        assert mode(agent_dir) == 0o700
        assert mode(agent_dir / "registration.json") == 0o600
        for made in data.rglob("*"):  # the signing key, the metrics token, the spool...
            assert mode(made) & 0o077 == 0, made
    finally:
        server.stop()


def test_a_server_on_a_sqlite_url_makes_an_older_readable_database_private(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    database = tmp_path / "elsewhere" / "fleet.db"
    database.parent.mkdir()
    url = f"sqlite:///{database}"
    db = Database("sqlite", data, url)
    with loose_umask():
        install_test_key(db)
    for made in (data, database.parent):
        made.chmod(0o755)
    database.chmod(0o644)  # as an older version left it
    server = ServerProcess(db).start()
    try:
        boto3_client(server.endpoint).describe_maintenance_windows()
        assert mode(database) == 0o600
        for name in ("fleet.db-wal", "fleet.db-shm"):
            assert mode(database.parent / name) == 0o600, name
        assert mode(data) == 0o700
    finally:
        server.stop()
