"""Fixtures shared by every test: databases, servers, clients."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.nodes import activation, register
from tests.support.servers import (
    BACKEND_PARAMS,
    Database,
    ServerProcess,
    boto3_client,
    database,
    install_test_key,
)
from tests.support.watched import Watched, watched_server
from transom.wire import node_authorization


@pytest.fixture(scope="session", params=BACKEND_PARAMS)
def backend_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """One database per backend for the whole session, shared by `server`."""
    with database(request.param, tmp_path_factory.mktemp(request.param)) as db:
        install_test_key(db)
        yield db


@pytest.fixture(scope="session")
def server(backend_db: Database) -> Iterator[ServerProcess]:
    """A running server on each backend, shared by the API tests."""
    process = ServerProcess(backend_db).start()
    yield process
    process.stop()


@pytest.fixture(scope="session", params=BACKEND_PARAMS)
def watched(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Watched]:
    """A server on each backend for the metrics and readiness tests, on a database of its
    own (`tests.support.watched`)."""
    with watched_server(request.param, tmp_path_factory.mktemp(f"watched-{request.param}")) as w:
        yield w


@pytest.fixture(scope="session")
def node(server: ServerProcess) -> dict[str, str]:
    """The Authorization header of a node registered with `server`."""
    activation_id, code = activation(boto3_client(server.endpoint))
    registered = register(server.endpoint, activation_id, code)
    return {"Authorization": node_authorization(registered.instance_id, registered.secret)}


@pytest.fixture
def ssm(server: ServerProcess) -> Any:
    """A real boto3 SSM client signed with the test key, pointed at `server`."""
    return boto3_client(server.endpoint)


@pytest.fixture
def sns(server: ServerProcess) -> Any:
    """A real boto3 SNS client signed with the test key, pointed at `server`."""
    return boto3_client(server.endpoint, "sns")


@pytest.fixture
def events(server: ServerProcess) -> Any:
    """A real boto3 EventBridge client signed with the test key, pointed at `server`."""
    return boto3_client(server.endpoint, "events")


@pytest.fixture
def fresh_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A new empty database of the backend named by the test's `backend` parameter."""
    with database(request.param, tmp_path) as db:
        install_test_key(db)
        yield db
