"""The operation registry: AWS operation name -> handler.

A handler takes the services and a request already validated against the botocore model and
returns the response members; it raises `ApiError` subclasses for anything the caller did wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from transom.services.container import Services

Params = dict[str, Any]
Handler = Callable[[Services, Params], Params]

OPERATIONS: dict[str, Handler] = {}


def operation(name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        if name in OPERATIONS:
            raise RuntimeError(f"operation {name} registered twice")
        OPERATIONS[name] = handler
        return handler

    return register
