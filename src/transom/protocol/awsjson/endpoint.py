"""The AWS JSON 1.1 pipeline for one request: authenticate, route, decode, validate, handle.

`AwsJsonEndpoint.handle` never raises: every outcome is an HTTP status and a body, errors in
the AWS shape. It is synchronous and framework-free; the HTTP adapter runs it inline or in a
worker thread (`transom.api.edge.StoreCalls`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from transom.domain.clock import Clock
from transom.domain.errors import (
    ClientError,
    UnknownOperationError,
)
from transom.protocol.awsjson import framing, sigv4
from transom.protocol.awsjson.model import operation_names
from transom.protocol.awsjson.operations import OPERATIONS
from transom.protocol.awsjson.validation import validate_request
from transom.services.container import Services

TARGET_PREFIX = "AmazonSSM."


class UnsupportedMediaTypeError(ClientError):
    code = "UnsupportedMediaTypeException"
    status = 415


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes


class AwsJsonEndpoint:
    def __init__(self, services: Services, clock: Clock) -> None:
        self._services = services
        self._clock = clock
        self._known = operation_names()

    def handle(
        self, method: str, path: str, query: str, headers: Iterable[tuple[str, str]], body: bytes
    ) -> Reply:
        try:
            result = self._dispatch(method, path, query, headers, body)
            return Reply(200, framing.encode_response(result))
        except Exception as exc:
            return Reply(*framing.error_reply(exc))

    def _dispatch(
        self, method: str, path: str, query: str, headers: Iterable[tuple[str, str]], body: bytes
    ) -> dict[str, object]:
        pairs = list(headers)
        sigv4.verify_request(
            method=method,
            path=path,
            query=query,
            headers=pairs,
            body=body,
            secret_for=self._services.keys.secret_for,
            now=self._clock.now(),
        )
        lookup = {name.lower(): value for name, value in pairs}
        target = lookup.get("x-amz-target", "")
        operation = target.removeprefix(TARGET_PREFIX)
        if not target.startswith(TARGET_PREFIX) or operation not in self._known:
            raise UnknownOperationError(
                f"Unknown operation {target!r}: send X-Amz-Target: AmazonSSM.<Operation> "
                "with an operation of the SSM API."
            )
        handler = OPERATIONS.get(operation)
        if handler is None:
            raise UnknownOperationError(f"Transom does not implement {operation} yet.")
        media_type = lookup.get("content-type", "").split(";")[0].strip().lower()
        if media_type not in framing.ACCEPTED_CONTENT_TYPES:
            raise UnsupportedMediaTypeError(
                f"Content-Type {media_type or '(none)'!r} is not supported: "
                f"send {framing.CONTENT_TYPE}."
            )
        params = framing.decode_request(body)
        validate_request(operation, params)
        return handler(self._services, params)
