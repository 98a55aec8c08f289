"""Use cases for resource tags (SPEC.md §b.24): of windows, nodes and documents."""

from __future__ import annotations

from collections.abc import Sequence

from transom.domain.errors import InvalidResourceIdError, InvalidResourceTypeError
from transom.domain.quotas import Quotas
from transom.domain.windows import Tag
from transom.services.documents import DOCUMENT_RESOURCE
from transom.services.nodes import NODE_RESOURCE
from transom.services.tag_rules import check_tags
from transom.services.windows import WINDOW_RESOURCE
from transom.store.port import Store, Transaction

TAGGABLE = (WINDOW_RESOURCE, NODE_RESOURCE, DOCUMENT_RESOURCE)


class TagService:
    def __init__(self, store: Store, quotas: Quotas) -> None:
        self._store = store
        self._quotas = quotas

    def _require(self, tx: Transaction, resource_type: str, resource_id: str) -> None:
        if resource_type not in TAGGABLE:
            raise InvalidResourceTypeError(
                f"Transom does not keep tags for ResourceType {resource_type}; "
                f"use one of: {', '.join(TAGGABLE)}."
            )
        if resource_type == WINDOW_RESOURCE:
            exists = tx.get_window(resource_id) is not None
        elif resource_type == DOCUMENT_RESOURCE:
            exists = tx.get_document(resource_id) is not None  # the built-ins take no tags
        else:
            node = tx.get_node(resource_id)
            exists = node is not None and node.deregistered_date is None
        if not exists:
            raise InvalidResourceIdError(
                f"The resource ID {resource_id!r} is not a {resource_type} that exists."
            )

    def add(self, resource_type: str, resource_id: str, tags: Sequence[Tag]) -> None:
        """Add tags, overwriting existing values; refuse to exceed the per-resource quota."""
        with self._store.write() as tx:
            self._require(tx, resource_type, resource_id)
            existing = {t.key for t in tx.get_tags(resource_type, resource_id)}
            check_tags(tags, existing, self._quotas.tags_per_resource, resource_id)
            tx.put_tags(resource_type, resource_id, tags)

    def remove(self, resource_type: str, resource_id: str, keys: Sequence[str]) -> None:
        with self._store.write() as tx:
            self._require(tx, resource_type, resource_id)
            tx.remove_tags(resource_type, resource_id, keys)

    def list(self, resource_type: str, resource_id: str) -> list[Tag]:
        with self._store.read() as tx:
            self._require(tx, resource_type, resource_id)
            return tx.get_tags(resource_type, resource_id)
