"""Fixtures for the command-line tests."""

from __future__ import annotations

import pytest

from tests.support.every_record import KNOWN_SECRETS, Rows, every_record, rows
from tests.support.servers import Database, ServerProcess, install_test_key
from transom.domain.clock import SystemClock
from transom.domain.events import Realm
from transom.services.roles import RoleService

ROLE_POLICY = '{"Statement": {"Effect": "Allow", "Action": "ssm:SendCommand", "Resource": "*"}}'


@pytest.fixture(scope="session")
def every_kind(tmp_path_factory: pytest.TempPathFactory) -> Rows:
    """The rows of a record of every kind, made by a real server and agent on SQLite (they
    read the same from either backend, and `write_rows` writes them to either)."""
    db = Database("sqlite", tmp_path_factory.mktemp("every-kind"))
    install_test_key(db)
    server = ServerProcess(db).start()
    try:
        with every_record(server.endpoint, tmp_path_factory.mktemp("agents")):
            pass
    finally:
        server.stop()
    store = db.open_store()  # roles are made by the command line, not an API
    try:
        RoleService(store, SystemClock(), Realm()).create("every-kind", ROLE_POLICY, "a role")
    finally:
        store.close()
    found = rows(db.store_url)
    assert [table for table, held in found.items() if not held] == []
    # Keys as stored before secrets were sealed, a row that fits every revision (a server
    # seals it as it starts).
    for key in found["access_keys"].values():
        key.update(
            secret_access_key=KNOWN_SECRETS[key["access_key_id"]],
            master_key_id=None,
            sealed_secret=None,
        )
    return found
