"""Schema migrations with alembic, applied at start-up by whoever opens the store first.

A database whose schema revision this Transom does not know was written by a newer Transom:
opening it raises `UnknownRevision` and changes nothing (an older Transom cannot know what the
newer schema means, nor migrate it back).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

_MIGRATION_LOCK = 0x7472616E  # "tran": serialises replicas migrating the same database
_SCRIPTS = Path(__file__).parent / "migrations"


class UnknownRevision(Exception):
    """The database's schema revision is not one of this Transom's: a newer one wrote it."""

    def __init__(self, revision: str, subject: str = "the database") -> None:
        known = revisions()
        super().__init__(
            f"{subject} is at schema revision {revision}, which this Transom does not know "
            f"(it knows {known[0]} to {known[-1]}): a newer Transom wrote it. Upgrade Transom "
            f"to a version that knows revision {revision}; nothing was changed."
        )
        self.revision = revision


@cache
def revisions() -> tuple[str, ...]:
    """Every schema revision this Transom knows, oldest first; the last is the head."""
    scripts = ScriptDirectory(str(_SCRIPTS))
    return tuple(reversed([script.revision for script in scripts.walk_revisions()]))


def head_revision() -> str:
    """The newest revision of the migrations: the schema this code speaks."""
    return revisions()[-1]


def current_revision(conn: Connection) -> str | None:
    """The revision the database's schema is at; None when it has none (never migrated)."""
    return MigrationContext.configure(conn).get_current_revision()


def check_known(revision: str | None, subject: str = "the database") -> None:
    """Raise `UnknownRevision` about `subject` unless `revision` is known (None: an empty
    database)."""
    if revision is not None and revision not in revisions():
        raise UnknownRevision(revision, subject)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to `revision` (default: the newest); a no-op when it is there
    already. `UnknownRevision`, with nothing changed, when it is at a revision newer than
    this Transom knows."""
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
        check_known(current_revision(conn))
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
