"""The agent `transom up` runs for the machine it is on (imported lazily by `up`)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from transom.agent.facts import collect_facts
from transom.agent.state import (
    NotRegisteredError,
    Registration,
    load_registration,
    save_registration,
)
from transom.domain.nodes import NodeFacts
from transom.domain.windows import Tag
from transom.services.nodes import NodeService

LOCAL_TAG = Tag("transom:host", "local")
"""The tag `transom up` gives its own node, so `Key=tag:transom:host,Values=local` targets it."""


def ensure_registered(nodes: NodeService, state_dir: Path) -> str:
    """Register this machine once (in-process, no HTTP needed); its instance id."""
    try:
        return load_registration(state_dir).instance_id
    except NotRegisteredError:
        pass
    activation_id, code = nodes.create_activation(
        iam_role="transom-local",
        description="this machine, registered by transom up",
        default_instance_name=socket.gethostname(),
        tags=[LOCAL_TAG],
    )
    facts = collect_facts()
    instance_id, secret = nodes.register(activation_id, code, NodeFacts(**vars(facts)))
    nodes.delete_activation(activation_id)
    save_registration(state_dir, Registration("", instance_id, secret))
    return instance_id


def start_agent(
    state_dir: Path,
    server: str,
    umask: int,
    options: Sequence[str] = (),
    ca_file: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Point the local registration at `server` (whose certificate `ca_file` verifies, if
    given) and run the agent as a child process with `umask` (its commands create files as
    its caller's would; the server's is 077) and more `options` for `transom agent run`, such
    as the server's log settings, which
    stops by itself if this process dies (it watches its parent: portable, and needs no
    `preexec_fn`, which is unsafe in a process that already runs threads)."""
    registration = load_registration(state_dir)
    ca = "" if ca_file is None else str(ca_file.resolve())
    save_registration(state_dir, replace(registration, server=server, ca_file=ca))
    command = [sys.executable, "-m", "transom", "agent", "run", "--state-dir", str(state_dir)]
    return subprocess.Popen([*command, *options, "--parent-pid", str(os.getpid())], umask=umask)
