"""Message types of the agent protocol, with their JSON forms (see `transom.wire`)."""

from __future__ import annotations

import math
import re
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from enum import StrEnum
from typing import Any, Self, TypeGuard

AUTH_SCHEME = "TransomNode"
WIRE_VERSION = 2
"""The protocol version this side speaks (see `transom.wire`)."""
MAX_WAIT_SECONDS = 30.0
MAX_OUTPUT_CHARS = 8 * 1024 * 1024
"""Characters of each output stream a result carries; an agent cuts the rest (with a note of
less than `_NOTE_CHARS`)."""
_NOTE_CHARS = 1024
_RESULT_OVERHEAD_BYTES = 4 * 1024
MAX_PLUGINS = 100
"""The most steps a result reports (a document of 64 KiB has fewer)."""
MAX_PLUGIN_NAME = 100  # characters: a step's name in a document
_PLUGIN_OVERHEAD_BYTES = 1024  # a plugin's fields but its outputs, with its name at 6 bytes each
MAX_REPORT_BYTES = (
    2 * 6 * (MAX_OUTPUT_CHARS + _NOTE_CHARS)
    + 2 * _RESULT_OVERHEAD_BYTES
    + MAX_PLUGINS * _PLUGIN_OVERHEAD_BYTES
)
"""The largest poll or results body the server reads (~96 MiB): room for one result with both
streams at `MAX_OUTPUT_CHARS` (over all its plugins) and `MAX_PLUGINS` plugins, every character
JSON-encoded in the most bytes any takes (6, a control character as `\\u00XX`). An agent sends
more results than fit as several requests (`report_batches`)."""


class AgentError(Exception):
    """An error answer of the agent channel: `code` names it, `message` says what to do.

    Codes: InvalidRequest, InvalidActivation (unknown id, wrong code, or deleted),
    ActivationExpired, RegistrationLimitExceeded, InvalidNodeCredentials (unknown node,
    wrong secret, or deregistered node), RequestEntityTooLarge (413: the body passed the
    call's limit), InternalServerError (500: the server failed; try again later).
    """

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status

    def to_json(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message}


COMMAND_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
"""The form of the command ids a server issues (lowercase UUIDs)."""
_ID_CHARS = 128
"""The longest id, lease or activation code a message may carry."""
_FACT_CHARS = 1024
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
"""Characters no database column takes: NUL (PostgreSQL) and lone surrogates (not UTF-8)."""


def _text(where: str, value: object, max_chars: int) -> str:
    """`value` if it is a string of at most `max_chars` storable characters, else
    `AgentError` naming the field `where`."""
    if not isinstance(value, str) or len(value) > max_chars:
        raise AgentError(
            "InvalidRequest", f"{where} must be a string of at most {max_chars} characters"
        )
    if _UNSTORABLE.search(value):
        raise AgentError("InvalidRequest", f"{where} holds a NUL or a lone surrogate character")
    return value


def _output(value: str) -> str:
    """A command's output with its unstorable characters replaced by U+FFFD."""
    return _UNSTORABLE.sub("\ufffd", value) if _UNSTORABLE.search(value) else value


def _from_json(cls: type[Any], data: object) -> Any:
    """Build dataclass `cls` from a JSON object, refusing missing fields (a field with a
    default, added by a later version, may be missing: it takes its default)."""
    if not isinstance(data, dict):
        raise AgentError("InvalidRequest", f"{cls.__name__} must be a JSON object")
    values = {}
    for f in fields(cls):
        if f.name in data:
            values[f.name] = data[f.name]
        elif f.default is MISSING and f.default_factory is MISSING:
            raise AgentError("InvalidRequest", f"{cls.__name__}.{f.name} is missing")
    return cls(**values)


@dataclass(frozen=True)
class PlatformFacts:
    """What a node says about itself at registration and whenever it changes."""

    computer_name: str
    ip_address: str
    platform_type: str  # Linux | MacOS | Windows
    platform_name: str
    platform_version: str
    agent_version: str

    @classmethod
    def from_json(cls, data: object) -> Self:
        facts: Self = _from_json(cls, data)
        for name, value in asdict(facts).items():
            _text(f"PlatformFacts.{name}", value, _FACT_CHARS)
        return facts


