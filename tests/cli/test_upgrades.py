"""Upgrades. A database at each schema revision Transom has had, holding rows in every table it
had then, migrates to the newest revision keeping every value, on SQLite and PostgreSQL, and a
server started on an old one serves all of it. A database that a newer Transom wrote is refused
by `transom server` and `transom keys` with a message that says what to do, and left as it
was.

The rows are real ones: a server and agent make a record of every kind (on SQLite: they read
back the same from either backend), and each old database gets them with the columns its
revision had."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.support.cli import transom, transom_here
from tests.support.every_record import Rows, assert_served, only, rows, write_rows
from tests.support.servers import (
    BACKEND_PARAMS,
    Database,
    ServerProcess,
    database,
)
from transom.store import schema
from transom.store.engine import create_engine
from transom.store.migrate import revisions


def _default(column: sa.Column[Any]) -> Any:
    """What a migration adding `column` gives the rows already there."""
    default = column.server_default
    return None if default is None else getattr(default, "arg", None)


@pytest.mark.parametrize("revision", revisions())
@pytest.mark.parametrize("backend", BACKEND_PARAMS)
def test_a_database_at_each_revision_keeps_every_value_when_migrated(
    every_kind: Rows, backend: str, revision: str, tmp_path: Path
) -> None:
    with database(backend, tmp_path) as db:
        columns = write_rows(db, every_kind, revision)
        db.open_store().close()  # migrates to the newest revision, as a server starting does
        migrated = rows(db.store_url)

    for table in schema.metadata.sorted_tables:
        names = columns.get(table.name)
        if names is None:  # made by a later revision: empty
            assert migrated[table.name] == {}, table.name
            continue
        assert {key: only(row, names) for key, row in migrated[table.name].items()} == {
            key: only(row, names) for key, row in every_kind[table.name].items()
        }, table.name
        for column in table.columns:
            if column.name not in names:  # added by a later revision
                values = {row[column.name] for row in migrated[table.name].values()}
                assert values == {_default(column)}, (table.name, column.name)


@pytest.mark.parametrize("backend", BACKEND_PARAMS)
def test_a_server_started_on_a_database_of_the_previous_revision_serves_all_of_it(
    every_kind: Rows, backend: str, tmp_path: Path
) -> None:
    with database(backend, tmp_path) as db:
        columns = write_rows(db, every_kind, revisions()[-2])
        server = ServerProcess(db).start()
        try:
            migrated = rows(db.store_url)
            assert [table for table in columns if not migrated[table]] == []
            assert_served(server.endpoint, migrated)
        finally:
            server.stop()


@pytest.mark.parametrize("fresh_db", BACKEND_PARAMS, indirect=True)
def test_a_database_a_newer_transom_wrote_is_refused_and_left_as_it_was(
    fresh_db: Database,
) -> None:
    engine = create_engine(fresh_db.store_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    before = rows(fresh_db.store_url)

    for done in (
        transom("server", "--port", "0", *fresh_db.cli_args()),
        transom_here("keys", "list", *fresh_db.cli_args()),
    ):
        assert done.returncode == 1, done.stderr
        assert done.stderr.startswith("Error: cannot open the database ")
        assert done.stderr.endswith(
            f": the database is at schema revision 9999, which this Transom does not know (it "
            f"knows {revisions()[0]} to {revisions()[-1]}): a newer Transom wrote it. Upgrade "
            "Transom to a version that knows revision 9999; nothing was changed.\n"
        )
    assert rows(fresh_db.store_url) == before
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).all() == [("9999",)]
    engine.dispose()


def test_a_database_that_cannot_be_opened_is_named_without_its_password() -> None:
    url = "postgresql://postgres:hunter2-secret@127.0.0.1:1/test"
    done = transom_here("keys", "list", "--database-url", url)
    assert done.returncode == 1
    assert "Error: cannot open the database postgresql://postgres:***@127.0.0.1:1/test: " in (
        done.stderr
    )
    assert "hunter2" not in done.stderr + done.stdout
