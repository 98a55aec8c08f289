"""TagResource, UntagResource, ListTagsForResource on rule ARNs."""

from __future__ import annotations

from transom.protocol.awsjson.events_operations.common import (
    events_operation,
    tag_members,
    tags_from,
)
from transom.protocol.awsjson.registry import Params
from transom.services.container import Services


@events_operation("TagResource")
def tag_resource(services: Services, params: Params) -> Params:
    services.rules.tag(params["ResourceARN"], tags_from(params))
    return {}


@events_operation("UntagResource")
def untag_resource(services: Services, params: Params) -> Params:
    services.rules.untag(params["ResourceARN"], params["TagKeys"])
    return {}


@events_operation("ListTagsForResource")
def list_tags_for_resource(services: Services, params: Params) -> Params:
    return {"Tags": tag_members(services.rules.tags(params["ResourceARN"]))}
