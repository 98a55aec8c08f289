"""Command documents: lookup by name and version, and what a command with given parameters
runs (SPEC.md §e.1, §e.6)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from transom.domain.document_content import DocumentContent, StepRun, step_runs
from transom.domain.document_parameters import resolve
from transom.domain.documents import BUILT_IN, DEFAULT, LATEST, Document, DocumentVersion
from transom.domain.errors import InvalidDocumentError, InvalidDocumentVersionError


@dataclass(frozen=True)
class Resolved:
    """A document at one of its versions."""

    document: Document
    version: DocumentVersion

    @property
    def name(self) -> str:
        return self.document.name

    @property
    def content(self) -> DocumentContent:
        return self.version.parsed

    def runs(self, parameters: Mapping[str, Sequence[str]]) -> tuple[StepRun, ...]:
        """The steps a command with `parameters` runs; `InvalidParametersError` when the
        parameters break the document's rules."""
        content = self.content
        return step_runs(content, resolve(self.name, content.parameters, parameters))


def short_name(name: str) -> str:
    """The document name of `name` or of its ARN (`arn:...:document/NAME`)."""
    return name.rsplit("/", 1)[-1]


def find_document(name: str, version: str | None = None) -> Resolved:
    """The document called `name` (or its ARN) at `version` (a number, `$LATEST`,
    `$DEFAULT`; the default version when None or empty)."""
    found = BUILT_IN.get(short_name(name))
    if found is None:
        raise InvalidDocumentError(
            f"Document {name} does not exist; Transom has: {', '.join(sorted(BUILT_IN))}."
        )
    document, only = found
    if version not in (None, "", "1", LATEST, DEFAULT):
        raise InvalidDocumentVersionError(
            f"Document {document.name} has only version 1 ($LATEST, $DEFAULT)."
        )
    return Resolved(document, only)
