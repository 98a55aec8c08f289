"""`{{NAME}}` pseudo-parameters in task invocation parameters (SPEC.md §d.7)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Z_]+)\s*\}\}")


def substitute(value: Any, values: Mapping[str, str]) -> Any:
    """`value` with every `{{NAME}}` known in `values` replaced, through nested lists and dicts
    (keys are left alone); unknown names stay as written."""
    if isinstance(value, str):
        return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), value)
    if isinstance(value, list):
        return [substitute(v, values) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, values) for k, v in value.items()}
    return value
