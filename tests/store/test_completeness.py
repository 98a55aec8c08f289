"""Every store port method has a contract test, run on every backend; every typed update
names real columns."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import typing
from collections.abc import Iterator
from types import ModuleType

import tests.store
import transom.store.ports
from tests.store.contract import COVERS, ON_EVERY_BACKEND
from transom.store import schema
from transom.store.port import Store, Transaction
from transom.store.ports.commands import InvocationUpdate
from transom.store.ports.documents import DocumentUpdate
from transom.store.ports.executions import (
    TaskExecutionUpdate,
    TaskInvocationUpdate,
    WindowExecutionUpdate,
)
from transom.store.ports.rules import RuleUpdate


def _modules(package: ModuleType, prefix: str = "") -> Iterator[ModuleType]:
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith(prefix):
            yield importlib.import_module(f"{package.__name__}.{info.name}")


def _protocols() -> list[type]:
    """The port protocols: each one `Transaction` combines, and `Store`."""
    return [
        cls
        for cls in (*Transaction.__mro__, Store)
        if cls.__module__.startswith("transom.store.port") and cls is not Transaction
    ]


def _methods(protocol: type) -> set[str]:
    return {
        name
        for name, member in vars(protocol).items()
        if inspect.isfunction(member) and not name.startswith("_")
    }


def _port_methods() -> set[str]:
    return set().union(*(_methods(p) for p in _protocols()))


def _covered() -> dict[str, list[str]]:
    """Port method -> the contract tests declaring it, from every test module here."""
    found: dict[str, list[str]] = {}
    for module in _modules(tests.store, "test_"):
        for name, test in vars(module).items():
            for method in getattr(test, COVERS, ()):
                assert getattr(module, "pytestmark", None) is ON_EVERY_BACKEND, (
                    f"{module.__name__} must run on every backend"
                )
                found.setdefault(method, []).append(f"{module.__name__}.{name}")
    return found


def test_transaction_combines_every_port() -> None:
    defined = {
        cls
        for module in _modules(transom.store.ports)
        for cls in vars(module).values()
        if isinstance(cls, type)
        and cls.__module__ == module.__name__
        and typing.Protocol in cls.__bases__
    }
    assert len(defined) >= 7
    assert defined <= set(_protocols())


def test_every_port_method_has_a_contract_test() -> None:
    methods, covered = _port_methods(), _covered()
    assert len(methods) >= 90  # the ports were found, and not just one of them
    unknown = {m: tests for m, tests in covered.items() if m not in methods}
    assert unknown == {}, "contract tests declare methods no port has"
    assert sorted(methods - set(covered)) == [], "port methods without a contract test"


def test_no_method_is_in_two_ports() -> None:
    protocols = _protocols()
    assert sum(len(_methods(p)) for p in protocols) == len(_port_methods())


def test_typed_updates_name_columns_of_their_table() -> None:
    for update, table in [
        (InvocationUpdate, schema.invocations),
        (WindowExecutionUpdate, schema.window_executions),
        (TaskExecutionUpdate, schema.task_executions),
        (TaskInvocationUpdate, schema.task_invocations),
        (RuleUpdate, schema.rules),
        (DocumentUpdate, schema.documents),
    ]:
        names = set(typing.get_type_hints(update))
        assert names, update
        assert names <= {c.name for c in table.columns}, update
        assert all(not table.c[n].primary_key for n in names), update
