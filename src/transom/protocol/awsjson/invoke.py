"""Calling an API operation from inside the server (the web console's forms): the request is
validated against the model and handled exactly as the AWS JSON endpoint does once a
request is authenticated, so a form is refused with the message the API would answer; and
it is audited as the endpoint audits it, for the `caller` signed in."""

from __future__ import annotations

from transom.protocol.audit import Caller, audit_call
from transom.protocol.awsjson.apis import SSM
from transom.protocol.awsjson.registry import Params
from transom.protocol.awsjson.validation import validator
from transom.services.container import Services


def invoke(services: Services, caller: Caller, operation: str, params: Params) -> Params:
    """The SSM `operation`'s response members for `params` (wire names, decoded JSON values);
    raises what the endpoint would answer as an error (`ApiError`s)."""

    def act() -> Params:
        validator(SSM.model)(operation, params)
        return SSM.handlers[operation](services, params)

    return dict(audit_call(services, caller, "ssm", operation, params, act))
