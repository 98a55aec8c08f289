"""Identifier formats (SPEC.md §a)."""

from __future__ import annotations

import os
import secrets


def new_window_id() -> str:
    """`mw-` and 17 lower-case hex digits."""
    return "mw-" + secrets.token_hex(9)[:17]


def new_uuid() -> str:
    """A lower-case random (version 4) UUID, the id of targets, tasks, executions, events and
    leases: as `str(uuid.uuid4())`, from the same source, in half the time (it names every
    event and lease of the Run Command hot path)."""
    h = os.urandom(16).hex()
    variant = "89ab"[int(h[16], 16) & 3]
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:]}"


def new_instance_id() -> str:
    """`mi-` and 17 lower-case hex digits: a managed (hybrid) node."""
    return "mi-" + secrets.token_hex(9)[:17]


def new_secret() -> str:
    """A random credential of 40 URL-safe characters."""
    return secrets.token_urlsafe(30)