@dataclass(frozen=True)
class RegisterRequest:
    activation_id: str
    activation_code: str
    facts: PlatformFacts

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: object) -> Self:
        request: Self = _from_json(cls, data)
        return cls(
            _text("RegisterRequest.activation_id", request.activation_id, _ID_CHARS),
            _text("RegisterRequest.activation_code", request.activation_code, _ID_CHARS),
            PlatformFacts.from_json(request.facts),
        )


@dataclass(frozen=True)
class RegisterResponse:
    """The node's identity and its secret; the server keeps only a hash of the secret."""

    instance_id: str
    secret: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: object) -> Self:
        response: Self = _from_json(cls, data)
        return response


@dataclass(frozen=True)
class PollRequest:
    """A long poll. `facts` is sent when they changed since the last poll, else None.
    `results` may carry invocation results as `ResultsRequest` does: they are applied first,
    and the answer lists those the agent may forget (a finished command's result then costs
    no request of its own)."""

    wait_seconds: float
    facts: PlatformFacts | None = None
    results: list[InvocationResult] = field(default_factory=list)
    wire_version: int = WIRE_VERSION
    """The protocol version the agent speaks: what work it can be given (absent: 1)."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: object) -> Self:
        if not isinstance(data, dict):
            raise AgentError("InvalidRequest", "PollRequest must be a JSON object")
        wait = data.get("wait_seconds")
        if not _is_number(wait) or not 0 <= wait <= 24 * 3600:
            raise AgentError(
                "InvalidRequest", "PollRequest.wait_seconds must be a number of seconds"
            )
        facts = data.get("facts")
        version = data.get("wire_version", 1)
        if type(version) is not int:
            raise AgentError("InvalidRequest", "PollRequest.wire_version must be an integer")
        return cls(
            float(wait),
            None if facts is None else PlatformFacts.from_json(facts),
            _results("PollRequest", data.get("results", [])),
            version,
        )


@dataclass(frozen=True)
class StepItem:
    """One step of a work item (version 2): run `commands` as one script with `plugin_name`.

    `platform_type` is the platform its precondition names ("" for none: a node of another
    platform type skips the step). After a step fails, `on_failure` says what comes next:
    "exit" skips the later steps, "successAndExit" too and the step counts as a success,
    "continue" runs them; `exit_on_success` skips them after a success. A `finally_step`
    (the last) runs even when an earlier step exited."""

    name: str
    plugin_name: str  # aws:runShellScript | aws:runPowerShellScript
    commands: list[str]
    working_directory: str
    execution_timeout: int  # seconds
    platform_type: str = ""
    on_failure: str = "continue"
    exit_on_success: bool = False
    finally_step: bool = False

    @classmethod
    def from_json(cls, data: object) -> Self:
        step: Self = _from_json(cls, data)
        return step


@dataclass(frozen=True)
class WorkItem:
    """One command invocation for this node: run its `steps` in order, each a plugin with
    its own result.

    The fields from `plugin_name` on are the first step, for agents of version 1 (which run
    only that); the server gives such an agent no work of more than one step, or with a
    precondition. An item without `steps` (from a server of version 1) is that one step.

    `lease` identifies this dispatch; results must carry it. The server sends an item again
    until the agent has reported it InProgress, so an agent must ignore a `command_id` it
    already knows (it runs each command at most once).
    """

    command_id: str
    lease: str
    document_name: str
    plugin_name: str  # aws:runShellScript | aws:runPowerShellScript
    commands: list[str]
    working_directory: str
    execution_timeout: int  # seconds
    steps: list[StepItem] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in _WORK_ITEM_FIELDS}
        data["steps"] = [asdict(step) for step in self.steps]
        return data

    @classmethod
    def from_json(cls, data: object) -> Self:
        item: Self = _from_json(cls, data)
        if not isinstance(item.steps, list):
            raise AgentError("InvalidRequest", "WorkItem.steps must be a list")
        steps = [StepItem.from_json(step) for step in item.steps] or [
            StepItem(
                item.plugin_name,
                item.plugin_name,
                item.commands,
                item.working_directory,
                item.execution_timeout,
            )
        ]
        return replace(item, steps=steps)


_WORK_ITEM_FIELDS = tuple(f.name for f in fields(WorkItem) if f.name != "steps")


@dataclass(frozen=True)
class PollResponse:
    """What the node should do now: commands to run, and command ids to cancel; and the
    command ids of the request's `results` that the agent may forget (see ResultsResponse)."""

    server_time: float
    work: list[WorkItem] = field(default_factory=list)
    cancel: list[str] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The JSON object, its lists shared with this response (`asdict` copies them deeply,
        a cost on every poll)."""
        return {
            "server_time": self.server_time,
            "work": [item.to_json() for item in self.work],
            "cancel": self.cancel,
            "acknowledged": self.acknowledged,
        }

    @classmethod
    def from_json(cls, data: object) -> Self:
        """The response, refusing work whose command id is not one a server issues (a UUID:
        the agent names files after it)."""
        if not isinstance(data, dict) or not _is_number(data.get("server_time")):
            raise AgentError("InvalidRequest", "PollResponse.server_time must be a number")
        work = [WorkItem.from_json(item) for item in data.get("work", [])]
        for item in work:
            if not isinstance(item.command_id, str) or not COMMAND_ID.fullmatch(item.command_id):
                raise AgentError("InvalidRequest", "WorkItem.command_id must be a UUID")
        return cls(
            float(data["server_time"]),
            work,
            [str(command_id) for command_id in data.get("cancel", [])],
            [str(command_id) for command_id in data.get("acknowledged", [])],
        )


class ResultStatus(StrEnum):
    """The state of an invocation on its node, as `InvocationResult.status` says it."""

    IN_PROGRESS = "InProgress"
    SUCCESS = "Success"
    FAILED = "Failed"
    TIMED_OUT = "TimedOut"
    CANCELLED = "Cancelled"


class PluginStatus(StrEnum):
    """How one step ended on the node (`PluginResult.status`)."""

    SUCCESS = "Success"
    FAILED = "Failed"
    TIMED_OUT = "TimedOut"
    CANCELLED = "Cancelled"
    SKIPPED = "Skipped"


@dataclass(frozen=True)
class PluginResult:
    """One step's end (version 2): its exit code (-1 when its script never ran, 0 when
    skipped) and outputs; a skipped step says why in `stdout`."""

    name: str
    status: PluginStatus
    response_code: int
    stdout: str
    stderr: str
    started_at: float | None
    finished_at: float | None

    @classmethod
    def from_json(cls, data: object) -> Self:
        plugin: Self = _from_json(cls, data)
        try:
            status = PluginStatus(plugin.status)
        except ValueError:
            allowed = ", ".join(PluginStatus)
            raise AgentError("InvalidRequest", f"status must be one of {allowed}") from None
        if not isinstance(plugin.name, str) or len(plugin.name) > MAX_PLUGIN_NAME:
            raise AgentError(
                "InvalidRequest", f"PluginResult.name must be a string of {MAX_PLUGIN_NAME} or less"
            )
        _check_result_types(plugin)
        return replace(
            plugin, status=status, stdout=_output(plugin.stdout), stderr=_output(plugin.stderr)
        )


@dataclass(frozen=True)
class InvocationResult:
    """The state of one invocation on the node. InProgress says the agent accepted the item
    (and `started_at` is set), the other statuses are final: `response_code` is the exit code
    (-1 when the script never ran), outputs are whole. TimedOut means the execution timeout
    killed the script.

    Version 2: a final result carries `plugins`, each step's own result in order; then its
    own `stdout` and `stderr` are empty (the server joins the steps'), and the outputs of
    all its plugins together keep within `MAX_OUTPUT_CHARS` a stream. A result without
    `plugins` (from an agent of version 1) is one plugin's.
    """

    command_id: str
    lease: str
    status: ResultStatus
    response_code: int
    stdout: str
    stderr: str
    started_at: float | None
    finished_at: float | None
    plugins: list[PluginResult] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: object) -> Self:
        result: Self = _from_json(cls, data)
        try:
            status = ResultStatus(result.status)
        except ValueError:
            allowed = ", ".join(ResultStatus)
            raise AgentError("InvalidRequest", f"status must be one of {allowed}") from None
        _check_result_types(result)
        if not isinstance(result.plugins, list) or len(result.plugins) > MAX_PLUGINS:
            raise AgentError(
                "InvalidRequest",
                f"InvocationResult.plugins must be a list of at most {MAX_PLUGINS}",
            )
        plugins = [PluginResult.from_json(p) for p in result.plugins]
        return replace(
            result,
            status=status,
            stdout=_output(result.stdout),
            stderr=_output(result.stderr),
            plugins=plugins,
        )

    def size_bound(self) -> int:
        """Bytes this result takes at most in a request body (see `MAX_REPORT_BYTES`)."""
        chars = len(self.stdout) + len(self.stderr)
        chars += sum(len(p.stdout) + len(p.stderr) for p in self.plugins)
        return 6 * chars + _RESULT_OVERHEAD_BYTES + _PLUGIN_OVERHEAD_BYTES * len(self.plugins)


_INT32 = (-(2**31), 2**31 - 1)
_EPOCH_SECONDS = (-62135596800, 253402300799)  # the years 1 to 9999


def _check_result_types(result: InvocationResult | PluginResult) -> None:
    """Refuse a result whose fields have the wrong JSON types or ranges."""
    kind = type(result).__name__
    if isinstance(result, InvocationResult):
        for name in ("command_id", "lease"):
            _text(f"{kind}.{name}", getattr(result, name), _ID_CHARS)
    for name in ("stdout", "stderr"):
        if not isinstance(getattr(result, name), str):
            raise AgentError("InvalidRequest", f"{kind}.{name} must be a string")
    code = result.response_code
    if type(code) is not int or not _INT32[0] <= code <= _INT32[1]:
        raise AgentError("InvalidRequest", f"{kind}.response_code must be a 32-bit integer")
    for name in ("started_at", "finished_at"):
        value = getattr(result, name)
        if value is None:
            continue
        if not _is_number(value) or not _EPOCH_SECONDS[0] <= value <= _EPOCH_SECONDS[1]:
            raise AgentError(
                "InvalidRequest",
                f"{kind}.{name} must be null or epoch seconds of the years 1 to 9999",
            )


def _is_number(value: object) -> TypeGuard[int | float]:
    """Whether `value` is a finite JSON number (not a boolean, NaN or infinity)."""
    return type(value) is int or (type(value) is float and math.isfinite(value))


MAX_RESULTS = MAX_REPORT_BYTES // _RESULT_OVERHEAD_BYTES
"""The most results one request carries (`report_batches` counts each as at least
`_RESULT_OVERHEAD_BYTES`)."""


def _results(message: str, data: object) -> list[InvocationResult]:
    if not isinstance(data, list) or len(data) > MAX_RESULTS:
        raise AgentError(
            "InvalidRequest", f"{message}.results must be a list of at most {MAX_RESULTS}"
        )
    return [InvocationResult.from_json(r) for r in data]


def report_batches(results: list[InvocationResult]) -> list[list[InvocationResult]]:
    """`results` in order, cut into runs that each fit one request (`MAX_REPORT_BYTES`)."""
    room = MAX_REPORT_BYTES - _RESULT_OVERHEAD_BYTES  # the rest is for the request's other fields
    batches: list[list[InvocationResult]] = []
    size = 0
    for result in results:
        bound = result.size_bound()
        if not batches or size + bound > room:
            batches.append([])
            size = 0
        batches[-1].append(result)
        size += bound
    return batches


@dataclass(frozen=True)
class ResultsRequest:
    """`POST /agent/v1/results`: invocation results, oldest first."""

    results: list[InvocationResult]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: object) -> Self:
        if not isinstance(data, dict):
            raise AgentError("InvalidRequest", "ResultsRequest must be a JSON object")
        return cls(_results("ResultsRequest", data.get("results")))


@dataclass(frozen=True)
class ResultsResponse:
    """The command ids whose results the server has stored for good (or no longer needs,
    e.g. a stale lease): the agent may drop them from its spool."""

    acknowledged: list[str]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: object) -> Self:
        response: Self = _from_json(cls, data)
        return response


def node_authorization(instance_id: str, secret: str) -> str:
    """The Authorization header value for a node's calls."""
    return f"{AUTH_SCHEME} {instance_id}:{secret}"


def parse_node_authorization(header: str | None) -> tuple[str, str]:
    """(instance_id, secret) from an Authorization header, or `AgentError` (401)."""
    scheme, _, credentials = (header or "").partition(" ")
    instance_id, _, secret = credentials.partition(":")
    if scheme != AUTH_SCHEME or not instance_id or not secret:
        raise AgentError(
            "InvalidNodeCredentials",
            f"send Authorization: {AUTH_SCHEME} <instance-id>:<secret> as issued at registration",
            401,
        )
    return instance_id, secret
