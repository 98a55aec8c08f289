"""Secrets given to a command without putting them on its command line, where every local
user sees them (`ps`, /proc/PID/cmdline)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click


def read_secret(what: str, file: Path | None, env: str, given: str | None, flag: str) -> str:
    """The secret named `what`: from `file` ("-" is standard input), else from the
    environment variable `env`, else from `given` (the old command-line form `flag`, with a
    warning), else from standard input (prompted for, unechoed, on a terminal). Surrounding
    whitespace is dropped; an empty secret is a usage error."""
    if file is not None:
        text = sys.stdin.read() if str(file) == "-" else _read(file, what)
    elif os.environ.get(env):
        text = os.environ[env]
    elif given is not None:
        click.echo(
            f"warning: {flag} puts the {what} on the command line, where other users of this "
            f"machine can read it; give it on standard input, in a file or in ${env} instead",
            err=True,
        )
        text = given
    elif sys.stdin.isatty():
        text = click.prompt(what.capitalize(), hide_input=True, err=True)
    else:
        text = sys.stdin.read()
    secret = text.strip()
    if not secret:
        raise click.UsageError(f"no {what} given (standard input, a file, or ${env})")
    return secret


def _read(file: Path, what: str) -> str:
    try:
        return file.read_text()
    except OSError as exc:
        raise click.UsageError(f"cannot read the {what} from {file}: {exc.strerror}") from exc
