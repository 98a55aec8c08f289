"""Every operation of every API says which resources it touches, so no handler runs without
its caller's policy being asked (`protocol.awsjson.access`, `protocol.query.access`)."""

from __future__ import annotations

import pytest

from transom.protocol.awsjson.apis import APIS, AwsJsonApi
from transom.protocol.query.access import SNS
from transom.protocol.query.operations import OPERATIONS


@pytest.mark.parametrize("api", APIS, ids=[api.signing_name for api in APIS])
def test_every_aws_json_operation_has_an_access_entry(api: AwsJsonApi) -> None:
    assert sorted(set(api.handlers) - set(api.access)) == []
    assert sorted(set(api.access) - set(api.handlers)) == []


def test_every_sns_operation_has_an_access_entry() -> None:
    assert sorted(set(OPERATIONS) - set(SNS)) == []
    assert sorted(set(SNS) - set(OPERATIONS)) == []
