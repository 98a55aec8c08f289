"""The layer rules of ARCHITECTURE.md §2, checked in fresh interpreters."""

from __future__ import annotations

import subprocess
import sys

import pytest

FRAMEWORKS = ("starlette", "sqlalchemy", "uvicorn", "botocore", "httpx", "alembic", "click")


@pytest.mark.parametrize("package", ["transom.domain", "transom.schedule"])
def test_pure_layers_import_no_framework(package: str) -> None:
    code = (
        "import sys, pkgutil, importlib\n"
        f"import {package} as p\n"
        "for m in pkgutil.walk_packages(p.__path__, p.__name__ + '.'):\n"
        "    importlib.import_module(m.name)\n"
        f"print(sorted(n for n in sys.modules if n.split('.')[0] in {FRAMEWORKS!r}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_command_line_starts_without_the_server_stack() -> None:
    code = (
        "import sys, transom.cli.main\n"
        "print(sorted(n for n in ('starlette', 'sqlalchemy', 'uvicorn', 'botocore') "
        "if n in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_agent_imports_nothing_of_the_server() -> None:
    code = (
        "import sys, transom.agent.loop, transom.agent.facts, transom.cli.agent\n"
        "print(sorted(n for n in ('starlette', 'sqlalchemy', 'uvicorn', 'botocore', 'alembic') "
        "if n in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
