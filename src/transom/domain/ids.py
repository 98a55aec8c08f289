"""Identifier formats (SPEC.md §a)."""

from __future__ import annotations

import secrets
import uuid


def new_window_id() -> str:
    """`mw-` and 17 lower-case hex digits."""
    return "mw-" + secrets.token_hex(9)[:17]


def new_uuid() -> str:
    """A lower-case random UUID, the id of targets, tasks and executions."""
    return str(uuid.uuid4())


def new_instance_id() -> str:
    """`mi-` and 17 lower-case hex digits: a managed (hybrid) node."""
    return "mi-" + secrets.token_hex(9)[:17]


def new_secret() -> str:
    """A random credential of 40 URL-safe characters."""
    return secrets.token_urlsafe(30)
