"""The AWS JSON endpoint routes by the `X-Amz-Target` prefix: each API's requests are signed
for its service, validated against its model and handled by its handlers."""

from __future__ import annotations

import json
from typing import Any, cast

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from transom.domain.clock import SystemClock
from transom.domain.events import Realm
from transom.protocol.awsjson.apis import APIS, AwsJsonApi
from transom.protocol.awsjson.endpoint import AwsJsonEndpoint
from transom.protocol.awsjson.registry import Params
from transom.services.authorization import Arns, Authorizer
from transom.services.container import Services
from transom.services.keys import KeyService
from transom.store.port import Store

KEY, SECRET = "AKIATRANSOMTEST00001", "s" * 40


class _Keys:
    def secret_for(self, access_key_id: str) -> str | None:
        return SECRET if access_key_id == KEY else None

    def policy_for(self, _access_key_id: str) -> None:
        return None


class _Services:
    keys = _Keys()
    authorizer = Authorizer(cast(Store, None), cast(KeyService, keys), Realm())


def _anything(_arns: Arns, _params: Params) -> list[str]:
    return ["*"]


def _answer(api: str) -> Any:
    def handler(_services: Services, params: Params) -> Params:
        return {"api": api, "params": params}

    return handler


ENDPOINT = AwsJsonEndpoint(
    cast(Services, _Services()),
    SystemClock(),
    (
        AwsJsonApi(
            "AmazonSSM",
            "ssm",
            "ssm",
            {"DescribeMaintenanceWindows": _answer("ssm")},
            {"DescribeMaintenanceWindows": _anything},
        ),
        AwsJsonApi(
            "AWSEvents",
            "events",
            "events",
            {"ListRules": _answer("events")},
            {"ListRules": _anything},
        ),
    ),
)


def call(target: str, body: dict[str, Any], service: str) -> tuple[int, dict[str, Any]]:
    data = json.dumps(body).encode()
    headers = {"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"}
    request = AWSRequest(method="POST", url="http://testserver/", data=data, headers=headers)
    SigV4Auth(Credentials(KEY, SECRET), service, "us-east-1").add_auth(request)
    pairs = [("host", "testserver"), *request.headers.items()]
    reply = ENDPOINT.handle("POST", "/", "", pairs, data)
    return reply.status, json.loads(reply.body)


def test_each_prefix_reaches_its_own_api() -> None:
    assert call("AmazonSSM.DescribeMaintenanceWindows", {}, "ssm") == (
        200,
        {"api": "ssm", "params": {}},
    )
    assert call("AWSEvents.ListRules", {"Limit": 5}, "events") == (
        200,
        {"api": "events", "params": {"Limit": 5}},
    )


@pytest.mark.parametrize(
    ("target", "service"),
    [
        ("AWSFoo.ListRules", "ssm"),
        ("AWSFoo.ListRules", "events"),
        ("ListRules", "events"),
        ("", "ssm"),
        ("AWSEvents.DescribeMaintenanceWindows", "events"),
        ("AmazonSSM.ListRules", "ssm"),
        ("AWSEvents.", "events"),
    ],
)
def test_a_target_no_api_has_is_an_unknown_operation(target: str, service: str) -> None:
    status, body = call(target, {}, service)
    assert (status, body["__type"]) == (400, "UnknownOperationException")
    assert "AmazonSSM.<Operation> or AWSEvents.<Operation>" in body["message"]


def test_an_operation_of_the_model_transom_lacks_is_named() -> None:
    status, body = call("AWSEvents.CreateEventBus", {"Name": "b"}, "events")
    assert (status, body["__type"]) == (400, "UnknownOperationException")
    assert "does not implement CreateEventBus" in body["message"]


@pytest.mark.parametrize(
    ("target", "service", "expected"),
    [
        ("AWSEvents.ListRules", "ssm", "'events'"),
        ("AmazonSSM.DescribeMaintenanceWindows", "events", "'ssm'"),
        ("AWSFoo.ListRules", "s3", "'events' or 'ssm'"),
    ],
)
def test_a_request_must_be_signed_for_the_api_it_calls(
    target: str, service: str, expected: str
) -> None:
    status, body = call(target, {}, service)
    assert (status, body["__type"]) == (400, "InvalidSignatureException")
    assert f"Credential should be scoped to correct service: {expected}." == body["message"]


def test_requests_are_validated_against_their_own_apis_model() -> None:
    status, body = call("AWSEvents.ListRules", {"Limit": 0}, "events")
    assert (status, body["__type"]) == (400, "ValidationException")
    assert "at 'limit'" in body["message"]
    # MaxResults is no member of ListRules, so it is ignored there.
    assert call("AWSEvents.ListRules", {"MaxResults": 0}, "events")[0] == 200


def test_the_endpoint_serves_ssm_and_eventbridge() -> None:
    assert [(a.target_prefix, a.model, a.signing_name) for a in APIS] == [
        ("AmazonSSM", "ssm", "ssm"),
        ("AWSEvents", "events", "events"),
    ]
    assert {"PutRule", "PutTargets", "TestEventPattern"} <= set(APIS[1].handlers)
    assert "CreateMaintenanceWindow" in APIS[0].handlers
