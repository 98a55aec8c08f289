"""The EventBridge API on the shared endpoint, through the real boto3 `events` client and the
real `aws events` CLI, on every backend."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.cli import AwsCli
from tests.support.servers import ServerProcess
from tests.support.signing import signed_post

ACCOUNT = "000000000000"
REGION = "us-east-1"
PATTERN = json.dumps({"source": ["aws.ssm"], "detail-type": ["Maintenance Window Execution"]})
FAILED = json.dumps({"source": ["aws.ssm"], "detail": {"status": ["FAILED"]}})


def topic(name: str = "alerts") -> str:
    return f"arn:aws:sns:{REGION}:{ACCOUNT}:{name}"


def rule_arn(name: str) -> str:
    return f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{name}"


def event(**detail: Any) -> str:
    return json.dumps(
        {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Maintenance Window Execution State-change Notification",
            "source": "aws.ssm",
            "account": ACCOUNT,
            "time": "2026-03-29T01:30:15Z",
            "region": REGION,
            "resources": [],
            "detail": detail,
        }
    )


@pytest.fixture
def name() -> str:
    """A rule name no other test uses (the server is shared)."""
    return f"rule-{uuid.uuid4().hex[:12]}"


def code_of(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def test_a_rule_is_put_described_listed_and_replaced(events: Any, name: str) -> None:
    arn = events.put_rule(
        Name=name,
        EventPattern=PATTERN,
        Description="window runs",
        Tags=[{"Key": "team", "Value": "ops"}],
    )["RuleArn"]
    assert arn == rule_arn(name)
    described = events.describe_rule(Name=name)
    assert {k: v for k, v in described.items() if k != "ResponseMetadata"} == {
        "Name": name,
        "Arn": arn,
        "EventPattern": PATTERN,
        "State": "ENABLED",
        "Description": "window runs",
        "EventBusName": "default",
        "CreatedBy": ACCOUNT,
    }
    listed = events.list_rules(NamePrefix=name)["Rules"]
    assert listed == [{k: v for k, v in described.items() if k in listed[0]}]
    assert set(listed[0]) == {"Name", "Arn", "EventPattern", "State", "Description", "EventBusName"}
    # PutRule on an existing name replaces it; what it leaves out is gone, its tags stay.
    events.put_rule(Name=name, EventPattern=FAILED, State="DISABLED", EventBusName="default")
    replaced = events.describe_rule(
        Name=name, EventBusName=f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default"
    )
    assert (replaced["EventPattern"], replaced["State"]) == (FAILED, "DISABLED")
    assert "Description" not in replaced
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [
        {"Key": "team", "Value": "ops"}
    ]


def test_rules_are_enabled_disabled_and_deleted(events: Any, name: str) -> None:
    events.put_rule(Name=name, EventPattern=PATTERN, State="DISABLED")
    events.enable_rule(Name=name)
    assert events.describe_rule(Name=name)["State"] == "ENABLED"
    events.disable_rule(Name=name)
    assert events.describe_rule(Name=name)["State"] == "DISABLED"
    events.delete_rule(Name=name)
    with pytest.raises(ClientError) as error:
        events.describe_rule(Name=name)
    assert code_of(error) == "ResourceNotFoundException"
    assert name in str(error.value)
    events.delete_rule(Name=name)  # deleting what is gone succeeds, as on AWS
    with pytest.raises(ClientError) as error:
        events.enable_rule(Name=name)
    assert code_of(error) == "ResourceNotFoundException"


def test_list_rules_pages_with_limit_and_next_token(events: Any, name: str) -> None:
    names = [f"{name}-{n}" for n in range(5)]
    for each in names:
        events.put_rule(Name=each, EventPattern=PATTERN)
    events.put_rule(Name=f"other-{name}", EventPattern=PATTERN)
    seen: list[str] = []
    kwargs: dict[str, str] = {}
    while True:
        page = events.list_rules(NamePrefix=f"{name}-", Limit=2, **kwargs)
        assert len(page["Rules"]) <= 2
        seen += [r["Name"] for r in page["Rules"]]
        if "NextToken" not in page:
            break
        kwargs = {"NextToken": page["NextToken"]}
    assert seen == names
    paginated = events.get_paginator("list_rules").paginate(
        NamePrefix=name, PaginationConfig={"PageSize": 3}
    )
    assert [r["Name"] for p in paginated for r in p["Rules"]] == names


def test_targets_are_put_listed_paged_and_removed(events: Any, name: str) -> None:
    events.put_rule(Name=name, EventPattern=PATTERN)
    targets = [
        {"Id": "whole", "Arn": topic()},
        {"Id": "fixed", "Arn": topic("pager"), "Input": '{"say": "a window failed"}'},
        {"Id": "part", "Arn": topic(), "InputPath": "$.detail"},
        {
            "Id": "shaped",
            "Arn": topic("chat.fifo"),
            "InputTransformer": {
                "InputPathsMap": {"status": "$.detail.status"},
                "InputTemplate": '"Window ended <status>"',
            },
        },
    ]
    answer = events.put_targets(Rule=name, Targets=targets)
    assert (answer["FailedEntryCount"], answer["FailedEntries"]) == (0, [])
    assert events.list_targets_by_rule(Rule=name)["Targets"] == targets
    pages = events.get_paginator("list_targets_by_rule").paginate(
        Rule=name, PaginationConfig={"PageSize": 3}
    )
    assert [len(p["Targets"]) for p in pages] == [3, 1]
    # The same Id replaces the target in place.
    events.put_targets(Rule=name, Targets=[{"Id": "fixed", "Arn": topic("other")}])
    listed = events.list_targets_by_rule(Rule=name)["Targets"]
    assert listed[1] == {"Id": "fixed", "Arn": topic("other")}
    answer = events.remove_targets(Rule=name, Ids=["fixed", "part", "never-there"])
    assert answer["FailedEntryCount"] == 0
    assert [t["Id"] for t in events.list_targets_by_rule(Rule=name)["Targets"]] == [
        "whole",
        "shaped",
    ]


def test_bad_targets_fail_one_by_one_and_the_good_ones_are_kept(events: Any, name: str) -> None:
    events.put_rule(Name=name, EventPattern=PATTERN)
    answer = events.put_targets(
        Rule=name,
        Targets=[
            {"Id": "ok", "Arn": topic()},
            {"Id": "queue", "Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:jobs"},
            {"Id": "elsewhere", "Arn": f"arn:aws:sns:eu-west-1:{ACCOUNT}:alerts"},
            {"Id": "role", "Arn": topic(), "RoleArn": "arn:aws:iam::000000000000:role/x"},
            {"Id": "both", "Arn": topic(), "Input": "{}", "InputPath": "$.detail"},
            {"Id": "notjson", "Arn": topic(), "Input": "{"},
            {"Id": "a b", "Arn": topic()},
        ],
    )
    assert answer["FailedEntryCount"] == 6
    failed = {e["TargetId"]: e for e in answer["FailedEntries"]}
    assert list(failed) == ["queue", "elsewhere", "role", "both", "notjson", "a b"]
    assert {e["ErrorCode"] for e in failed.values()} == {"ValidationException"}
    assert topic("TOPIC_NAME") in failed["queue"]["ErrorMessage"]
    assert "RoleArn" in failed["role"]["ErrorMessage"]
    assert "Only one of" in failed["both"]["ErrorMessage"]
    assert "JSON" in failed["notjson"]["ErrorMessage"]
    assert events.list_targets_by_rule(Rule=name)["Targets"] == [{"Id": "ok", "Arn": topic()}]


def test_a_rule_with_targets_is_deleted_only_when_forced(events: Any, name: str) -> None:
    events.put_rule(Name=name, EventPattern=PATTERN)
    events.put_targets(Rule=name, Targets=[{"Id": "t", "Arn": topic()}])
    with pytest.raises(ClientError) as error:
        events.delete_rule(Name=name)
    assert code_of(error) == "ValidationException"
    assert "targets" in str(error.value)
    events.describe_rule(Name=name)
    events.delete_rule(Name=name, Force=True)
    with pytest.raises(ClientError) as error:
        events.list_targets_by_rule(Rule=name)
    assert code_of(error) == "ResourceNotFoundException"


def test_a_rule_has_at_most_five_targets(events: Any, name: str) -> None:
    events.put_rule(Name=name, EventPattern=PATTERN)
    events.put_targets(Rule=name, Targets=[{"Id": f"t{n}", "Arn": topic()} for n in range(4)])
    with pytest.raises(ClientError) as error:
        events.put_targets(Rule=name, Targets=[{"Id": f"u{n}", "Arn": topic()} for n in range(2)])
    assert code_of(error) == "LimitExceededException"
    assert len(events.list_targets_by_rule(Rule=name)["Targets"]) == 4
    events.put_targets(
        Rule=name, Targets=[{"Id": "t0", "Arn": topic("b")}, {"Id": "u", "Arn": topic()}]
    )
    assert len(events.list_targets_by_rule(Rule=name)["Targets"]) == 5


def test_tags_on_rule_arns(events: Any, name: str) -> None:
    arn = events.put_rule(Name=name, EventPattern=PATTERN)["RuleArn"]
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == []
    events.tag_resource(
        ResourceARN=arn, Tags=[{"Key": "team", "Value": "ops"}, {"Key": "env", "Value": "prod"}]
    )
    events.tag_resource(ResourceARN=arn, Tags=[{"Key": "team", "Value": "web"}])
    events.untag_resource(ResourceARN=arn, TagKeys=["env", "absent"])
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [
        {"Key": "team", "Value": "web"}
    ]
    with pytest.raises(ClientError) as error:
        events.list_tags_for_resource(ResourceARN=rule_arn("no-such-rule"))
    assert code_of(error) == "ResourceNotFoundException"


def test_test_event_pattern_answers_whether_the_event_matches(events: Any) -> None:
    assert events.test_event_pattern(EventPattern=FAILED, Event=event(status="FAILED"))["Result"]
    assert not events.test_event_pattern(EventPattern=FAILED, Event=event(status="SUCCESS"))[
        "Result"
    ]
    with pytest.raises(ClientError) as error:
        events.test_event_pattern(EventPattern="{not json", Event=event())
    assert code_of(error) == "InvalidEventPatternException"


def test_schedule_expressions_and_other_buses_are_refused(events: Any, name: str) -> None:
    with pytest.raises(ClientError) as error:
        events.put_rule(Name=name, ScheduleExpression="rate(5 minutes)")
    assert code_of(error) == "ValidationException"
    assert "maintenance windows" in str(error.value)
    with pytest.raises(ClientError) as error:
        events.put_rule(Name=name, EventPattern=PATTERN, EventBusName="orders")
    assert code_of(error) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as error:
        events.describe_rule(Name=name)
    assert code_of(error) == "ResourceNotFoundException"


def test_a_request_signed_for_another_service_is_refused(server: ServerProcess) -> None:
    body = {"NamePrefix": "x"}
    as_ssm = signed_post(server.endpoint, "ListRules", body, target_prefix="AWSEvents")
    assert as_ssm.status_code == 400
    assert as_ssm.json()["__type"] == "InvalidSignatureException"
    assert "'events'" in as_ssm.json()["message"]
    ok = signed_post(
        server.endpoint, "ListRules", body, target_prefix="AWSEvents", service="events"
    )
    assert ok.status_code == 200
    as_events = signed_post(server.endpoint, "DescribeMaintenanceWindows", {}, service="events")
    assert as_events.status_code == 400


def test_the_aws_cli_manages_rules_and_targets(
    server: ServerProcess, tmp_path: Path, name: str
) -> None:
    aws = AwsCli(server.endpoint, tmp_path, "events")
    created = aws("put-rule", "--name", name, "--event-pattern", FAILED, "--state", "ENABLED")
    assert created["RuleArn"] == rule_arn(name)
    put = aws("put-targets", "--rule", name, "--targets", f"Id=alerts,Arn={topic()}")
    assert put == {"FailedEntryCount": 0, "FailedEntries": []}
    assert aws("list-targets-by-rule", "--rule", name)["Targets"] == [
        {"Id": "alerts", "Arn": topic()}
    ]
    assert aws("describe-rule", "--name", name)["EventPattern"] == FAILED
    result = aws("test-event-pattern", "--event-pattern", FAILED, "--event", event(status="FAILED"))
    assert result == {"Result": True}
    refused = aws.run("delete-rule", "--name", name)
    assert refused.returncode != 0
    assert "ValidationException" in refused.stderr
    aws("remove-targets", "--rule", name, "--ids", "alerts")
    aws("delete-rule", "--name", name)
    assert aws("list-rules", "--name-prefix", name)["Rules"] == []
