"""Command documents: lookup and parameter validation (SPEC.md §e.1, §e.6)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from transom.domain.documents import BUILT_IN, Document
from transom.domain.errors import (
    InvalidDocumentError,
    InvalidDocumentVersionError,
    InvalidParametersError,
)


def listed() -> list[Document]:
    """Every document a command or task may name, by name."""
    return [BUILT_IN[name] for name in sorted(BUILT_IN)]


def find_document(name: str, version: str | None = None) -> Document:
    """The document called `name` (or its ARN), version 1 / $LATEST / $DEFAULT only."""
    document = BUILT_IN.get(name.rsplit("/", 1)[-1])
    if document is None:
        raise InvalidDocumentError(
            f"Document {name} does not exist; Transom has: {', '.join(sorted(BUILT_IN))}."
        )
    if version not in (None, "", "1", "$LATEST", "$DEFAULT"):
        raise InvalidDocumentVersionError(
            f"Document {document.name} has only version 1 ($LATEST, $DEFAULT)."
        )
    return document


def resolve_parameters(
    document: Document, given: Mapping[str, Sequence[str]]
) -> dict[str, list[str]]:
    """The parameters with defaults filled in; `InvalidParametersError` for unknown names,
    missing required values, a list given to a String parameter, or a pattern miss."""
    known = {p.name: p for p in document.parameters}
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise InvalidParametersError(
            f"Document {document.name} has no parameter {unknown[0]!r}; "
            f"its parameters are: {', '.join(known)}."
        )
    resolved: dict[str, list[str]] = {}
    for name, parameter in known.items():
        values = list(given.get(name, []))
        if not values:
            if parameter.default is None:
                raise InvalidParametersError(
                    f"Parameter {name!r} of {document.name} is required: {parameter.description}"
                )
            values = [parameter.default]
        if parameter.type == "String" and len(values) != 1:
            raise InvalidParametersError(f"Parameter {name!r} takes one value, not a list.")
        for value in values:
            if not parameter.matches(value):
                raise InvalidParametersError(
                    f"Parameter {name!r} value {value!r} does not match "
                    f"{parameter.allowed_pattern}."
                )
            if parameter.max_chars is not None and len(value) > parameter.max_chars:
                raise InvalidParametersError(
                    f"Parameter {name!r} is longer than {parameter.max_chars} characters."
                )
        resolved[name] = values
    return resolved
