"""What every store contract test declares: the backends it runs on and the port methods it
proves. `test_completeness.py` fails when a port method is proved by no test."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import pytest

from tests.support.servers import BACKEND_PARAMS

ON_EVERY_BACKEND = pytest.mark.parametrize("fresh_db", BACKEND_PARAMS, indirect=True)
"""Each contract module's `pytestmark`: SQLite and PostgreSQL alike."""

COVERS = "__covers__"
Test = TypeVar("Test", bound=Callable[..., None])


def covers(*methods: str) -> Callable[[Test], Test]:
    """Declare the port methods (by name) whose contract the test checks."""

    def declare(test: Test) -> Test:
        setattr(test, COVERS, methods)
        return test

    return declare
