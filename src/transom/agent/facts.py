"""What this host says about itself (`wire.PlatformFacts`)."""

from __future__ import annotations

import platform
import socket
import sys
from pathlib import Path

from transom import __version__
from transom.wire import PlatformFacts

_OS_RELEASE = Path("/etc/os-release")


def _primary_ip() -> str:
    """The address this host would use to reach others; no packet is sent."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: connect() on UDP only picks a route
            return str(probe.getsockname()[0])
    except OSError:
        return "127.0.0.1"


def _os_release(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return values
    for line in lines:
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value.strip().strip('"')
    return values


def platform_type() -> str:
    return {"linux": "Linux", "darwin": "MacOS", "win32": "Windows"}.get(sys.platform, "Linux")


def collect_facts(os_release: Path = _OS_RELEASE) -> PlatformFacts:
    release = _os_release(os_release)
    return PlatformFacts(
        computer_name=socket.gethostname(),
        ip_address=_primary_ip(),
        platform_type=platform_type(),
        platform_name=release.get("NAME", platform.system()),
        platform_version=release.get("VERSION_ID", platform.release()),
        agent_version=__version__,
    )
