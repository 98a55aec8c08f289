"""Every registered operation is classified as a change or a read for the audit trail, and
what a record keeps of a request has its secrets redacted."""

from __future__ import annotations

from typing import Any

from transom.protocol.audit import CHANGES, READS, AuditedCall, Caller, audited, kept_parameters
from transom.protocol.awsjson.apis import APIS
from transom.protocol.query.operations import OPERATIONS as SNS_OPERATIONS

REST = {
    "GetCommandOutput",
    "StartWindowExecution",
    "GetEvents",
    "ListDeliveries",
    "GetAuditRecords",
}


def _registered() -> dict[str, set[str]]:
    found = {api.signing_name: set(api.handlers) for api in APIS}
    return found | {"sns": set(SNS_OPERATIONS), "rest": REST}


def test_every_registered_operation_is_either_a_change_or_a_read() -> None:
    for api, operations in _registered().items():
        changes, reads = CHANGES.get(api, frozenset()), READS.get(api, frozenset())
        assert changes & reads == set(), api
        assert sorted(operations - changes - reads) == [], f"{api}: not classified"
        assert sorted((changes | reads) - operations) == [], f"{api}: not registered"


def test_a_change_is_audited_whatever_its_outcome_and_a_read_only_when_refused() -> None:
    assert audited("ssm", "SendCommand", None)
    assert audited("ssm", "SendCommand", "ValidationException")
    assert not audited("ssm", "DescribeMaintenanceWindows", None)
    assert not audited("ssm", "DescribeMaintenanceWindows", "ValidationException")
    assert audited("ssm", "DescribeMaintenanceWindows", "AccessDeniedException")
    assert audited(None, None, "InvalidSignatureException")
    assert audited("sns", "ListTopics", "SignatureDoesNotMatch")


def _kept(api: str, operation: str, params: Any) -> Any:
    return kept_parameters(AuditedCall(Caller(None, ""), api, operation, "Success", params))


def test_sensitive_members_of_the_model_and_our_secrets_are_redacted() -> None:
    kept = _kept(
        "ssm",
        "SendCommand",
        {
            "DocumentName": "AWS-RunShellScript",
            "InstanceIds": ["mi-0123456789abcdef0"],
            "Parameters": {"commands": ["echo hunter2"]},
            "Unknown": "x",
        },
    )
    assert kept == {
        "DocumentName": "AWS-RunShellScript",
        "InstanceIds": ["mi-0123456789abcdef0"],
        "Parameters": "***",
        "Unknown": "***",
    }
    assert _kept("ssm", "CreateMaintenanceWindow", {"Name": "n", "Description": "d"}) == {
        "Name": "n",
        "Description": "***",
    }
    assert _kept("sns", "Subscribe", {"TopicArn": "t", "Endpoint": "https://u:p@h/"}) == {
        "TopicArn": "t",
        "Endpoint": "***",
    }
    assert _kept("ssm", "CreateMaintenanceWindow", {"Name": ["not", "a", "string"]}) == {
        "Name": "***"
    }
