"""Whether this server can serve: the database answers, and its schema is at the revision this
code speaks (a replica of another version, or a database migrated by a newer one, is not)."""

from __future__ import annotations

import logging

from transom.store.port import Store

log = logging.getLogger(__name__)


class Readiness:
    def __init__(self, store: Store) -> None:
        self._store = store

    def problem(self) -> str | None:
        """None when ready; else why not, in a sentence without secrets (the database's
        error is logged, its first line only)."""
        try:
            found, expected = self._store.schema_revisions()
        except Exception as exc:
            first_line = str(exc).strip().partition("\n")[0]
            log.warning("not ready: the database does not answer: %s", first_line)
            return "the database does not answer"
        if found != expected:
            return (
                f"the database schema is at revision {found or '(none)'}, "
                f"this server speaks revision {expected}"
            )
        return None
