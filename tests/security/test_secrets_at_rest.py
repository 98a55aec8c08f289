"""Access-key secrets at rest: the database holds them sealed under a master key kept in a
file outside it, so neither the SQLite file nor a pg_dump holds a secret; keys stored in plain
text before sealing are sealed when a server starts; `transom keys rotate-master` re-seals
every secret under a new key and retires the old one, while a running server keeps
verifying; a server whose master key opens no key's secret refuses to start, saying why."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support.cli import transom
from tests.support.servers import (
    ACCESS_KEY_ID,
    BACKEND_PARAMS,
    POSTGRES_ADMIN_URL,
    SECRET_ACCESS_KEY,
    Database,
    ServerProcess,
    boto3_client,
)
from transom.crypto.master_keys import MasterKeys, UnknownMasterKey
from transom.domain.windows import SealedSecret, StoredKey
from transom.store.engine import create_engine

pytestmark = pytest.mark.parametrize("fresh_db", BACKEND_PARAMS, indirect=True)
IMPORTED = ("AKIASECRETSATREST001", "imported-secret-that-must-stay-sealed-42")
CACHE_SECONDS = 5.0
"""How long a server keeps an opened secret (`KeyService`)."""


def database_bytes(db: Database, tmp: Path) -> bytes:
    """Everything the database keeps on disk: the SQLite files, or a pg_dump of the schema."""
    if db.url is None:
        files = [db.data_dir / f"transom.db{suffix}" for suffix in ("", "-wal", "-shm")]
        return b"".join(f.read_bytes() for f in files if f.exists())
    schema = db.url.rsplit("%3D", 1)[1]
    dump = tmp / "transom.dump"
    url = POSTGRES_ADMIN_URL.replace("+psycopg", "")
    subprocess.run(
        ["pg_dump", "--schema", schema, "--file", str(dump), url], check=True, timeout=60
    )
    return dump.read_bytes()


def keys_cli(db: Database, *args: str) -> str:
    done = transom("keys", *args, *db.cli_args())
    assert done.returncode == 0, done.stderr
    return done.stdout


def sealed_ids(db: Database) -> dict[str, str | None]:
    engine = create_engine(db.store_url)
    try:
        with engine.connect() as conn:
            found = conn.execute(sa.text("SELECT access_key_id, master_key_id FROM access_keys"))
            return {str(key): master for key, master in found.all()}
    finally:
        engine.dispose()


def signs(endpoint: str, key_id: str, secret: str) -> bool:
    ssm = boto3_client(endpoint, aws_access_key_id=key_id, aws_secret_access_key=secret)
    return "WindowIdentities" in ssm.describe_maintenance_windows()


def test_no_secret_is_in_the_database_and_the_keys_sign(fresh_db: Database, tmp_path: Path) -> None:
    created = json.loads(keys_cli(fresh_db, "create", "--json"))
    keys_cli(fresh_db, "import", *IMPORTED)
    server = ServerProcess(fresh_db).start()
    try:
        assert signs(server.endpoint, created["AccessKeyId"], created["SecretAccessKey"])
        assert signs(server.endpoint, *IMPORTED)
        assert signs(server.endpoint, ACCESS_KEY_ID, SECRET_ACCESS_KEY)
    finally:
        server.stop()

    held = database_bytes(fresh_db, tmp_path)
    assert ACCESS_KEY_ID.encode() in held  # the ids are there, to show where we looked
    for secret in (created["SecretAccessKey"], IMPORTED[1], SECRET_ACCESS_KEY):
        assert secret.encode() not in held
    master = fresh_db.data_dir / "master-key"
    assert master.stat().st_mode & 0o777 == 0o600
    assert master.read_bytes() not in held


def test_keys_stored_in_plain_text_are_sealed_when_a_server_starts(
    fresh_db: Database, tmp_path: Path
) -> None:
    store = fresh_db.open_store()
    with store.write() as tx:  # as a database migrated from before sealing holds them
        tx.insert_access_key(
            StoredKey(
                IMPORTED[0], SealedSecret(None, IMPORTED[1].encode()), None, datetime.now(UTC)
            )
        )
    store.close()
    assert sealed_ids(fresh_db)[IMPORTED[0]] is None

    server = ServerProcess(fresh_db).start()
    try:
        assert signs(server.endpoint, *IMPORTED)
    finally:
        server.stop()

    master = MasterKeys(fresh_db.data_dir / "master-key")
    assert sealed_ids(fresh_db)[IMPORTED[0]] == master.current_id
    assert IMPORTED[1].encode() not in database_bytes(fresh_db, tmp_path)


def test_rotate_master_reseals_every_secret_and_the_old_key_opens_none(
    fresh_db: Database, tmp_path: Path
) -> None:
    keys_cli(fresh_db, "import", *IMPORTED)
    master = fresh_db.data_dir / "master-key"
    old = tmp_path / "old-master-key"
    shutil.copy(master, old)
    old_id = MasterKeys(old).current_id
    assert set(sealed_ids(fresh_db).values()) == {old_id}
    server = ServerProcess(fresh_db).start()
    try:
        assert signs(server.endpoint, *IMPORTED)

        said = keys_cli(fresh_db, "rotate-master")

        new_id = MasterKeys(master).current_id
        assert said == (
            f"sealed 2 access key(s) under master key {new_id} in {master}; retired {old_id}\n"
        )
        assert set(sealed_ids(fresh_db).values()) == {new_id}
        assert master.read_bytes().count(b"\n") == 1  # the old key is gone from the file
        assert master.stat().st_mode & 0o777 == 0o600
        store = fresh_db.open_store()
        with store.read() as tx:
            stored = tx.list_access_keys()
        store.close()
        for key in stored:
            with pytest.raises(UnknownMasterKey, match="does not hold"):
                MasterKeys(old).open(key.access_key_id, key.secret)
        assert {MasterKeys(master).open(k.access_key_id, k.secret) for k in stored} == {
            IMPORTED[1],
            SECRET_ACCESS_KEY,
        }
        time.sleep(CACHE_SECONDS + 0.5)  # the server opens the re-sealed secret afresh
        assert signs(server.endpoint, *IMPORTED)
    finally:
        server.stop()


def test_a_server_whose_master_key_opens_no_secret_refuses_to_start(
    fresh_db: Database, tmp_path: Path
) -> None:
    other = tmp_path / "other-master-key"
    assert MasterKeys(other).current_id.startswith("mk-")  # made on first use
    server = ServerProcess(fresh_db, ["--master-key-file", str(other)])
    with pytest.raises(RuntimeError, match="server did not start"):
        server.start()
    assert server.process is not None
    assert server.process.wait(timeout=20) == 1
    said = "".join(server.log)
    assert f"access key {ACCESS_KEY_ID} is sealed under master key mk-" in said
    assert f"which {other} does not hold" in said
