"""The built-in command documents (SPEC.md §e.6) and their parameter schemas."""

from __future__ import annotations

import re
from dataclasses import dataclass

EXECUTION_TIMEOUT_PATTERN = (
    r"([1-9][0-9]{0,4})|(1[0-6][0-9]{4})|(17[0-1][0-9]{3})|(172[0-7][0-9]{2})|(172800)"
)


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str  # String | StringList
    description: str
    default: str | None = None  # None: required
    allowed_pattern: str | None = None
    max_chars: int | None = None

    def matches(self, value: str) -> bool:
        return self.allowed_pattern is None or re.fullmatch(self.allowed_pattern, value) is not None


@dataclass(frozen=True)
class Document:
    name: str
    description: str
    plugin_name: str
    platform_types: tuple[str, ...]
    parameters: tuple[Parameter, ...]


def _script_document(name: str, plugin: str, platforms: tuple[str, ...], shell: str) -> Document:
    return Document(
        name=name,
        description=f"Run a {shell} script or specify the commands to run.",
        plugin_name=plugin,
        platform_types=platforms,
        parameters=(
            Parameter("commands", "StringList", "(Required) The commands to run."),
            Parameter(
                "workingDirectory",
                "String",
                "(Optional) The path to the working directory on your instance.",
                default="",
                max_chars=4096,
            ),
            Parameter(
                "executionTimeout",
                "String",
                "(Optional) The time in seconds for a command to complete before it is "
                "considered to have failed. Default is 3600 (1 hour). "
                "Maximum is 172800 (48 hours).",
                default="3600",
                allowed_pattern=EXECUTION_TIMEOUT_PATTERN,
            ),
        ),
    )


BUILT_IN = {
    d.name: d
    for d in (
        _script_document("AWS-RunShellScript", "aws:runShellScript", ("Linux", "MacOS"), "shell"),
        _script_document(
            "AWS-RunPowerShellScript",
            "aws:runPowerShellScript",
            ("Windows", "Linux"),
            "PowerShell",
        ),
    )
}
