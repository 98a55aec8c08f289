"""The agent <-> server protocol (version 1): message types shared by both sides.

Standard library only, so the agent installs and starts light. JSON over HTTP under
`/agent/v1/`; field names are snake_case. Every call but `register` carries
`Authorization: TransomNode <instance_id>:<secret>` with the credentials `register` issued.
Errors are 4xx/5xx with a body `{"error": CODE, "message": TEXT}` (`AgentError`).

- `POST /agent/v1/register`  `RegisterRequest` -> `RegisterResponse`
- `POST /agent/v1/poll`      `PollRequest` -> `PollResponse`: the long poll. It is also the
  heartbeat: the server answers as soon as there is work or a cancellation for the node, at
  the latest after `wait_seconds` (capped at `MAX_WAIT_SECONDS`), and marks the node Online;
  an agent polls again at once. At most two polls of a node wait at once: a third makes the
  oldest answer at once (so a poll left behind by a broken connection holds nothing back). It
  may carry results (`PollRequest.results`), applied before the wait; the answer acknowledges
  them as `ResultsResponse` does.
- `POST /agent/v1/results`   `ResultsRequest` -> `ResultsResponse`: invocation progress and
  final results. An agent keeps each final result on disk until it is acknowledged, and
  sends it again after a restart or a lost answer; the server applies each once.

The server reads a registration of at most 8 KiB and a poll or results body of at most
`MAX_REPORT_BYTES`, room for one result at the largest an agent sends (413 beyond); an agent
splits its results over several requests so each fits (`report_batches`).
"""

from transom.wire.messages import (
    AUTH_SCHEME,
    MAX_OUTPUT_CHARS,
    MAX_REPORT_BYTES,
    MAX_WAIT_SECONDS,
    AgentError,
    InvocationResult,
    PlatformFacts,
    PollRequest,
    PollResponse,
    RegisterRequest,
    RegisterResponse,
    ResultsRequest,
    ResultsResponse,
    ResultStatus,
    WorkItem,
    node_authorization,
    parse_node_authorization,
    report_batches,
)

__all__ = [
    "AUTH_SCHEME",
    "MAX_OUTPUT_CHARS",
    "MAX_REPORT_BYTES",
    "MAX_WAIT_SECONDS",
    "AgentError",
    "InvocationResult",
    "PlatformFacts",
    "PollRequest",
    "PollResponse",
    "RegisterRequest",
    "RegisterResponse",
    "ResultStatus",
    "ResultsRequest",
    "ResultsResponse",
    "WorkItem",
    "node_authorization",
    "parse_node_authorization",
    "report_batches",
]
