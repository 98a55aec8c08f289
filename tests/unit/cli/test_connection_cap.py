"""When a request is refused for the server's connection cap."""

from __future__ import annotations

import pytest

from transom.cli.connections import refuses

CAP = 11_000


@pytest.mark.parametrize(
    ("connections", "in_flight", "refused"),
    [
        (10_000, 10_000, False),  # every agent polling
        (10_001, 11_500, False),  # answered polls' tasks not yet done as the next polls come
        (11_000, 21_999, False),
        (11_001, 0, True),  # past the cap of connections
        (10_000, 22_000, True),  # twice the cap in flight
    ],
)
def test_a_request_is_refused_past_the_connections_or_twice_them_in_flight(
    connections: int, in_flight: int, refused: bool
) -> None:
    assert refuses(connections, in_flight, CAP) is refused
