"""`transom documents push FILE`: a runbook file becomes a document, and pushing it again
makes a new version only when its content changed."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

from tests.support.servers import ServerProcess, aws_cli_env, boto3_client

RUNBOOK = """\
schemaVersion: '2.2'
description: Clean up
parameters:
  days:
    type: Integer
    default: 7
mainSteps:
  - action: aws:runShellScript
    name: clean
    inputs:
      runCommand: ['find /tmp -mtime +{{ days }} -delete']
"""


def _push(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "transom", "documents", "push", *args],
        capture_output=True,
        text=True,
        env=aws_cli_env(tmp_path),
        timeout=60,
        check=False,
    )


def test_pushing_a_runbook_creates_it_then_versions_it_only_when_it_changed(
    server: ServerProcess, tmp_path: Path
) -> None:
    name = f"cleanup-{uuid.uuid4().hex[:8]}"
    file = tmp_path / "cleanup.yaml"
    file.write_text(RUNBOOK)
    where = ("--name", name, "--endpoint-url", server.endpoint)

    first = _push(tmp_path, str(file), *where)
    again = _push(tmp_path, str(file), *where)
    file.write_text(RUNBOOK.replace("Clean up", "Clean up old files"))
    changed = _push(tmp_path, str(file), *where)
    unchanged = _push(tmp_path, str(file), *where)

    assert [p.returncode for p in (first, again, changed, unchanged)] == [0, 0, 0, 0]
    assert first.stdout == f"created {name} version 1\n"
    assert again.stdout == f"{name} is up to date at version 1\n"
    assert changed.stdout == f"updated {name} to version 2 (the default is version 1)\n"
    assert unchanged.stdout == f"{name} is up to date at version 2\n"
    ssm = boto3_client(server.endpoint)
    versions = ssm.list_document_versions(Name=name)["DocumentVersions"]
    assert [(v["DocumentVersion"], v["DocumentFormat"]) for v in versions] == [
        ("1", "YAML"),
        ("2", "YAML"),
    ]
    latest = ssm.get_document(Name=name, DocumentVersion="$LATEST")["Content"]
    assert latest == file.read_text()


def test_a_json_file_is_named_by_its_stem_and_bad_content_is_refused(
    server: ServerProcess, tmp_path: Path
) -> None:
    name = f"json-{uuid.uuid4().hex[:8]}"
    file = tmp_path / f"{name}.json"
    file.write_text(json.dumps({"schemaVersion": "2.2", "mainSteps": []}))
    refused = _push(tmp_path, str(file), "--endpoint-url", server.endpoint)
    assert refused.returncode == 2
    assert refused.stderr.startswith("Error: InvalidDocumentContent: A schema 2.2 document")
    missing = _push(tmp_path, str(tmp_path / "nope.json"), "--endpoint-url", "http://x")
    assert missing.returncode == 2
    assert "cannot read" in missing.stderr
