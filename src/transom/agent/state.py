"""The agent's state directory: its registration (0600 file in a 0700 directory) and spool."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

REGISTRATION_FILE = "registration.json"


class NotRegisteredError(Exception):
    """The state directory holds no registration."""


@dataclass(frozen=True)
class Registration:
    server: str
    instance_id: str
    secret: str
    ca_file: str = ""
    """The CA certificates (PEM) the server's certificate is verified against; "": the
    system's."""
    insecure_http: bool = False
    """Plain http to another host was allowed at registration (`--insecure-http`)."""


def default_state_dir() -> Path:
    """$TRANSOM_AGENT_STATE_DIR, else /var/lib/transom-agent for root, else the user's
    $XDG_STATE_HOME/transom-agent (~/.local/state/transom-agent)."""
    configured = os.environ.get("TRANSOM_AGENT_STATE_DIR")
    if configured:
        return Path(configured)
    if os.geteuid() == 0:
        return Path("/var/lib/transom-agent")
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "transom-agent"


def write_private(path: Path, data: str) -> None:
    """Write `data` to `path` atomically (temp file + rename), readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)


def save_registration(state_dir: Path, registration: Registration) -> None:
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    state_dir.chmod(0o700)
    write_private(state_dir / REGISTRATION_FILE, json.dumps(asdict(registration)))


def load_registration(state_dir: Path) -> Registration:
    path = state_dir / REGISTRATION_FILE
    try:
        data = json.loads(path.read_text())
        return Registration(
            str(data["server"]),
            str(data["instance_id"]),
            str(data["secret"]),
            str(data.get("ca_file", "")),
            data.get("insecure_http") is True,
        )
    except FileNotFoundError:
        raise NotRegisteredError(
            f"this host is not registered (no {path}); run 'transom agent register "
            "--server URL --code CODE --id ID' first"
        ) from None
    except (ValueError, KeyError, TypeError) as exc:
        raise NotRegisteredError(
            f"{path} is damaged ({exc!r}); register again with 'transom agent register --force'"
        ) from None
