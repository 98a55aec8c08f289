"""Files of secrets made on first start and shared by every replica (the SNS signing key,
the metrics token, the master key, the keys of `transom up --tls`)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def read_or_create(path: Path, make: Callable[[], bytes]) -> bytes:
    """The content of `path`; when it does not exist, `make()`'s, written there first (mode
    0600). The file appears whole or not at all (written aside, then linked into place), so
    processes starting together, or one killed while writing, never leave or read a partial
    file: they all read the first one linked."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    made = make()
    fd, aside = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # 0600
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(made)
            file.flush()
            os.fsync(file.fileno())
        os.link(aside, path)
    except FileExistsError:
        return path.read_bytes()
    finally:
        os.unlink(aside)
    return made


def replace_private(path: Path, content: bytes) -> None:
    """Make `content` the content of `path` (mode 0600) atomically: written aside, synced,
    then renamed over it, so a reader sees the old file or the new one, never a part."""
    fd, aside = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # 0600
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        os.replace(aside, path)
    except BaseException:
        os.unlink(aside)
        raise
