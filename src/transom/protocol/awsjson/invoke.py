"""Calling an API operation once its request is authenticated and validated: the caller's
key is asked about what the request touches (`protocol.awsjson.access`), then the handler runs
acting for the key. The AWS JSON endpoint calls operations so, and so do the web console's
forms (`invoke`, with the signed-in key): a form is refused with the message the API would
answer, and audited as the endpoint audits a call."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from transom.domain.errors import AccessDeniedError
from transom.protocol.audit import Caller, audit_call
from transom.protocol.awsjson.access import Touches
from transom.protocol.awsjson.apis import SSM
from transom.protocol.awsjson.registry import Handler, Params
from transom.protocol.awsjson.validation import validator
from transom.services.container import Services


class Api(Protocol):
    @property
    def signing_name(self) -> str: ...
    @property
    def handlers(self) -> Mapping[str, Handler]: ...
    @property
    def access(self) -> Mapping[str, Touches]: ...


def authorized_call(
    services: Services, access_key_id: str, api: Api, operation: str, params: Params
) -> Params:
    """The operation's response members for a validated request; `AccessDeniedError` when the
    key's policy does not allow what it touches, and the handler's `ApiError`s."""
    authorizer = services.authorizer
    action = f"{api.signing_name}:{operation}"
    authorizer.check(access_key_id, action, api.access[operation](authorizer.arns, params))
    with authorizer.acting_for(access_key_id):
        return api.handlers[operation](services, params)


def invoke(services: Services, caller: Caller, operation: str, params: Params) -> Params:
    """The SSM `operation`'s response members for `params` (wire names, decoded JSON values),
    called for the signed-in `caller` and audited for it; raises what the endpoint would
    answer as an error (`ApiError`s)."""

    def act() -> Params:
        if caller.access_key_id is None:  # no signed-in key: nothing is allowed
            raise AccessDeniedError(f"Sign in to perform: ssm:{operation}")
        validator(SSM.model)(operation, params)
        return authorized_call(services, caller.access_key_id, SSM, operation, params)

    return dict(audit_call(services, caller, "ssm", operation, params, act))
