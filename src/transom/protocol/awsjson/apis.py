"""The APIs the AWS JSON 1.1 endpoint serves, told apart by the prefix of `X-Amz-Target`.

Each is described by its target prefix, botocore's name for its model (which validates its
requests), the service its requests are signed for, and its handlers: each API's operations
package registers them under the model's name (`registry.operation(name, service)`); and the
resources each operation touches, which its caller's policy is asked about.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from transom.protocol.awsjson import access, events_operations, operations
from transom.protocol.awsjson.access import Touches
from transom.protocol.awsjson.registry import OPERATIONS, Handler


@dataclass(frozen=True)
class AwsJsonApi:
    target_prefix: str
    """`X-Amz-Target` is `<target_prefix>.<Operation>`."""
    model: str
    signing_name: str
    """The service a request's SigV4 credential scope must name."""
    handlers: Mapping[str, Handler]
    access: Mapping[str, Touches]
    """The resources each operation touches (`protocol.awsjson.access`)."""


SSM = AwsJsonApi("AmazonSSM", "ssm", "ssm", OPERATIONS[operations.SERVICE], access.SSM)
EVENTS = AwsJsonApi(
    "AWSEvents", "events", "events", OPERATIONS[events_operations.SERVICE], access.EVENTS
)
APIS = (SSM, EVENTS)
