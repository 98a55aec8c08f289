"""The layer rules: the Architecture table of README.md, checked against every module.

The table is read from README.md, so the documentation and this test cannot drift. Imports are
read statically (AST) from every module under `src/transom/`, wherever they stand: at module
level, inside functions, under `if TYPE_CHECKING:`. Whether the command line and the agent
import the server lazily is a separate rule, checked by importing in a fresh interpreter.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

import transom

README = Path(__file__).parents[2] / "README.md"
SRC = Path(transom.__file__).parent

STDLIB = sys.stdlib_module_names | {"_typeshed"}
"""`_typeshed` is the standard library's typing-only stub package (imported under
TYPE_CHECKING); it is not in `sys.stdlib_module_names`."""

SERVER_PARTS = ("api", "bootstrap", "engine", "protocol", "services", "store")
SERVER_FRAMEWORKS = ("starlette", "sqlalchemy", "uvicorn", "botocore", "alembic", "regex")


@dataclass(frozen=True)
class Rule:
    """One row of the table: a part of `transom` and what it may import."""

    part: str
    may_import: frozenset[str]
    third_party: frozenset[str]


@dataclass(frozen=True)
class Import:
    """`module` imports `name` (a dotted module name) at `line`."""

    module: str
    name: str
    line: int

    def __str__(self) -> str:
        return f"{self.module} imports {self.name} (line {self.line})"


# --- reading the table -------------------------------------------------------------------


def _part_name(token: str) -> str:
    """`domain/` -> domain, `bootstrap.py` -> bootstrap, `store.port` -> store.port."""
    return token.strip().removesuffix("/").removesuffix(".py")


def parse_rules(readme: str) -> dict[str, Rule]:
    """The rows of the table under `## Architecture` whose header starts `| package |`."""
    section = re.search(r"^## Architecture\n(.*?)(?=^## |\Z)", readme, re.M | re.S)
    if section is None:
        pytest.fail("README.md has no '## Architecture' section with the layer table")
    lines = section.group(1).splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("| package |")), None)
    if start is None:
        pytest.fail("README.md's Architecture section has no '| package | ...' table")
    header = [cell.strip() for cell in lines[start].strip("|").split("|")]
    if header != ["package", "holds", "may import", "third-party"]:
        pytest.fail(f"README.md's layer table has columns {header}")
    rules: dict[str, Rule] = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 4:
            pytest.fail(f"README.md's layer table: a row without 4 cells: {line}")
        part = _part_name(cells[0].strip("`"))
        names = [frozenset(_part_name(t) for t in re.findall(r"`([^`]+)`", c)) for c in cells[2:]]
        rules[part] = Rule(part, names[0], names[1])
    return rules


@cache
def readme_rules() -> dict[str, Rule]:
    return parse_rules(README.read_text())


def rule_for(part: str) -> Rule:
    rule = readme_rules().get(part)
    if rule is None:
        pytest.fail(f"README.md's layer table has no row for {part!r} (src/transom/{part})")
    return rule


# --- reading the code --------------------------------------------------------------------


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def part_of(module: str) -> str:
    """The table row a `transom` module belongs to: `transom.api.app` -> api,
    `transom` -> __init__."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


@cache
def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(SRC.rglob("*.py"))}


