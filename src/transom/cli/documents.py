"""`transom documents`: Command documents on a running server, through its API, so that
runbooks can live as files (in git) and be pushed.

Credentials, profile and region are found as the `aws` CLI finds them. Exit codes: 0 done
(created, updated, or already up to date), 2 bad usage, an unreadable file, an unreachable
server or an API error (its message on stderr).
"""

from __future__ import annotations

from pathlib import Path

import click

from transom.cli import signed
from transom.cli.signed import Fatal, server_options

_YAML_SUFFIXES = (".yaml", ".yml")


@click.group()
def documents() -> None:
    """Work with Command documents on a Transom server."""


@documents.command("push")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--name", help="The document's name (default: the file's name without suffix).")
@server_options
def push(
    file: Path,
    name: str | None,
    endpoint_url: str | None,
    profile: str | None,
    region: str | None,
    ca_bundle: str | None,
) -> None:
    """Create the document FILE holds (JSON, or YAML for .yaml/.yml), or give it a new
    version when its content differs from the latest; print what happened."""
    try:
        content = file.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise Fatal(f"cannot read {file}: {exc}") from exc
    name = name or file.stem
    document_format = "YAML" if file.suffix.lower() in _YAML_SUFFIXES else "JSON"
    with signed.reported():
        session, region = signed.session(profile, region, ca_bundle)
        ssm = session.create_client(
            "ssm", endpoint_url=signed.endpoint(endpoint_url, session), region_name=region
        )
        try:
            latest = ssm.describe_document(Name=name, DocumentVersion="$LATEST")["Document"]
        except ssm.exceptions.InvalidDocument:
            ssm.create_document(
                Name=name, Content=content, DocumentType="Command", DocumentFormat=document_format
            )
            click.echo(f"created {name} version 1")
            return
        try:
            updated = ssm.update_document(
                Name=name,
                Content=content,
                DocumentFormat=document_format,
                DocumentVersion=latest["LatestVersion"],
            )["DocumentDescription"]
        except ssm.exceptions.DuplicateDocumentContent:
            click.echo(f"{name} is up to date at version {latest['LatestVersion']}")
            return
        click.echo(
            f"updated {name} to version {updated['DocumentVersion']} "
            f"(the default is version {updated['DefaultVersion']})"
        )
