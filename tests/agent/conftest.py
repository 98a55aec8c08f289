"""Fixtures for tests with real agent processes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.agents import AgentProcess
from tests.support.nodes import activation
from tests.support.servers import ServerProcess


@pytest.fixture
def fleet(
    ssm: Any, server: ServerProcess, tmp_path: Path
) -> Iterator[tuple[str, list[AgentProcess]]]:
    """Three running agents whose nodes carry tag Fleet=<marker> and Index=0..2."""
    marker = f"e2e-{uuid.uuid4().hex[:8]}"
    activation_id, code = activation(ssm, Tags=[{"Key": "Fleet", "Value": marker}])
    agents = [
        AgentProcess.register(server.endpoint, activation_id, code, tmp_path / f"agent{i}")
        for i in range(3)
    ]
    for i, agent in enumerate(agents):
        ssm.add_tags_to_resource(
            ResourceType="ManagedInstance",
            ResourceId=agent.instance_id,
            Tags=[{"Key": "Index", "Value": str(i)}],
        )
        agent.start()
    yield marker, agents
    for agent in agents:
        agent.kill()
