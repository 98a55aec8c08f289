"""Real `transom server` processes on loopback, and the databases behind them."""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest
import sqlalchemy as sa

from transom.bootstrap import Settings
from transom.crypto.master_keys import MasterKeys
from transom.domain.clock import SystemClock
from transom.services.keys import KeyService
from transom.store.sql import SqlStore

POSTGRES_ADMIN_URL = os.environ.get(
    "TRANSOM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
ACCESS_KEY_ID = "AKIATRANSOMTEST00001"
SECRET_ACCESS_KEY = "transom-test-secret-key-0123456789abcdef"
REGION = "us-east-1"
_LISTENING = re.compile(r"listening on (https?://[^\s\"]+)")  # in text or JSON


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now, for a server that must come back
    on the same port after a restart."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Database:
    """Where a server keeps its state: a SQLite file in `data_dir`, or a PostgreSQL schema."""

    kind: str
    data_dir: Path
    url: str | None = None

    def cli_args(self) -> list[str]:
        args = ["--data-dir", str(self.data_dir)]
        return args + (["--database-url", self.url] if self.url else [])

    @property
    def store_url(self) -> str:
        """`url`, or that of the SQLite file in `data_dir`."""
        return self.url or f"sqlite:///{self.data_dir / 'transom.db'}"

    def open_store(self) -> SqlStore:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return SqlStore.open(self.store_url)


@contextmanager
def database(kind: str, tmp: Path) -> Iterator[Database]:
    """A fresh, empty database of `kind` ("sqlite" or "postgresql"), dropped afterwards."""
    if kind == "sqlite":
        yield Database(kind, tmp)
        return
    schema = "t_" + secrets.token_hex(6)
    admin = sa.create_engine(POSTGRES_ADMIN_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    try:
        yield Database(kind, tmp, f"{POSTGRES_ADMIN_URL}?options=-csearch_path%3D{schema}")
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def install_test_key(db: Database) -> None:
    store = db.open_store()
    try:
        keys = key_service(db, store)
        if keys.secret_for(ACCESS_KEY_ID) is None:
            keys.import_key(ACCESS_KEY_ID, SECRET_ACCESS_KEY, "tests")
    finally:
        store.close()


def key_service(db: Database, store: SqlStore) -> KeyService:
    """The key service of a server on `db` (with the master key in its data directory)."""
    box = MasterKeys(Settings(data_dir=db.data_dir).master_key_path)
    return KeyService(store, SystemClock(), box)


@dataclass
class ServerProcess:
    """A `transom server` child process; `endpoint` is its base URL once started."""

    db: Database
    args: list[str] = field(default_factory=list)
    subcommand: str = "server"
    env: dict[str, str] | None = None
    flags: bool = True
    """False: pass no --port/--data-dir/--database-url, leaving them to `env`."""
    endpoint: str = ""
    process: subprocess.Popen[str] | None = None
    log: list[str] = field(default_factory=list)

    def start(self, timeout: float = 30) -> ServerProcess:
        command = [sys.executable, "-m", "transom", self.subcommand]
        if self.flags:
            command += ["--port", "0", *self.db.cli_args()]
        self.process = subprocess.Popen(
            [*command, *self.args],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
            env=self.env,
        )
        found = threading.Event()
        self._reader = threading.Thread(
            target=self._read, args=(self.process.stderr, found), daemon=True
        )
        self._reader.start()
        if not found.wait(timeout) or not self.endpoint:  # still silent, or exited
            self.kill()
            raise RuntimeError("server did not start:\n" + "".join(self.log))
        return self

    def _read(self, stream: IO[str], found: threading.Event) -> None:
        for line in stream:
            self.log.append(line)
            match = _LISTENING.search(line)
            if match:
                self.endpoint = match.group(1)
                found.set()
        stream.close()
        found.set()

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 20) -> int:
        """Send `signum` and wait up to `timeout` seconds; return the exit code."""
        assert self.process is not None
        self.process.send_signal(signum)
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=5)
        return code

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=20)
            self._reader.join(timeout=5)


def boto3_client(endpoint: str, service: str = "ssm", **overrides: Any) -> Any:
    import boto3
    from botocore.config import Config

    options: dict[str, Any] = {
        "endpoint_url": endpoint,
        "region_name": REGION,
        "aws_access_key_id": ACCESS_KEY_ID,
        "aws_secret_access_key": SECRET_ACCESS_KEY,
        "config": Config(retries={"max_attempts": 1}),
    }
    options.update(overrides)
    return boto3.client(service, **options)


def aws_cli_env(tmp: Path) -> dict[str, str]:
    """An environment in which `aws` signs with the test key and reads no user config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID=ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY=SECRET_ACCESS_KEY,
        AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE=str(tmp / "aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp / "aws-credentials"),
        AWS_PAGER="",
    )
    return env


def aws_executable() -> str:
    return str(Path(sys.executable).parent / "aws")


BACKEND_PARAMS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
