"""Documents and their versions on SQLAlchemy Core
(`transom.store.ports.documents.DocumentPort`)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from transom.domain.document_content import DocumentFormat
from transom.domain.documents import Document, DocumentVersion
from transom.store import schema as t
from transom.store.ports.documents import DocumentUpdate

_d = t.documents
_v = t.document_versions


def _document(row: Any) -> Document:
    return Document(
        name=row.name,
        document_type=row.document_type,
        default_version=row.default_version,
        latest_version=row.latest_version,
        created_date=row.created_date,
        target_type=row.target_type,
    )


def _version(row: Any) -> DocumentVersion:
    return DocumentVersion(
        name=row.name,
        version=row.version,
        content=row.content,
        document_format=DocumentFormat(row.document_format),
        created_date=row.created_date,
        version_name=row.version_name,
    )


class DocumentQueries:
    _conn: Connection

    def insert_document(self, document: Document, first: DocumentVersion) -> None:
        self._conn.execute(
            _d.insert().values(
                name=document.name,
                document_type=document.document_type,
                default_version=document.default_version,
                latest_version=document.latest_version,
                created_date=document.created_date,
                target_type=document.target_type,
            )
        )
        self.insert_document_version(first)

    def get_document(self, name: str) -> Document | None:
        row = self._conn.execute(sa.select(_d).where(_d.c.name == name)).first()
        return None if row is None else _document(row)

    def list_documents(self, after: str | None, limit: int) -> list[Document]:
        query = sa.select(_d).order_by(_d.c.name).limit(limit)
        if after is not None:
            query = query.where(_d.c.name > after)
        return [_document(row) for row in self._conn.execute(query)]

    def count_documents(self) -> int:
        return int(self._conn.execute(sa.select(sa.func.count()).select_from(_d)).scalar_one())

    def update_document(self, name: str, changes: DocumentUpdate) -> None:
        if changes:
            self._conn.execute(_d.update().where(_d.c.name == name).values(**changes))

    def delete_document(self, name: str) -> bool:
        self._conn.execute(_v.delete().where(_v.c.name == name))
        return self._conn.execute(_d.delete().where(_d.c.name == name)).rowcount > 0

    def insert_document_version(self, version: DocumentVersion) -> None:
        self._conn.execute(
            _v.insert().values(
                name=version.name,
                version=version.version,
                content=version.content,
                document_format=str(version.document_format),
                created_date=version.created_date,
                version_name=version.version_name,
            )
        )

    def get_document_version(self, name: str, version: int) -> DocumentVersion | None:
        query = sa.select(_v).where(_v.c.name == name, _v.c.version == version)
        row = self._conn.execute(query).first()
        return None if row is None else _version(row)

    def find_document_version(self, name: str, version_name: str) -> DocumentVersion | None:
        query = sa.select(_v).where(_v.c.name == name, _v.c.version_name == version_name)
        row = self._conn.execute(query.limit(1)).first()
        return None if row is None else _version(row)

    def list_document_versions(
        self, name: str, after: int | None, limit: int
    ) -> list[DocumentVersion]:
        query = sa.select(_v).where(_v.c.name == name).order_by(_v.c.version).limit(limit)
        if after is not None:
            query = query.where(_v.c.version > after)
        return [_version(row) for row in self._conn.execute(query)]

    def delete_document_version(self, name: str, version: int) -> bool:
        query = _v.delete().where(_v.c.name == name, _v.c.version == version)
        return self._conn.execute(query).rowcount > 0
