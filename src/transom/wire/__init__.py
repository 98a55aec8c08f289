"""The agent <-> server protocol (version 2): message types shared by both sides.

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

Versions: an agent says the version it speaks in each poll (`PollRequest.wire_version`,
absent: 1). Version 2 added the steps of a work item (`WorkItem.steps`, each a plugin with
its own precondition and controls) and each step's result (`InvocationResult.plugins`); every
field it added may be absent, so each side reads the other's version-1 messages. A
version-1 agent runs one script per item: the server hands it work of one step without a
precondition as before, and ends any other invocation for it as Failed, saying to upgrade the
agent (it never runs part of a document).

The server reads a registration of at most 8 KiB and a poll or results body of at most
`MAX_REPORT_BYTES`, room for one result at the largest an agent sends (413 beyond); an agent
splits its results over several requests so each fits (`report_batches`).
"""

from transom.wire.messages import (
    AUTH_SCHEME,
    MAX_OUTPUT_CHARS,
    MAX_PLUGINS,
    MAX_REPORT_BYTES,
    MAX_WAIT_SECONDS,
    WIRE_VERSION,
    AgentError,
    InvocationResult,
    PlatformFacts,
    PluginResult,
    PluginStatus,
    PollRequest,
    PollResponse,
    RegisterRequest,
    RegisterResponse,
    ResultsRequest,
    ResultsResponse,
    ResultStatus,
    StepItem,
    WorkItem,
    node_authorization,
    parse_node_authorization,
    report_batches,
)

__all__ = [
    "AUTH_SCHEME",
    "MAX_OUTPUT_CHARS",
    "MAX_PLUGINS",
    "MAX_REPORT_BYTES",
    "MAX_WAIT_SECONDS",
    "WIRE_VERSION",
    "AgentError",
    "InvocationResult",
    "PlatformFacts",
    "PluginResult",
    "PluginStatus",
    "PollRequest",
    "PollResponse",
    "RegisterRequest",
    "RegisterResponse",
    "ResultStatus",
    "ResultsRequest",
    "ResultsResponse",
    "StepItem",
    "WorkItem",
    "node_authorization",
    "parse_node_authorization",
    "report_batches",
]
