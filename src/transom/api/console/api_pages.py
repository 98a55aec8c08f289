"""One page of a list read through the API's operation (such as ListCommands), as a console
page pages it: the `next` query parameter is the operation's NextToken."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from transom.api.console.pages import caller_of
from transom.protocol.awsjson.invoke import invoke
from transom.protocol.awsjson.registry import Params
from transom.services.container import Services


@dataclass(frozen=True)
class ApiPage:
    """The operation's answer (`items` from its list member) and the token of the next page;
    `paged` when this is not the first page."""

    items: list[Any]
    next_token: str | None
    paged: bool

    def context(self, name: str) -> dict[str, Any]:
        """The template's context for the page: the items under `name`, and the paging."""
        return {name: self.items, "next_token": self.next_token, "paged": self.paged}


def api_page(
    services: Services, request: Request, operation: str, member: str, size: int
) -> ApiPage:
    """The page of `operation`'s list `member` asked for, `size` to a page, read as the
    request's caller (so with its checks and its errors)."""
    params: Params = {"MaxResults": size}
    token = request.query_params.get("next")
    if token:
        params["NextToken"] = token
    answer = invoke(services, caller_of(request), operation, params)
    return ApiPage(answer[member], answer.get("NextToken"), bool(token))
