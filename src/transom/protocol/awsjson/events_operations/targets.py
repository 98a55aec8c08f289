"""PutTargets, RemoveTargets, ListTargetsByRule."""

from __future__ import annotations

from typing import Any

from transom.domain.rules import InputTransformer, RuleTarget, TargetFailure
from transom.protocol.awsjson.events_operations.common import (
    DEFAULT_LIMIT,
    events_operation,
    on_default_bus,
)
from transom.protocol.awsjson.members import decode_token, encode_token
from transom.protocol.awsjson.registry import Params
from transom.services.container import Services

SUPPORTED = frozenset({"Id", "Arn", "Input", "InputPath", "InputTransformer"})
"""The members of a target Transom keeps; a target with any other is refused."""


def _target(member: Params) -> RuleTarget:
    transformer = member.get("InputTransformer")
    return RuleTarget(
        target_id=member["Id"],
        arn=member["Arn"],
        input=member.get("Input"),
        input_path=member.get("InputPath"),
        input_transformer=None
        if transformer is None
        else InputTransformer(
            dict(transformer.get("InputPathsMap", {})), transformer["InputTemplate"]
        ),
    )


def _unsupported(member: Params) -> TargetFailure | None:
    extra = sorted(
        key for key, value in member.items() if key not in SUPPORTED and value is not None
    )
    if not extra:
        return None
    return TargetFailure(
        member["Id"],
        "ValidationException",
        f"Transom does not support {', '.join(extra)} on a target: its targets are topics, "
        f"given by {', '.join(sorted(SUPPORTED))}.",
    )


def _failure_members(failures: list[TargetFailure]) -> Params:
    return {
        "FailedEntryCount": len(failures),
        "FailedEntries": [
            {"TargetId": f.target_id, "ErrorCode": f.code, "ErrorMessage": f.message}
            for f in failures
        ],
    }


def target_members(target: RuleTarget) -> Params:
    members: dict[str, Any] = {"Id": target.target_id, "Arn": target.arn}
    if target.input is not None:
        members["Input"] = target.input
    if target.input_path is not None:
        members["InputPath"] = target.input_path
    if target.input_transformer is not None:
        members["InputTransformer"] = {
            "InputPathsMap": dict(target.input_transformer.paths),
            "InputTemplate": target.input_transformer.template,
        }
    return members


@events_operation("PutTargets")
def put_targets(services: Services, params: Params) -> Params:
    on_default_bus(services, params)
    refused = {f.target_id: f for m in params["Targets"] if (f := _unsupported(m)) is not None}
    kept = [_target(m) for m in params["Targets"] if m["Id"] not in refused]
    failed = {f.target_id: f for f in services.rules.put_targets(params["Rule"], kept)}
    failed.update(refused)
    order = [m["Id"] for m in params["Targets"]]
    return _failure_members([failed[i] for i in order if i in failed])


@events_operation("RemoveTargets")
def remove_targets(services: Services, params: Params) -> Params:
    on_default_bus(services, params)
    services.rules.remove_targets(params["Rule"], params["Ids"])
    return _failure_members([])


@events_operation("ListTargetsByRule")
def list_targets_by_rule(services: Services, params: Params) -> Params:
    on_default_bus(services, params)
    targets = services.rules.targets(params["Rule"])
    start = decode_token("ListTargetsByRule", params) or 0
    end = start + params.get("Limit", DEFAULT_LIMIT)
    result: Params = {"Targets": [target_members(t) for t in targets[start:end]]}
    token = encode_token("ListTargetsByRule", end if end < len(targets) else None)
    if token is not None:
        result["NextToken"] = token
    return result
