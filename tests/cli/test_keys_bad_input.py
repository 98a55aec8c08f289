"""`transom keys` refuses bad input with a one-line message, on each backend."""

from __future__ import annotations

import pytest

from tests.support.cli import transom_on
from tests.support.servers import BACKEND_PARAMS, Database

pytestmark = pytest.mark.parametrize("fresh_db", BACKEND_PARAMS, indirect=True)


def test_key_commands_refuse_bad_input_with_a_message(fresh_db: Database) -> None:
    secret = "secret-secret-secret"
    bad = transom_on(fresh_db, "keys", "import", "lowercase-id", stdin=secret, ok=False)
    assert "access key ID" in bad.stderr
    twice = ["keys", "import", "AKIATWICE00000000001"]
    transom_on(fresh_db, *twice, stdin=secret)
    assert "exists already" in transom_on(fresh_db, *twice, stdin=secret, ok=False).stderr
    empty = transom_on(fresh_db, "keys", "import", "AKIAEMPTY00000000001", stdin="\n", ok=False)
    assert "no secret access key given" in empty.stderr
    assert "no access key" in transom_on(fresh_db, "keys", "delete", "AKIANOPE", ok=False).stderr
