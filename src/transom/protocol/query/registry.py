"""The Query operation registry: action name -> handler.

A handler takes the services and a `Call` (members already decoded and validated against the
model) and returns the output members; it raises `ApiError`s for what the caller did wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from transom.services.container import Services

Params = dict[str, Any]


@dataclass(frozen=True)
class Call:
    params: Params
    signed: bool
    """False for the unsigned GETs a subscriber's link makes (see `endpoint`)."""
    form: Mapping[str, str]
    """Every parameter as sent, for those outside the model (an unsigned Unsubscribe's Token)."""


Handler = Callable[[Services, Call], Params]

OPERATIONS: dict[str, Handler] = {}


def operation(name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        if name in OPERATIONS:
            raise RuntimeError(f"operation {name} registered twice")
        OPERATIONS[name] = handler
        return handler

    return register
