"""Command documents of the account's own and their versions (the built-ins are not stored)."""

from __future__ import annotations

from typing import Protocol, TypedDict

from transom.domain.documents import Document, DocumentVersion


class DocumentUpdate(TypedDict, total=False):
    """The columns of a document that change after it is created; an update sets only those
    given."""

    default_version: int
    latest_version: int
    target_type: str | None


class DocumentPort(Protocol):
    def insert_document(self, document: Document, first: DocumentVersion) -> None:
        """Keep a new document with its first version; the name must be free (else an
        integrity error)."""

    def get_document(self, name: str) -> Document | None: ...

    def list_documents(self, after: str | None, limit: int) -> list[Document]:
        """At most `limit` documents in name order, those named after `after` if given."""

    def count_documents(self) -> int: ...

    def update_document(self, name: str, changes: DocumentUpdate) -> None:
        """Set the given columns of the document; it must exist."""

    def delete_document(self, name: str) -> bool:
        """Delete the document and all its versions; False when it did not exist."""

    def insert_document_version(self, version: DocumentVersion) -> None:
        """Keep a new version of an existing document; its number must be new (else an
        integrity error). The document's `latest_version` is the caller's to update."""

    def get_document_version(self, name: str, version: int) -> DocumentVersion | None: ...

    def find_document_version(self, name: str, version_name: str) -> DocumentVersion | None:
        """The version of the document with this version name, if any."""

    def list_document_versions(
        self, name: str, after: int | None, limit: int
    ) -> list[DocumentVersion]:
        """At most `limit` versions of the document in number order, those after `after`."""

    def delete_document_version(self, name: str, version: int) -> bool:
        """False when there was no such version."""
