"""The document port: documents of one's own and their versions."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.store.contract import ON_EVERY_BACKEND, covers
from tests.store.records import NOW
from transom.domain.document_content import DocumentFormat
from transom.domain.documents import Document, DocumentVersion
from transom.store.sql import SqlStore

pytestmark = ON_EVERY_BACKEND


def _document(name: str) -> Document:
    return Document(name, "Command", 1, 1, NOW, target_type="/AWS::EC2::Instance")


def _version(name: str, n: int, version_name: str | None = None) -> DocumentVersion:
    return DocumentVersion(
        name,
        n,
        f"schemaVersion: '2.2'  # {n}\n",
        DocumentFormat.YAML,
        NOW + timedelta(seconds=n),
        version_name,
    )


@covers(
    "insert_document",
    "get_document",
    "list_documents",
    "count_documents",
    "update_document",
    "delete_document",
)
def test_documents_round_trip_in_name_order(store: SqlStore) -> None:
    with store.write() as tx:
        for name in ("ops", "alerts", "builds"):
            tx.insert_document(_document(name), _version(name, 1))
    with pytest.raises(sa.exc.IntegrityError), store.write() as tx:
        tx.insert_document(_document("ops"), _version("ops", 1))
    with store.write() as tx:
        tx.update_document("ops", {"default_version": 2, "latest_version": 3, "target_type": None})
    with store.read() as tx:
        assert tx.get_document("alerts") == _document("alerts")
        assert tx.get_document("ops") == replace(
            _document("ops"), default_version=2, latest_version=3, target_type=None
        )
        assert tx.get_document("nope") is None
        assert [d.name for d in tx.list_documents(None, 2)] == ["alerts", "builds"]
        assert [d.name for d in tx.list_documents("alerts", 5)] == ["builds", "ops"]
        assert tx.count_documents() == 3
    with store.write() as tx:
        assert tx.delete_document("ops") is True
        assert tx.delete_document("ops") is False
    with store.read() as tx:
        assert tx.count_documents() == 2
        assert tx.get_document_version("ops", 1) is None


@covers(
    "insert_document_version",
    "get_document_version",
    "find_document_version",
    "list_document_versions",
    "delete_document_version",
)
def test_versions_round_trip_in_number_order(store: SqlStore) -> None:
    with store.write() as tx:
        tx.insert_document(_document("ops"), _version("ops", 1, "first"))
        tx.insert_document(_document("other"), _version("other", 1))
        tx.insert_document_version(_version("ops", 2))
        tx.insert_document_version(_version("ops", 3, "third"))
    with pytest.raises(sa.exc.IntegrityError), store.write() as tx:
        tx.insert_document_version(_version("ops", 2))
    with store.read() as tx:
        assert tx.get_document_version("ops", 2) == _version("ops", 2)
        assert tx.get_document_version("ops", 4) is None
        assert tx.find_document_version("ops", "third") == _version("ops", 3, "third")
        assert tx.find_document_version("other", "third") is None
        assert [v.version for v in tx.list_document_versions("ops", None, 2)] == [1, 2]
        assert [v.version for v in tx.list_document_versions("ops", 1, 5)] == [2, 3]
    with store.write() as tx:
        assert tx.delete_document_version("ops", 2) is True
        assert tx.delete_document_version("ops", 2) is False
    with store.read() as tx:
        assert [v.version for v in tx.list_document_versions("ops", None, 5)] == [1, 3]
        assert [v.version for v in tx.list_document_versions("other", None, 5)] == [1]
