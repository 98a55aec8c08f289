"""The console's reads, authorized as the API's: each page (and data endpoint) declares the
SSM operations whose answers it shows (`Reads`), and the signed-in key's policy is asked
about each before anything is read, on the resources `protocol.awsjson.access` says the
operation touches (the same table, the same ARNs, so the console and the API cannot drift).

- A page's own reads (`Reads.page`): the first refused refuses the page with the API's
  `AccessDeniedError` (IAM's words), and its loader is not called.
- A section's reads (`Reads.sections`, by the name of the context member it fills): a
  refused section is shown as refused (`refused[name]`: the message; the member, when the
  loader made it, replaced by the section's `blank`) while the rest of the page shows.
- Each refusal is recorded in the audit trail as the API records a refused call.

A key without a policy costs one dictionary lookup (`KeyService.policy_for`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from transom.api.edge import source_of
from transom.domain.errors import AccessDeniedError
from transom.domain.policies import Policy
from transom.protocol.audit import Caller, audit_call
from transom.protocol.awsjson.access import SSM
from transom.protocol.awsjson.registry import Params
from transom.services.container import Services

Load = Callable[[Services, Request], dict[str, Any]]
"""A page's loader (`pages.Load`): its template's context."""
Needs = Callable[[Request], Iterable[tuple[str, Params]]]
"""The SSM operations (and their requests' members) whose answers a request would show."""


def on_anything(*operations: str) -> Needs:
    """`operations` on no particular resource (Describe*/List* of everything)."""
    return lambda _request: [(operation, {}) for operation in operations]


def on_path(*operations: str, **members: str) -> Needs:
    """`operations` with each member taken from the path parameter named: `WindowId="window_id"`
    (a member whose value starts with `=` is that constant: `ResourceType="=ManagedInstance"`)."""

    def needs(request: Request) -> list[tuple[str, Params]]:
        params: Params = {
            member: name[1:] if name.startswith("=") else request.path_params[name]
            for member, name in members.items()
        }
        return [(operation, params) for operation in operations]

    return needs


def every(*needs: Needs) -> Needs:
    return lambda request: [need for one in needs for need in one(request)]


EVERY_WINDOW = "*"
"""The WindowId of a request about every window's executions (the ARN `maintenancewindow/*`)."""


@dataclass(frozen=True)
class Section:
    needs: Needs
    blank: Any = None
    """What the context holds instead of a refused section's member."""


@dataclass(frozen=True)
class Reads:
    page: Needs = field(default=on_anything())
    sections: Mapping[str, Section] = field(default_factory=dict)


NOTHING = Reads()
"""The reads of a page that shows nothing stored, or only the signed-in key's own."""


def check(
    services: Services, caller: Caller, needs: Iterable[tuple[str, Params]], policy: Policy
) -> None:
    """Refuse with the API's `AccessDeniedError`, recorded in the audit trail as the API
    records a refused call, unless `policy` (that of the caller's key) allows every one of
    `needs`."""
    authorizer = services.authorizer
    who = authorizer.arns.user(caller.access_key_id or "")
    for operation, params in needs:
        action, resources = f"ssm:{operation}", SSM[operation](authorizer.arns, params)

        def act(action: str = action, resources: list[str] = resources) -> Params:
            authorizer.check_policy(policy, who, action, resources)
            return {}

        audit_call(services, caller, "ssm", operation, params, act)


def allowed(
    services: Services, access_key_id: str, policy: Policy, needs: Iterable[tuple[str, Params]]
) -> bool:
    """Whether `policy` (the key's) allows every one of `needs`; asked, not recorded."""
    authorizer = services.authorizer
    who = authorizer.arns.user(access_key_id)
    try:
        for operation, params in needs:
            resources = SSM[operation](authorizer.arns, params)
            authorizer.check_policy(policy, who, f"ssm:{operation}", resources)
    except AccessDeniedError:
        return False
    return True


def check_key(
    services: Services, access_key_id: str, request: Request, needs: Iterable[tuple[str, Params]]
) -> None:
    """`check` for the key `access_key_id` (not signed in: a feed's owner), calling from the
    client of `request`, whatever its policy (none: allowed, at the cost of one lookup)."""
    policy = services.keys.policy_for(access_key_id)
    if policy is not None:
        check(services, Caller(access_key_id, source_of(request.scope)), needs, policy)


def checked(load: Load, reads: Reads, nav: Mapping[str, Needs] | None = None) -> Load:
    """`load` for the signed-in key as its policy allows `reads`: its context with `refused`
    (the message of each refused section, by name) and `nav_hidden` (the paths of `nav`, the
    pages linked from every page, the key may not read)."""

    def checked_load(services: Services, request: Request) -> dict[str, Any]:
        key = request.state.session.access_key_id
        policy = services.keys.policy_for(key)
        if policy is None:
            return {**load(services, request), "refused": {}}
        caller = Caller(key, source_of(request.scope))
        check(services, caller, reads.page(request), policy)
        refused: dict[str, str] = {}
        for name, section in reads.sections.items():
            try:
                check(services, caller, section.needs(request), policy)
            except AccessDeniedError as denied:
                refused[name] = denied.message
        context = load(services, request)
        for name in refused.keys() & context.keys():
            context[name] = reads.sections[name].blank
        if nav is not None:
            context["nav_hidden"] = [
                path
                for path, needs in nav.items()
                if not allowed(services, key, policy, needs(request))
            ]
        return {**context, "refused": refused}

    return checked_load
