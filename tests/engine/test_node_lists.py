"""The console's lists of nodes read only what they show: a page of the nodes list is that
page of `describe` (same nodes, ping statuses and tags) with the fleet's count, and the nodes
to pick from are every registered node with its name and ping status, as `describe` has
them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.engine.world import World
from tests.support.servers import BACKEND_PARAMS
from transom.services.nodes import NodeOption

pytestmark = pytest.mark.parametrize("fresh_db", BACKEND_PARAMS, indirect=True)


def test_a_page_of_nodes_and_the_options_are_what_describe_lists(world: World) -> None:
    quiet = [world.node(f"quiet-{n}", team=f"t{n % 2}") for n in range(3)]
    world.clock.advance(timedelta(minutes=10))  # the first three are ConnectionLost now
    heard = [world.node(f"heard-{n}", team="t1", zone="a") for n in range(4)]
    world.services.nodes.deregister(quiet[1])
    nodes = world.services.nodes
    every = nodes.describe({})
    assert [v.node.instance_id for v in every] == [quiet[0], quiet[2], *heard]
    assert {v.ping_status for v in every} == {"Online", "ConnectionLost"}

    assert nodes.page(0, 4) == (every[:4], 6)
    assert nodes.page(4, 4) == (every[4:], 6)
    assert nodes.page(8, 4) == ([], 6)
    assert nodes.options() == [
        NodeOption(v.node.instance_id, v.node.name or v.node.facts.computer_name, v.ping_status)
        for v in every
    ]
