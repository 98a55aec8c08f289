"""The operation registries: for each API (by botocore's service name), operation name ->
handler.

A handler takes the services and a request already validated against the botocore model and
returns the response members; it raises `ApiError` subclasses for anything the caller did wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from transom.services.container import Services

Params = dict[str, Any]
Handler = Callable[[Services, Params], Params]

OPERATIONS: dict[str, dict[str, Handler]] = {}
"""Handlers by service (`ssm`, `events`), then by operation name."""


def operation(name: str, service: str = "ssm") -> Callable[[Handler], Handler]:
    """Register the decorated handler as `service`'s operation `name`."""

    def register(handler: Handler) -> Handler:
        handlers = OPERATIONS.setdefault(service, {})
        if name in handlers:
            raise RuntimeError(f"operation {service}:{name} registered twice")
        handlers[name] = handler
        return handler

    return register