def imports_in(source: str, module: str, is_package: bool = False) -> Iterator[Import]:
    """Every module `source` imports, relative imports resolved; `from a import b` counts as
    importing `a.b` when that is a module of `transom`, else `a`."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".")
                package = package if is_package else package[:-1]
                package = package[: len(package) - node.level + 1]
                base = ".".join([*package, base] if base else package)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                yield Import(module, full if full in modules() else base, node.lineno)


def imports_of(module: str) -> list[Import]:
    path = modules()[module]
    return list(imports_in(path.read_text(), module, path.name == "__init__.py"))


def parts_in_code() -> list[str]:
    return sorted({part_of(module) for module in modules()})


# --- the rules, as functions of what they read ---------------------------------------------


def table_gaps(rules: dict[str, Rule], parts: set[str]) -> list[str]:
    """Parts of `transom` missing from the table, rows for parts that do not exist, and
    "may import" entries naming no row."""
    return (
        [
            f"src/transom/{part} has no row in README.md's table"
            for part in sorted(parts - set(rules))
        ]
        + [
            f"README.md's table has a row for {part}, not in src/transom"
            for part in sorted(set(rules) - parts)
        ]
        + [
            f"{rule.part} may import {name}, which has no row in README.md's table"
            for rule in rules.values()
            for name in sorted(rule.may_import)
            if name.split(".")[0] not in rules
        ]
    )


def layer_violations(rule: Rule, imports: list[Import]) -> list[str]:
    """The imports of `transom` modules that `rule` does not allow."""
    bad = []
    for imp in imports:
        if imp.name != "transom" and not imp.name.startswith("transom."):
            continue
        target = imp.name.removeprefix("transom").removeprefix(".") or "__init__"
        if part_of(imp.name) == rule.part or any(
            target == allowed or target.startswith(allowed + ".") for allowed in rule.may_import
        ):
            continue
        allowed = ", ".join(sorted(rule.may_import)) or "nothing of transom"
        bad.append(f"{imp}; {rule.part} may import {allowed}")
    return bad


def third_party_violations(rule: Rule, imports: list[Import]) -> list[str]:
    """The imports outside the standard library and `transom` that `rule` does not name."""
    bad = []
    for imp in imports:
        top = imp.name.split(".")[0]
        if top == "transom" or top in STDLIB or top in rule.third_party:
            continue
        allowed = ", ".join(sorted(rule.third_party)) or "none"
        bad.append(f"{imp}; {rule.part}'s third-party packages: {allowed}")
    return bad


@cache
def wire_names() -> tuple[frozenset[str], frozenset[str]]:
    """(member names of the structures of the models Transom serves (SSM, EventBridge) and
    `__type`, the values the models define: enum values and error codes)."""
    import botocore.session

    session = botocore.session.get_session()
    members, values = {"__type"}, set()
    for model in (session.get_service_model(service) for service in ("ssm", "events")):
        for name in model.shape_names:
            shape = model.shape_for(name)
            if shape.type_name == "structure":
                members.update(shape.members)
                if shape.metadata.get("exception"):
                    values.add(name)
            values.update(shape.metadata.get("enum", ()))
    return frozenset(members), frozenset(values)


def wire_names_in(source: str, module: str) -> list[str]:
    """String literals of `source` (docstrings aside) that are AWS wire names."""
    members, values = wire_names()
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        f"{module} line {node.lineno}: {node.value!r} is a member name of an AWS model"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and node.value in members
        and node.value not in values
    ]


def server_parts_loaded(*imported: str) -> list[str]:
    """The server's parts and frameworks in `sys.modules` of a fresh interpreter after it
    imports `imported` (a trailing `.*` imports a package and every module under it)."""
    code = textwrap.dedent(f"""
        import importlib, json, pkgutil, sys
        for name in {imported!r}:
            module = importlib.import_module(name.removesuffix(".*"))
            if name.endswith(".*"):
                for info in pkgutil.walk_packages(module.__path__, module.__name__ + "."):
                    importlib.import_module(info.name)
        server = {tuple(f"transom.{p}" for p in SERVER_PARTS) + SERVER_FRAMEWORKS!r}
        prefixes = tuple(s + "." for s in server)
        print(json.dumps(sorted(n for n in sys.modules if n in server or n.startswith(prefixes))))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded: list[str] = json.loads(out.stdout)
    return loaded


# --- the checks ----------------------------------------------------------------------------


def test_the_table_lists_every_part_of_transom_and_no_other() -> None:
    gaps = table_gaps(readme_rules(), set(parts_in_code()))
    assert not gaps, "\n".join(gaps)


@pytest.mark.parametrize("part", parts_in_code())
def test_each_part_imports_only_the_parts_the_table_allows(part: str) -> None:
    rule = rule_for(part)
    imports = [imp for m in modules() if part_of(m) == part for imp in imports_of(m)]
    bad = layer_violations(rule, imports)
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("part", parts_in_code())
def test_each_part_imports_only_the_third_party_packages_the_table_names(part: str) -> None:
    rule = rule_for(part)
    imports = [imp for m in modules() if part_of(m) == part for imp in imports_of(m)]
    bad = third_party_violations(rule, imports)
    assert not bad, "\n".join(bad)


CONTENT_KEYS = {
    "transom.domain.document_content": ("'type'",),
    "transom.domain.policies": ("'Version'", "'Id'", "'Condition'"),
}
"""The modules that read a document format of their own (a Command document's content, an
IAM policy document), and the keys of that format that share a name with a model member."""


def test_the_domain_carries_no_aws_wire_names() -> None:
    found = [
        name
        for module, path in modules().items()
        if part_of(module) == "domain"
        for name in wire_names_in(path.read_text(), module)
        if not any(f": {key} is" in name for key in CONTENT_KEYS.get(module, ()))
    ]
    assert not found, "\n".join(found)


def test_the_command_line_starts_without_the_server() -> None:
    assert server_parts_loaded("transom.cli.main") == []


def test_the_agent_imports_nothing_of_the_server() -> None:
    assert server_parts_loaded("transom.agent.*", "transom.cli.agent") == []


# --- each check catches what it is for -----------------------------------------------------


@pytest.mark.parametrize(
    ("part", "name"),
    [
        ("domain", "transom.schedule"),
        ("schedule", "transom.execution.limits"),
        ("execution", "transom.services.commands"),
        ("services", "transom.protocol.awsjson.members"),
        ("services", "transom.api.app"),
        ("services", "transom.store.sql"),
        ("services", "transom.store.portable"),
        ("engine", "transom.api.agent"),
        ("protocol", "transom.store.port"),
        ("api", "transom.store.sql"),
        ("api", "transom.engine.windows"),
        ("agent", "transom.services.nodes"),
        ("agent", "transom.domain.errors"),
        ("wire", "transom"),
        ("__main__", "transom.bootstrap"),
    ],
)
def test_a_forbidden_import_of_transom_is_reported(part: str, name: str) -> None:
    [message] = layer_violations(rule_for(part), [Import(f"transom.{part}.x", name, 7)])
    assert message.startswith(f"transom.{part}.x imports {name} (line 7); {part} may import ")


