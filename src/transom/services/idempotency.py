"""ClientToken idempotency for the create and register operations (SPEC.md §0)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime

from transom.domain.errors import IdempotentParameterMismatchError
from transom.store.port import Store, Transaction
from transom.store.ports.configuration import IdempotencyRecord


def fingerprint(request: object) -> str:
    """A stable digest of a request's parameters (JSON-serialisable, token excluded)."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def replayed(tx: Transaction, operation: str, token: str | None, digest: str) -> str | None:
    """The id created earlier with this token and the same parameters, or None for a new token.

    Raises `IdempotentParameterMismatchError` when the token was used with other parameters.
    Call it after `tx.lock(operation)` so two requests with one token cannot both be new.
    """
    if token is None:
        return None
    record = tx.get_idempotency(operation, token)
    if record is None:
        return None
    if record.fingerprint != digest:
        raise IdempotentParameterMismatchError(
            f"ClientToken {token!r} was already used for a {operation} request with other "
            "parameters. Send a new ClientToken, or repeat the original request unchanged."
        )
    return record.resource_id


def remember(
    tx: Transaction, operation: str, token: str | None, digest: str, resource_id: str, at: datetime
) -> None:
    """Record that `token` created `resource_id`."""
    if token is not None:
        tx.put_idempotency(operation, token, IdempotencyRecord(digest, resource_id), at)


def create_once(
    store: Store,
    operation: str,
    token: str | None,
    digest: str,
    at: datetime,
    create: Callable[[Transaction], str],
) -> str:
    """Run `create` in one write transaction, unless `token` already created something with
    the same request; the id created now or then."""
    with store.write() as tx:
        tx.lock(operation)
        earlier = replayed(tx, operation, token, digest)
        if earlier is not None:
            return earlier
        resource_id = create(tx)
        remember(tx, operation, token, digest, resource_id, at)
        return resource_id
