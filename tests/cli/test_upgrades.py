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

from tests.support.cli import transom
from tests.support.every_record import Rows, assert_served, every_record, rows
from tests.support.servers import (
    BACKEND_PARAMS,
    Database,
    ServerProcess,
    database,
    install_test_key,
)
from transom.store import schema
from transom.store.engine import create_engine
from transom.store.migrate import revisions, upgrade


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Rows:
    """A record of every kind, made by a real server and agent on SQLite."""
    db = Database("sqlite", tmp_path_factory.mktemp("made"))
    install_test_key(db)
    server = ServerProcess(db).start()
    try:
        with every_record(server.endpoint, tmp_path_factory.mktemp("agents")):
            pass
    finally:
        server.stop()
    found = rows(db.store_url)
    assert [table for table, held in found.items() if not held] == []
    return found


def at_revision(db: Database, revision: str, made: Rows) -> dict[str, set[str]]:
    """Migrate the empty `db` to `revision` and give each of its tables the rows `made` has,
    with the columns the table has at that revision; those columns, by table."""
    engine = create_engine(db.store_url)
    try:
        upgrade(engine, revision)
        with engine.begin() as conn:
            inspector = sa.inspect(conn)
            columns = {
                name: {c["name"] for c in inspector.get_columns(name)}
                for name in inspector.get_table_names()
                if name != "alembic_version"
            }
            for table in schema.metadata.sorted_tables:  # parents before children
                if table.name in columns:
                    conn.execute(
                        table.insert(),
                        [_only(row, columns[table.name]) for row in made[table.name].values()],
                    )
                    if conn.dialect.name == "postgresql" and "seq" in table.primary_key:
                        conn.execute(  # as if the rows had been inserted one by one
                            sa.text(
                                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'seq'), "
                                f"(SELECT max(seq) FROM {table.name}))"
                            )
                        )
    finally:
        engine.dispose()
    return columns


def _only(row: dict[str, Any], names: set[str]) -> dict[str, Any]:
    return {name: value for name, value in row.items() if name in names}


def _default(column: sa.Column[Any]) -> Any:
    """What a migration adding `column` gives the rows already there."""
    default = column.server_default
    return None if default is None else getattr(default, "arg", None)


@pytest.mark.parametrize("revision", revisions())
@pytest.mark.parametrize("backend", BACKEND_PARAMS)
def test_a_database_at_each_revision_keeps_every_value_when_migrated(
    made: Rows, backend: str, revision: str, tmp_path: Path
) -> None:
    with database(backend, tmp_path) as db:
        columns = at_revision(db, revision, made)
        db.open_store().close()  # migrates to the newest revision, as a server starting does
        migrated = rows(db.store_url)

    for table in schema.metadata.sorted_tables:
        names = columns.get(table.name)
        if names is None:  # made by a later revision: empty
            assert migrated[table.name] == {}, table.name
            continue
        assert {key: _only(row, names) for key, row in migrated[table.name].items()} == {
            key: _only(row, names) for key, row in made[table.name].items()
        }, table.name
        for column in table.columns:
            if column.name not in names:  # added by a later revision
                values = {row[column.name] for row in migrated[table.name].values()}
                assert values == {_default(column)}, (table.name, column.name)


@pytest.mark.parametrize("backend", BACKEND_PARAMS)
def test_a_server_started_on_a_database_of_the_previous_revision_serves_all_of_it(
    made: Rows, backend: str, tmp_path: Path
) -> None:
    with database(backend, tmp_path) as db:
        at_revision(db, revisions()[-2], made)
        server = ServerProcess(db).start()
        try:
            migrated = rows(db.store_url)
            assert_served(server.endpoint, migrated)
        finally:
            server.stop()
    assert sum(map(len, migrated.values())) > 0


@pytest.mark.parametrize("fresh_db", BACKEND_PARAMS, indirect=True)
def test_a_database_a_newer_transom_wrote_is_refused_and_left_as_it_was(
    fresh_db: Database,
) -> None:
    engine = create_engine(fresh_db.store_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    before = rows(fresh_db.store_url)

    for command in (["server", "--port", "0"], ["keys", "list"]):
        done = transom(*command, *fresh_db.cli_args())

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
