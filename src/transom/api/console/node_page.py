"""A managed node's page: its facts and ping status, its tags (edited through
AddTagsToResource and RemoveTagsFromResource, as the API's operations, so a refusal shows
the API's message), and the commands it ran most recently."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request

from transom.api.console.pages import PREFIX, caller_of
from transom.protocol.awsjson.invoke import invoke
from transom.services.container import Services

NODE_RESOURCE = "ManagedInstance"
RECENT_COMMANDS = 20


def node(services: Services, request: Request) -> dict[str, Any]:
    """The node (the API's InvalidInstanceId when it is not registered) and its
    RECENT_COMMANDS latest invocations, newest first."""
    instance_id = request.path_params["instance_id"]
    [view] = services.nodes.describe({"InstanceIds": [instance_id]})
    recent = services.commands.invocations(None, instance_id)[-RECENT_COMMANDS:]
    return {"view": view, "node": view.node, "recent": recent[::-1], "form": {}}


def add_tag(services: Services, request: Request, form: Mapping[str, str]) -> str:
    instance_id = request.path_params["instance_id"]
    tag = {"Key": form.get("key", "").strip(), "Value": form.get("value", "").strip()}
    params = {"ResourceType": NODE_RESOURCE, "ResourceId": instance_id, "Tags": [tag]}
    invoke(services, caller_of(request), "AddTagsToResource", params)
    return f"{PREFIX}/nodes/{instance_id}#tags-h"


def remove_tag(services: Services, request: Request, form: Mapping[str, str]) -> str:
    instance_id = request.path_params["instance_id"]
    params = {
        "ResourceType": NODE_RESOURCE,
        "ResourceId": instance_id,
        "TagKeys": [form.get("key", "")],
    }
    invoke(services, caller_of(request), "RemoveTagsFromResource", params)
    return f"{PREFIX}/nodes/{instance_id}#tags-h"
