"""Command documents as Transom keeps them: a document and its numbered versions, the two
built-in AWS documents (SPEC.md §e.6), and SSM's rules on names, sizes and counts.

A document of one's own is owned by the account (`Owner` is the realm's account id) and
starts at version 1, which is also its default; each update with new content adds the next
version (at most `MAX_VERSIONS`); the default moves only when asked. The built-ins are
owned by Amazon, have one version and cannot be changed or deleted.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from transom.domain.document_content import DocumentContent, DocumentFormat, parse
from transom.domain.errors import MaxDocumentSizeExceededError, ValidationError

MAX_CONTENT_BYTES = 64 * 1024
MAX_VERSIONS = 1000
RESERVED_PREFIXES = ("aws", "amazon", "amzn")
"""Name prefixes (in any case) SSM keeps for its own documents."""
COMMAND = "Command"
"""The only document type Transom runs."""
AMAZON = "Amazon"
"""The owner of the built-in documents."""
LATEST = "$LATEST"
DEFAULT = "$DEFAULT"


@dataclass(frozen=True)
class DocumentVersion:
    """One version of a document: its content as given, in its format."""

    name: str
    version: int
    content: str
    document_format: DocumentFormat
    created_date: datetime
    version_name: str | None = None

    @property
    def hash(self) -> str:
        """The SHA-256 of the content, in hex (SSM's `Sha256` hash type)."""
        return hashlib.sha256(self.content.encode()).hexdigest()

    @property
    def parsed(self) -> DocumentContent:
        return parse_cached(self.content, self.document_format)


@dataclass(frozen=True)
class Document:
    """A document: its versions are `DocumentVersion`s, 1 to `latest_version`. `owner` is
    None for the account's own documents, `AMAZON` for the built-ins."""

    name: str
    document_type: str
    default_version: int
    latest_version: int
    created_date: datetime
    target_type: str | None = None
    owner: str | None = None


@functools.lru_cache(maxsize=256)
def parse_cached(content: str, document_format: DocumentFormat) -> DocumentContent:
    """`parse`, remembering recent contents (a stored version never changes)."""
    return parse(content, document_format)


def check_size(content: str) -> None:
    size = len(content.encode())
    if size > MAX_CONTENT_BYTES:
        raise MaxDocumentSizeExceededError(
            f"The content is {size} bytes; a document may hold at most {MAX_CONTENT_BYTES}."
        )


def check_name(name: str) -> None:
    """Refuse a name SSM keeps for its own documents."""
    for prefix in RESERVED_PREFIXES:
        if name.lower().startswith(prefix):
            raise ValidationError(
                f"Document name {name} starts with {name[: len(prefix)]}: the prefixes "
                f"{', '.join(RESERVED_PREFIXES)} (in any case) are reserved for AWS documents."
            )


_EXECUTION_TIMEOUT_PATTERN = (
    r"([1-9][0-9]{0,4})|(1[0-6][0-9]{4})|(17[0-1][0-9]{3})|(172[0-7][0-9]{2})|(172800)"
)
_BUILT_IN_DATE = datetime(2017, 1, 1, tzinfo=UTC)


_SCRIPT_DOCUMENT = """{
  "schemaVersion": "1.2",
  "description": "Run a SHELL script or specify the commands to run.",
  "parameters": {
    "commands": {
      "type": "StringList",
      "description": "(Required) The commands to run.",
      "minItems": 1,
      "displayType": "textarea"
    },
    "workingDirectory": {
      "type": "String",
      "default": "",
      "description": "(Optional) The path to the working directory on your instance.",
      "maxChars": 4096
    },
    "executionTimeout": {
      "type": "String",
      "default": "3600",
      "description": "(Optional) The time in seconds for a command to complete before it is \
considered to have failed. Default is 3600 (1 hour). Maximum is 172800 (48 hours).",
      "allowedPattern": "PATTERN"
    }
  },
  "runtimeConfig": {
    "PLUGIN": {
      "properties": [
        {
          "id": "0.PLUGIN",
          "runCommand": "{{ commands }}",
          "workingDirectory": "{{ workingDirectory }}",
          "timeoutSeconds": "{{ executionTimeout }}"
        }
      ]
    }
  }
}
"""
"""The content of AWS-RunShellScript and AWS-RunPowerShellScript (SPEC.md §e.6)."""


def _script_document(name: str, plugin: str, shell: str) -> tuple[Document, DocumentVersion]:
    text = (
        _SCRIPT_DOCUMENT.replace("SHELL", shell)
        .replace("PLUGIN", plugin)
        .replace("PATTERN", _EXECUTION_TIMEOUT_PATTERN)
    )
    return (
        Document(name, COMMAND, 1, 1, _BUILT_IN_DATE, owner=AMAZON),
        DocumentVersion(name, 1, text, DocumentFormat.JSON, _BUILT_IN_DATE),
    )


BUILT_IN = {
    d.name: (d, v)
    for d, v in (
        _script_document("AWS-RunShellScript", "aws:runShellScript", "shell"),
        _script_document("AWS-RunPowerShellScript", "aws:runPowerShellScript", "PowerShell"),
    )
}
"""The built-in documents by name, each with its only version."""
