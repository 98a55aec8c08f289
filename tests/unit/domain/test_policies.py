"""Policy documents: the evaluation rule of `transom.domain.policies` as a table of cases, and
the errors of documents that do not parse."""

from __future__ import annotations

import json
from typing import Any

import pytest

from transom.domain.errors import MalformedPolicyDocumentError
from transom.domain.policies import Decision, denial, parse_policy

A, N, E = Decision.ALLOW, Decision.IMPLICIT_DENY, Decision.EXPLICIT_DENY
WINDOW = "arn:aws:ssm:us-east-1:000000000000:maintenancewindow/mw-0123456789abcdef0"
DOCUMENT = "arn:aws:ssm:us-east-1:000000000000:document/AWS-RunShellScript"
NODE = "arn:aws:ssm:us-east-1:000000000000:managed-instance/mi-0123456789abcdef0"


def allow(action: Any, resource: Any = "*", **more: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **more}


def deny(action: Any, resource: Any = "*", **more: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **more}


STAGING = {"StringEquals": {"ssm:resourceTag/Env": "staging"}}

CASES: list[tuple[str, Any, str, str, dict[str, str], Decision]] = [
    # (what, Statement, action, resource, the resource's tags, decision)
    ("no statement matches: implicit deny", allow("ssm:Get*"), "ssm:DeleteDocument", "*", {}, N),
    ("an exact action", allow("ssm:GetDocument"), "ssm:GetDocument", DOCUMENT, {}, A),
    ("actions ignore case", allow("SSM:getdocument"), "ssm:GetDocument", DOCUMENT, {}, A),
    ("a * wildcard", allow("ssm:Describe*"), "ssm:DescribeMaintenanceWindows", "*", {}, A),
    ("a ? wildcard", allow("ssm:?etDocument"), "ssm:GetDocument", DOCUMENT, {}, A),
    ("? is one character", allow("ssm:?Document"), "ssm:GetDocument", DOCUMENT, {}, N),
    ("another service", allow("ssm:*"), "sns:ListTopics", "*", {}, N),
    ("every action", allow("*"), "events:PutRule", "*", {}, A),
    ("a list of actions", allow(["ssm:List*", "ssm:Get*"]), "ssm:ListCommands", "*", {}, A),
    ("NotAction: the others", {"Effect": "Allow", "NotAction": "ssm:Delete*", "Resource": "*"},
     "ssm:GetDocument", DOCUMENT, {}, A),
    ("NotAction: not those", {"Effect": "Allow", "NotAction": "ssm:Delete*", "Resource": "*"},
     "ssm:DeleteDocument", DOCUMENT, {}, N),
    ("a resource ARN", allow("ssm:*", WINDOW), "ssm:GetMaintenanceWindow", WINDOW, {}, A),
    ("another resource", allow("ssm:*", DOCUMENT), "ssm:GetMaintenanceWindow", WINDOW, {}, N),
    ("an ARN wildcard", allow("ssm:*", "arn:aws:ssm:*:*:maintenancewindow/*"),
     "ssm:GetMaintenanceWindow", WINDOW, {}, A),
    ("resources keep case", allow("ssm:*", DOCUMENT.lower()), "ssm:GetDocument", DOCUMENT, {}, N),
    ("an ARN pattern is not *", allow("ssm:*", "arn:aws:ssm:*"), "ssm:ListDocuments", "*", {}, N),
    ("StringEquals holds", allow("ssm:*", "*", Condition=STAGING),
     "ssm:GetMaintenanceWindow", WINDOW, {"Env": "staging"}, A),
    ("StringEquals: another value", allow("ssm:*", "*", Condition=STAGING),
     "ssm:GetMaintenanceWindow", WINDOW, {"Env": "production"}, N),
    ("StringEquals: no such tag", allow("ssm:*", "*", Condition=STAGING),
     "ssm:GetMaintenanceWindow", WINDOW, {}, N),
    ("StringEquals: values case", allow("ssm:*", "*", Condition=STAGING),
     "ssm:GetMaintenanceWindow", WINDOW, {"Env": "Staging"}, N),
    ("StringEquals: any of the values",
     allow("ssm:*", "*", Condition={"StringEquals": {"ssm:resourceTag/Env": ["dev", "staging"]}}),
     "ssm:GetMaintenanceWindow", WINDOW, {"Env": "staging"}, A),
    ("aws:ResourceTag, any case of the prefix",
     allow("sns:*", "*", Condition={"StringEquals": {"AWS:resourcetag/Env": "staging"}}),
     "sns:Publish", "arn:aws:sns:us-east-1:000000000000:t", {"Env": "staging"}, A),
    ("StringLike", allow("ssm:*", "*", Condition={"StringLike": {"ssm:resourceTag/Env": "stag*"}}),
     "ssm:GetMaintenanceWindow", WINDOW, {"Env": "staging-2"}, A),
    ("StringLike: no match",
     allow("ssm:*", "*", Condition={"StringLike": {"ssm:resourceTag/Env": "stag*"}}),
     "ssm:GetMaintenanceWindow", WINDOW, {"Env": "prod"}, N),
    ("StringNotEquals: another value",
     allow("ssm:*", "*", Condition={"StringNotEquals": {"ssm:resourceTag/Env": "prod"}}),
     "ssm:GetMaintenanceWindow", WINDOW, {"Env": "staging"}, A),
    ("StringNotEquals: an absent tag holds",
     allow("ssm:*", "*", Condition={"StringNotEquals": {"ssm:resourceTag/Env": "prod"}}),
     "ssm:GetMaintenanceWindow", WINDOW, {}, A),
    ("StringNotEquals: that value",
     allow("ssm:*", "*", Condition={"StringNotEquals": {"ssm:resourceTag/Env": "prod"}}),
     "ssm:GetMaintenanceWindow", WINDOW, {"Env": "prod"}, N),
    ("every condition must hold",
     allow("ssm:*", "*", Condition={"StringEquals": {"ssm:resourceTag/Env": "staging",
                                                     "ssm:resourceTag/Team": "db"}}),
     "ssm:GetMaintenanceWindow", WINDOW, {"Env": "staging", "Team": "web"}, N),
    ("a matching Deny", deny("ssm:*"), "ssm:GetDocument", DOCUMENT, {}, E),
    ("Deny wins over Allow", [allow("ssm:*"), deny("ssm:Delete*")],
     "ssm:DeleteMaintenanceWindow", WINDOW, {}, E),
    ("Deny wins in any order", [deny("ssm:Delete*"), allow("ssm:*")],
     "ssm:DeleteMaintenanceWindow", WINDOW, {}, E),
    ("a Deny elsewhere leaves the Allow", [allow("ssm:*"), deny("ssm:Delete*")],
     "ssm:GetMaintenanceWindow", WINDOW, {}, A),
    ("a conditional Deny that holds", [allow("ssm:*"), deny("ssm:*", "*", Condition={
        "StringEquals": {"ssm:resourceTag/Env": "prod"}})],
     "ssm:UpdateMaintenanceWindow", WINDOW, {"Env": "prod"}, E),
    ("a conditional Deny that does not hold", [allow("ssm:*"), deny("ssm:*", "*", Condition={
        "StringEquals": {"ssm:resourceTag/Env": "prod"}})],
     "ssm:UpdateMaintenanceWindow", WINDOW, {"Env": "staging"}, A),
]  # fmt: skip


