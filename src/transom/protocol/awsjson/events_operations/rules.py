"""PutRule, DescribeRule, ListRules, DeleteRule, EnableRule, DisableRule, TestEventPattern."""

from __future__ import annotations

from transom.domain.errors import ValidationError
from transom.domain.rules import DEFAULT_BUS, Rule, RuleState
from transom.protocol.awsjson.events_operations.common import (
    DEFAULT_LIMIT,
    events_operation,
    on_default_bus,
    tags_from,
)
from transom.protocol.awsjson.members import decode_token, encode_token
from transom.protocol.awsjson.registry import Params
from transom.services.container import Services


def rule_members(services: Services, rule: Rule) -> Params:
    members: Params = {
        "Name": rule.name,
        "Arn": services.rules.rule_arn(rule.name),
        "EventPattern": rule.event_pattern,
        "State": rule.state.value,
        "EventBusName": DEFAULT_BUS,
    }
    if rule.description is not None:
        members["Description"] = rule.description
    return members


def _state(params: Params) -> RuleState:
    state = params.get("State", RuleState.ENABLED.value)
    if state not in RuleState.__members__.values():
        raise ValidationError(
            f"State {state} is not supported: Transom has no CloudTrail events; use "
            f"{' or '.join(RuleState)}."
        )
    return RuleState(state)


@events_operation("PutRule")
def put_rule(services: Services, params: Params) -> Params:
    on_default_bus(services, params)
    if "ScheduleExpression" in params:
        raise ValidationError(
            "ScheduleExpression is not supported: Transom's schedules are maintenance windows "
            "(CreateMaintenanceWindow). Give an EventPattern to route events instead."
        )
    if "RoleArn" in params:
        raise ValidationError(
            "RoleArn is not supported: Transom's rules need no role to reach their topics. "
            "Leave it out."
        )
    if "EventPattern" not in params:
        raise ValidationError("Parameter(s) EventPattern or ScheduleExpression must be specified.")
    arn = services.rules.put(
        params["Name"],
        params["EventPattern"],
        _state(params),
        params.get("Description"),
        tags_from(params),
    )
    return {"RuleArn": arn}


@events_operation("DescribeRule")
def describe_rule(services: Services, params: Params) -> Params:
    on_default_bus(services, params)
    rule = services.rules.describe(params["Name"])
    return {**rule_members(services, rule), "CreatedBy": services.rules.account_id}


@events_operation("ListRules")
def list_rules(services: Services, params: Params) -> Params:
    on_default_bus(services, params)
    after = decode_token("ListRules", params)
    page = services.rules.list_rules(
        params.get("NamePrefix"), after, params.get("Limit", DEFAULT_LIMIT)
    )
    result: Params = {"Rules": [rule_members(services, rule) for rule in page.items]}
    token = encode_token("ListRules", page.next_after)
    if token is not None:
        result["NextToken"] = token
    return result


@events_operation("DeleteRule")
def delete_rule(services: Services, params: Params) -> Params:
    on_default_bus(services, params)
    services.rules.delete(params["Name"], bool(params.get("Force")))
    return {}


@events_operation("EnableRule")
def enable_rule(services: Services, params: Params) -> Params:
    on_default_bus(services, params)
    services.rules.set_state(params["Name"], RuleState.ENABLED)
    return {}


@events_operation("DisableRule")
def disable_rule(services: Services, params: Params) -> Params:
    on_default_bus(services, params)
    services.rules.set_state(params["Name"], RuleState.DISABLED)
    return {}


@events_operation("TestEventPattern")
def test_event_pattern(services: Services, params: Params) -> Params:
    return {"Result": services.rules.test_pattern(params["EventPattern"], params["Event"])}
