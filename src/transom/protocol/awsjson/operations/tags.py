"""AddTagsToResource, RemoveTagsFromResource, ListTagsForResource."""

from __future__ import annotations

from transom.protocol.awsjson.operations.windows import tags_from
from transom.protocol.awsjson.registry import Params, operation
from transom.services.container import Services


@operation("AddTagsToResource")
def add(services: Services, params: Params) -> Params:
    services.tags.add(params["ResourceType"], params["ResourceId"], tags_from(params))
    return {}


@operation("RemoveTagsFromResource")
def remove(services: Services, params: Params) -> Params:
    services.tags.remove(params["ResourceType"], params["ResourceId"], params["TagKeys"])
    return {}


@operation("ListTagsForResource")
def list_tags(services: Services, params: Params) -> Params:
    tags = services.tags.list(params["ResourceType"], params["ResourceId"])
    return {"TagList": [{"Key": t.key, "Value": t.value} for t in tags]}
