"""`transom backup FILE` and `transom restore FILE`: a data directory's SQLite database copied
to a file, consistent while servers run, and back into a data directory whose server is
stopped (`transom.store.sqlite_backup`). `cli/main.py` adds `--data-dir` and
`--database-url` to both, as to `transom keys`. A PostgreSQL database is backed up and
restored with pg_dump and pg_restore: given one, both commands print that recipe and exit 1.
Refusals and failures exit 1 with the reason on stderr; progress goes to stderr too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

PG_RECIPE = """\
transom {command} copies SQLite databases. Back up PostgreSQL with pg_dump, which copies one
consistent snapshot while servers run:
  pg_dump --format=custom --file transom.dump '{url}'
To restore, stop every server, create an empty database and load the dump into it:
  psql '{url}' --command 'CREATE DATABASE {restored}'
  pg_restore --no-owner --exit-on-error --single-transaction --dbname '{restored_url}' transom.dump
then start the servers with --database-url naming the restored database."""


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
def backup_command(file: Path, force: bool, data_dir: Path, database_url: str | None) -> None:
    """Copy the SQLite database to FILE (mode 0600), as it is at one instant, also while
    servers run and windows execute. FILE is written under a temporary name beside it and
    renamed when complete."""
    from transom.store.sqlite_backup import STEP_BYTES, back_up

    source = _sqlite_file("backup", data_dir, database_url)
    shown = 0

    def progress(copied: int, total: int) -> None:
        nonlocal shown
        tenths = copied * 10 // total
        if total > STEP_BYTES and tenths > shown:  # more than one step: a large database
            shown = tenths
            click.echo(f"backed up {tenths * 10}% of {_mib(total)}", err=True)

    with _reported("give --force to replace it"):
        revision = back_up(source, file, replace=force, progress=progress)
    click.echo(
        f"backed up {source} (schema revision {revision}, {_mib(file.stat().st_size)}) to {file}",
        err=True,
    )


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace the database the data directory has.")
def restore_command(file: Path, force: bool, data_dir: Path, database_url: str | None) -> None:
    """Make FILE, a backup from `transom backup`, the SQLite database of the data directory.
    Refused while a server runs on it. A backup of an older schema revision is migrated when a
    server next starts on it; one of a newer revision is refused (upgrade Transom)."""
    from transom.store.migrate import head_revision
    from transom.store.sqlite_backup import restore

    target = _sqlite_file("restore", data_dir, database_url)
    target.parent.mkdir(parents=True, exist_ok=True)
    with _reported(f"give --force to replace it with {file}"):
        revision = restore(file, target, replace=force)
    head = head_revision()
    later = "" if revision == head else f"; a server migrates it to {head} when it starts"
    click.echo(f"restored {file} to {target} (schema revision {revision}{later})", err=True)


@contextmanager
def _reported(exists: str) -> Iterator[None]:
    """Refusals and failures of a copy as errors (exit 1) on one line; `exists` follows the
    one saying that the destination exists."""
    from transom.store.sqlite_backup import BackupError, TargetExists

    try:
        yield
    except TargetExists as exc:
        raise click.ClickException(f"{exc}: {exists}") from exc
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:  # such as a directory that is not writable
        raise click.ClickException(f"{exc.strerror}: {exc.filename}") from exc


def _sqlite_file(command: str, data_dir: Path, database_url: str | None) -> Path:
    """The SQLite file the options name; for PostgreSQL, the pg_dump recipe as an error."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    if database_url is None:
        return data_dir / "transom.db"
    try:
        url = make_url(database_url)
    except ArgumentError as exc:
        raise click.BadParameter(str(exc), param_hint="--database-url") from exc
    if url.get_backend_name() in ("postgresql", "postgres"):
        raise click.ClickException(_pg_recipe(command, url))
    if url.get_backend_name() != "sqlite" or not url.database:
        raise click.BadParameter(
            "give a sqlite:///PATH or postgresql:// URL", param_hint="--database-url"
        )
    return Path(url.database)


def _pg_recipe(command: str, url: URL) -> str:
    """The recipe for the database at `url`, in libpq's spelling without the password (which
    libpq finds in PGPASSWORD or ~/.pgpass)."""
    from sqlalchemy.engine import URL

    restored = f"{url.database}_restored"
    plain = URL.create(
        "postgresql", url.username, None, url.host, url.port, url.database, url.query
    )
    return PG_RECIPE.format(
        command=command,
        url=plain.render_as_string(hide_password=False),
        restored=restored,
        restored_url=plain.set(database=restored).render_as_string(hide_password=False),
    )


def _mib(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MiB"