@pytest.mark.parametrize(
    ("part", "name"),
    [
        ("domain", "sqlalchemy"),
        ("schedule", "regex"),
        ("execution", "botocore.session"),
        ("wire", "httpx"),
        ("services", "starlette.requests"),
        ("engine", "anyio"),
        ("agent", "starlette"),
        ("protocol", "sqlalchemy"),
    ],
)
def test_a_forbidden_third_party_import_is_reported(part: str, name: str) -> None:
    [message] = third_party_violations(rule_for(part), [Import(f"transom.{part}.x", name, 3)])
    assert message.startswith(f"transom.{part}.x imports {name} (line 3); ")


def test_allowed_imports_are_not_reported() -> None:
    imports = [
        Import("transom.services.x", name, 1)
        for name in ("transom.services.y", "transom.store.port", "transom.domain", "json", "typing")
    ]
    assert layer_violations(rule_for("services"), imports) == []
    assert third_party_violations(rule_for("services"), imports) == []


def test_imports_are_read_wherever_they_stand() -> None:
    source = textwrap.dedent("""
        from typing import TYPE_CHECKING
        import sqlalchemy.orm
        if TYPE_CHECKING:
            from transom.store.sql import SqlStore
        def command():
            from transom import bootstrap, __version__
            from . import sibling
            from ..api import app
    """)
    names = [imp.name for imp in imports_in(source, "transom.cli.x")]
    assert names == [
        "typing",
        "sqlalchemy.orm",
        "transom.store.sql",
        "transom.bootstrap",
        "transom",
        "transom.cli",
        "transom.api.app",
    ]


def test_wire_names_in_the_domain_are_reported_and_values_are_not() -> None:
    source = textwrap.dedent('''
        """WindowId in a docstring is prose."""
        KEYS = {"WindowId": 1, "__type": 2}
        STATUS = "Failed"
        CODE = "InvalidParameters"
        def f():
            """StatusDetails, also prose."""
            return "NextToken"
    ''')
    assert wire_names_in(source, "transom.domain.x") == [
        "transom.domain.x line 3: 'WindowId' is a member name of an AWS model",
        "transom.domain.x line 3: '__type' is a member name of an AWS model",
        "transom.domain.x line 8: 'NextToken' is a member name of an AWS model",
    ]


def test_a_table_that_does_not_match_the_packages_is_reported() -> None:
    rules = dict(readme_rules())
    rules["mailer"] = Rule("mailer", frozenset({"domain", "outbox"}), frozenset())
    del rules["wire"]
    assert sorted(table_gaps(rules, set(parts_in_code()) | {"console"})) == sorted(
        [
            "src/transom/console has no row in README.md's table",
            "src/transom/wire has no row in README.md's table",
            "README.md's table has a row for mailer, not in src/transom",
            "api may import wire, which has no row in README.md's table",
            "agent may import wire, which has no row in README.md's table",
            "cli may import wire, which has no row in README.md's table",
            "mailer may import outbox, which has no row in README.md's table",
        ]
    )


def test_the_light_start_check_sees_the_server() -> None:
    loaded = server_parts_loaded("transom.cli.serve")
    assert "transom.store.sql" in loaded
    assert "starlette" in loaded


@pytest.mark.parametrize(
    ("readme", "complaint"),
    [
        ("# Transom\n", "no '## Architecture' section"),
        ("## Architecture\nNo table.\n", "no '| package | ...' table"),
        ("## Architecture\n| package | holds |\n|---|---|\n", "has columns"),
        (
            "## Architecture\n| package | holds | may import | third-party |\n|-|\n| `x/` |\n",
            "a row without 4 cells",
        ),
    ],
)
def test_a_missing_or_malformed_table_fails_clearly(readme: str, complaint: str) -> None:
    with pytest.raises(pytest.fail.Exception, match=re.escape(complaint)):
        parse_rules(readme)


def test_the_table_is_read_row_by_row() -> None:
    readme = (
        "## Architecture\n"
        "| package | holds | may import | third-party |\n"
        "|---|---|---|---|\n"
        "| `store/` | the `Store` port | `domain`, `__init__.py` | `sqlalchemy` |\n"
        "| `bootstrap.py` | the root | – | – |\n"
        "\n## Next\n| package | holds | may import | third-party |\n"
    )
    assert parse_rules(readme) == {
        "store": Rule("store", frozenset({"domain", "__init__"}), frozenset({"sqlalchemy"})),
        "bootstrap": Rule("bootstrap", frozenset(), frozenset()),
    }
