"""The AWS JSON 1.1 pipeline for one request: route, authenticate, decode, validate,
authorize, handle.

One endpoint serves every API of `transom.protocol.awsjson.apis`, chosen by the prefix of
`X-Amz-Target` (`AmazonSSM.`, `AWSEvents.`): each request is verified for that API's signing
service and validated against that API's model. A target no API claims is authenticated (for
any of the signing services) before it is refused as an unknown operation.

Every call `transom.protocol.audit` audits is recorded in the audit trail once answered,
with the claimed access key and the `source` address the HTTP adapter gives.

`AwsJsonEndpoint.handle` never raises: every outcome is an HTTP status and a body, errors in
the AWS shape. It is synchronous and framework-free; the HTTP adapter runs it inline or in a
worker thread (`transom.api.edge.StoreCalls`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from transom.domain.audit import SUCCESS
from transom.domain.clock import Clock
from transom.domain.errors import (
    ClientError,
    UnknownOperationError,
)
from transom.protocol.audit import AuditedCall, Caller, audited, record
from transom.protocol.awsjson import framing, sigv4
from transom.protocol.awsjson.access import Touches
from transom.protocol.awsjson.apis import APIS, AwsJsonApi
from transom.protocol.awsjson.invoke import authorized_call
from transom.protocol.awsjson.model import operation_names
from transom.protocol.awsjson.registry import Handler
from transom.protocol.awsjson.validation import RequestValidator, validator
from transom.services.container import Services


class UnsupportedMediaTypeError(ClientError):
    code = "UnsupportedMediaTypeException"
    status = 415


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    api: str | None = None
    """The signing name of the API `X-Amz-Target` names (`ssm`, `events`), if any."""
    operation: str | None = None
    """The operation it names, when that API's model has it."""
    error: str | None = None
    """The error code of an error reply."""


@dataclass(frozen=True)
class _Route:
    """What a request to one API needs, built once per endpoint."""

    signing_name: str
    known: frozenset[str]
    """Every operation of the API's model, implemented or not."""
    handlers: Mapping[str, Handler]
    access: Mapping[str, Touches]
    validate: RequestValidator


class AwsJsonEndpoint:
    def __init__(self, services: Services, clock: Clock, apis: Sequence[AwsJsonApi] = APIS) -> None:
        self._services = services
        self._clock = clock
        self._routes = {
            api.target_prefix: _Route(
                api.signing_name,
                operation_names(api.model),
                api.handlers,
                api.access,
                validator(api.model),
            )
            for api in apis
        }
        self._signing_names = frozenset(api.signing_name for api in apis)
        self._targets = " or ".join(f"{api.target_prefix}.<Operation>" for api in apis)

    def handle(
        self,
        method: str,
        path: str,
        query: str,
        headers: Iterable[tuple[str, str]],
        body: bytes,
        source: str = "",
    ) -> Reply:
        """The answer to the request; `source` is the client's address, for the audit."""
        pairs = list(headers)
        lookup = {name.lower(): value for name, value in pairs}
        target = lookup.get("x-amz-target", "")
        prefix, _, operation = target.partition(".")
        route = self._routes.get(prefix)
        api = None if route is None else route.signing_name
        known = operation if route is not None and operation in route.known else None
        result = None
        try:
            result = self._dispatch(method, path, query, pairs, lookup, body, route, operation)
            reply = Reply(200, framing.encode_response(result), api, known)
        except Exception as exc:
            status, answer, code = framing.error_reply(exc)
            reply = Reply(status, answer, api, known, code)
        if audited(api, known, reply.error):
            try:
                params = framing.decode_request(body)
            except Exception:
                params = None
            caller = Caller(sigv4.claimed_access_key(pairs), source)
            outcome = reply.error or SUCCESS
            call = AuditedCall(caller, api or "unknown", operation, outcome, params, result)
            record(self._services, call)
        return reply

    def _dispatch(
        self,
        method: str,
        path: str,
        query: str,
        pairs: list[tuple[str, str]],
        lookup: dict[str, str],
        body: bytes,
        route: _Route | None,
        operation: str,
    ) -> dict[str, object]:
        target = lookup.get("x-amz-target", "")
        caller = sigv4.verify_request(
            method=method,
            path=path,
            query=query,
            headers=pairs,
            body=body,
            secret_for=self._services.keys.secret_for,
            now=self._clock.now(),
            service=self._signing_names if route is None else route.signing_name,
        )
        if route is None or operation not in route.known:
            raise UnknownOperationError(
                f"Unknown operation {target!r}: send X-Amz-Target: {self._targets} "
                "with an operation of that API."
            )
        handler = route.handlers.get(operation)
        if handler is None:
            raise UnknownOperationError(f"Transom does not implement {operation} yet.")
        media_type = lookup.get("content-type", "").split(";")[0].strip().lower()
        if media_type not in framing.ACCEPTED_CONTENT_TYPES:
            raise UnsupportedMediaTypeError(
                f"Content-Type {media_type or '(none)'!r} is not supported: "
                f"send {framing.CONTENT_TYPE}."
            )
        params = framing.decode_request(body)
        route.validate(operation, params)
        return authorized_call(self._services, caller.access_key_id, route, operation, params)
