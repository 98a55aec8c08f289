"""The result spool: what this agent accepted and what it has not yet had acknowledged.

`accepted/<command-id>.json` holds a work item from the moment the agent takes it until its
final result is written; `results/<command-id>.json` holds a final result until the server
acknowledges it. Files are written atomically, so a crash at any point leaves either the
item or its result, never half of one; a command id in either place is never run again.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path

from transom.agent.state import write_private
from transom.wire import InvocationResult, ResultStatus, WorkItem

ABANDONED = (
    "The agent stopped (it was killed or crashed) while this command ran, so its result is "
    "unknown; it was not run again."
)


class Spool:
    def __init__(self, root: Path) -> None:
        self._accepted = root / "accepted"
        self._results = root / "results"
        for folder in (self._accepted, self._results):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)

    def knows(self, command_id: str) -> bool:
        """Whether the command was taken before (running, or its result not acknowledged)."""
        name = f"{command_id}.json"
        return (self._accepted / name).exists() or (self._results / name).exists()

    def accept(self, item: WorkItem) -> None:
        write_private(self._accepted / f"{item.command_id}.json", json.dumps(asdict(item)))

    def finish(self, result: InvocationResult) -> None:
        """Keep the final result until acknowledged; the item is done."""
        write_private(self._results / f"{result.command_id}.json", json.dumps(result.to_json()))
        (self._accepted / f"{result.command_id}.json").unlink(missing_ok=True)

    def unacknowledged(self) -> list[InvocationResult]:
        """Final results not yet acknowledged, oldest first."""
        files = sorted(self._results.glob("*.json"), key=lambda p: p.stat().st_mtime)
        return [InvocationResult.from_json(json.loads(p.read_text())) for p in files]

    def acknowledge(self, command_ids: list[str]) -> None:
        for command_id in command_ids:
            (self._results / f"{command_id}.json").unlink(missing_ok=True)

    def recover(self) -> list[InvocationResult]:
        """Turn items a previous run accepted but never finished into Failed results (they
        may have run partly, so they are not run again); return them."""
        recovered = []
        for path in sorted(self._accepted.glob("*.json")):
            item = WorkItem.from_json(json.loads(path.read_text()))
            result = InvocationResult(
                command_id=item.command_id,
                lease=item.lease,
                status=ResultStatus.FAILED,
                response_code=-1,
                stdout="",
                stderr=ABANDONED,
                started_at=path.stat().st_mtime,
                finished_at=time.time(),
            )
            self.finish(result)
            recovered.append(result)
        return recovered
