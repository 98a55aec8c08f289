"""The console's form helpers that turn fields into API requests: a Run Command
document's parameters, and the `transom agent register` line of a new activation."""

from __future__ import annotations

import shlex

import pytest

from transom.api.console.activations import register_line
from transom.api.console.commands import parameters_of
from transom.domain.documents import BUILT_IN
from transom.services.documents import Resolved

SHELL = Resolved(*BUILT_IN["AWS-RunShellScript"])


@pytest.mark.parametrize(
    ("fields", "parameters"),
    [
        ({}, {}),
        (
            {"param:AWS-RunShellScript:commands": "uptime\n\n  \necho 'a b'\r\n"},
            {"commands": ["uptime", "echo 'a b'"]},
        ),
        (
            {
                "param:AWS-RunShellScript:executionTimeout": " 120 ",
                "param:AWS-RunShellScript:workingDirectory": "",
                "param:AWS-RunPowerShellScript:commands": "Get-Date",
            },
            {"executionTimeout": ["120"]},
        ),
    ],
)
def test_a_documents_parameters_come_from_its_own_fields(
    fields: dict[str, str], parameters: dict[str, list[str]]
) -> None:
    assert parameters_of(SHELL, fields) == parameters


def test_the_register_line_gives_the_code_on_stdin_and_the_ca_file_over_https() -> None:
    line = register_line("https://transom.example:8770", "a-1", "Code0", tls=True)
    assert line == (
        "echo Code0 | transom agent register --server https://transom.example:8770 "
        "--ca-file ca.pem --id a-1"
    )
    plain = register_line("http://127.0.0.1:8770", "a-1", "Code0", tls=False)
    assert "--ca-file" not in plain


def test_the_register_line_quotes_what_the_shell_would_read() -> None:
    line = register_line("http://h:1/x y", "a;b", "c$d", tls=False)
    words = shlex.split(line)
    assert words[:2] == ["echo", "c$d"]
    assert words[words.index("--server") + 1] == "http://h:1/x y"
    assert words[words.index("--id") + 1] == "a;b"
