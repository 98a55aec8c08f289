"""The agent protocol's messages as JSON."""

from __future__ import annotations

import dataclasses
import json

from transom.wire import PollResponse, WorkItem


def test_a_poll_response_is_its_fields_as_json_and_reads_back_the_same() -> None:
    one, two = (f"00000000-0000-4000-8000-00000000000{n}" for n in (1, 2))
    work = [
        WorkItem(one, "lease-1", "AWS-RunShellScript", "aws:runShellScript", ["true"], "", 30),
        WorkItem(two, "lease-2", "AWS-RunShellScript", "aws:runShellScript", ["a", "b"], "/", 5),
    ]
    response = PollResponse(1700000000.5, work, ["c-3"], ["c-0"])
    text = json.dumps(response.to_json())
    assert json.loads(text) == dataclasses.asdict(response)
    assert PollResponse.from_json(json.loads(text)) == response
    assert PollResponse(1.0).to_json() == {
        "server_time": 1.0,
        "work": [],
        "cancel": [],
        "acknowledged": [],
    }