@pytest.mark.parametrize(
    ("statement", "action", "resource", "tags", "decision"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_the_decision_follows_the_rule(
    statement: Any, action: str, resource: str, tags: dict[str, str], decision: Decision
) -> None:
    policy = parse_policy(json.dumps({"Version": "2012-10-17", "Statement": statement}))
    assert policy.decide(action, resource, lambda: tags) is decision


def test_tags_are_read_only_when_a_matching_statement_has_a_condition() -> None:
    policy = parse_policy(
        json.dumps(
            {
                "Statement": [
                    allow("ssm:Get*"),
                    allow("ssm:Update*", "*", Condition=STAGING),
                ]
            }
        )
    )
    reads: list[int] = []

    def tags() -> dict[str, str]:
        reads.append(1)
        return {"Env": "staging"}

    assert policy.decide("ssm:GetMaintenanceWindow", WINDOW, tags) is A
    assert reads == []
    assert policy.decide("ssm:UpdateMaintenanceWindow", WINDOW, tags) is A
    assert policy.decide("ssm:UpdateMaintenanceWindow", WINDOW, tags) is A
    assert reads == [1, 1]


MALFORMED = [
    ("not JSON", "{", "is not JSON"),
    ("not an object", "[]", "must be a JSON object"),
    ("a bad version", '{"Version": "2020-01-01", "Statement": []}', "Version '2020-01-01'"),
    ("no statement", '{"Version": "2012-10-17"}', "it has no Statement"),
    ("an empty statement list", '{"Statement": []}', "Statement is empty"),
    ("an unknown member", '{"Statement": [], "Foo": 1}', "unknown member 'Foo'"),
    ("a statement not an object", '{"Statement": ["x"]}', "statement 1 is not a JSON object"),
    ("an unknown Effect", json.dumps({"Statement": {"Effect": "Maybe", "Action": "ssm:*",
     "Resource": "*"}}), "Effect must be Allow or Deny, not 'Maybe'"),
    ("no Action", json.dumps({"Statement": {"Effect": "Allow", "Resource": "*"}}),
     "needs exactly one of Action and NotAction"),
    ("both Action and NotAction", json.dumps({"Statement": {"Effect": "Allow", "Action": "a:b",
     "NotAction": "a:c", "Resource": "*"}}), "needs exactly one of Action and NotAction"),
    ("an Action of the wrong type", json.dumps({"Statement": allow(3)}),
     "Action must be a non-empty string"),
    ("an empty Action list", json.dumps({"Statement": allow([])}),
     "Action must be a non-empty string"),
    ("an action without a service", json.dumps({"Statement": allow("GetDocument")}),
     "'GetDocument' is not an action"),
    ("no Resource", json.dumps({"Statement": {"Effect": "Allow", "Action": "ssm:*"}}),
     "has no Resource"),
    ("a Resource not an ARN", json.dumps({"Statement": allow("ssm:*", "mw-1")}),
     "Resource 'mw-1' is neither"),
    ("a Principal", json.dumps({"Statement": allow("ssm:*", Principal="*")}),
     "has 'Principal', which Transom does not take"),
    ("an unknown operator", json.dumps({"Statement": allow("ssm:*", Condition={
     "NumericEquals": {"ssm:resourceTag/N": "1"}})}), "operator 'NumericEquals'"),
    ("an unknown condition key", json.dumps({"Statement": allow("ssm:*", Condition={
     "StringEquals": {"aws:SourceIp": "1.2.3.4"}})}), "condition key 'aws:SourceIp'"),
    ("a Condition not an object", json.dumps({"Statement": allow("ssm:*", Condition=[])}),
     "Condition must be an object"),
    ("too large", json.dumps({"Statement": allow(["ssm:GetDocument"] * 500)}),
     "characters besides whitespace; at most 6144"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "message"), [case[1:] for case in MALFORMED], ids=[case[0] for case in MALFORMED]
)
def test_a_malformed_document_is_refused_saying_why(text: str, message: str) -> None:
    with pytest.raises(MalformedPolicyDocumentError) as refused:
        parse_policy(text)
    assert message in refused.value.message


def test_a_single_statement_object_and_a_string_action_are_taken() -> None:
    policy = parse_policy('{"Statement": {"Effect": "Allow", "Action": "ssm:*", "Resource": "*"}}')
    assert len(policy.statements) == 1


def test_denials_read_like_iam() -> None:
    who = "arn:aws:iam::000000000000:user/AKIAEXAMPLE"
    assert denial(who, "ssm:DeleteDocument", DOCUMENT, N) == (
        f"User: {who} is not authorized to perform: ssm:DeleteDocument on resource: "
        f"{DOCUMENT} because no identity-based policy allows the ssm:DeleteDocument action"
    )
    assert denial(who, "ssm:DeleteDocument", DOCUMENT, E).endswith(
        f"on resource: {DOCUMENT} with an explicit deny in an identity-based policy"
    )
