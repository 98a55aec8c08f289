"""The Query pipeline for one request: authenticate, read the form, route by `Action`, decode
and validate against the model, authorize (`protocol.query.access`), handle, answer in XML.

`QueryEndpoint.handle` never raises: every outcome is an HTTP status and an XML body, errors in
SNS's `ErrorResponse` shape. It is synchronous and framework-free, like the AWS JSON endpoint.

What is accepted:
- `POST /` with a form body, signed with SigV4 for the service `sns` (what botocore and the
  `aws` CLI send); query-string parameters of a POST are signed but not read.
- `GET /?Action=...` signed the same way, with the parameters in the query string.
- Unsigned, only the links a subscriber follows: `GET /?Action=ConfirmSubscription&TopicArn=
  ...&Token=...` (the SubscribeURL, as on SNS), and `GET /?Action=Unsubscribe&SubscriptionArn=
  ...&Token=...` (Transom's UnsubscribeURL: SNS's plus the subscription's token, refused for a
  subscription confirmed with AuthenticateOnUnsubscribe).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from transom.domain.audit import SUCCESS
from transom.domain.clock import Clock
from transom.domain.errors import MissingAuthenticationTokenError, UnknownOperationError
from transom.protocol.audit import AuditedCall, Caller, audited, record
from transom.protocol.awsjson import sigv4
from transom.protocol.awsjson.validation import validate_input
from transom.protocol.query import decoding, encoding
from transom.protocol.query.access import SNS
from transom.protocol.query.errors import query_error
from transom.protocol.query.model import SERVICE, operation_model, service_model
from transom.protocol.query.operations import OPERATIONS
from transom.protocol.query.registry import Call
from transom.services.container import Services

CONTENT_TYPE = "text/xml"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
VERSION = "2010-03-31"
UNSIGNED_ACTIONS = frozenset({"ConfirmSubscription", "Unsubscribe"})


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    request_id: str
    action: str | None = None
    """The request's `Action`, when Transom's SNS API has it."""
    error: str | None = None
    """The error code of an error reply."""


class QueryEndpoint:
    def __init__(self, services: Services, clock: Clock) -> None:
        self._services = services
        self._clock = clock
        self.namespace: str = service_model().metadata["xmlNamespace"]

    def handle(
        self,
        method: str,
        path: str,
        query: str,
        headers: Iterable[tuple[str, str]],
        body: bytes,
        source: str = "",
    ) -> Reply:
        """The answer to the request; `source` is the client's address, for the audit (every
        call `transom.protocol.audit` audits is recorded once answered)."""
        request_id = str(uuid.uuid4())
        known = None
        pairs = list(headers)
        form: dict[str, str] = {}
        result: dict[str, object] = {}
        try:
            form = decoding.parse_form(query if method == "GET" else body)
            known = form.get("Action") if form.get("Action") in OPERATIONS else None
            reply = self._dispatch(method, path, query, pairs, body, form, request_id, result)
        except Exception as exc:
            reply = self.error_reply(exc, request_id, known)
        if audited("sns", known, reply.error):
            self._record(pairs, source, form, reply, result)
        return reply

    def _record(
        self,
        headers: list[tuple[str, str]],
        source: str,
        form: dict[str, str],
        reply: Reply,
        result: dict[str, object],
    ) -> None:
        action = form.get("Action", "")
        model = operation_model(action)
        try:
            params = None if model is None else decoding.decode(model.input_shape, form)
        except Exception:
            params = None
        caller = Caller(sigv4.claimed_access_key(headers), source)
        outcome = reply.error or SUCCESS
        record(self._services, AuditedCall(caller, "sns", action, outcome, params, result))

    def error_reply(
        self, exc: Exception, request_id: str | None = None, action: str | None = None
    ) -> Reply:
        request_id = request_id or str(uuid.uuid4())
        error, code, status = query_error(exc)
        body = encoding.encode_error(error, code, self.namespace, request_id)
        return Reply(status, body, request_id, action, code)

    def _dispatch(
        self,
        method: str,
        path: str,
        query: str,
        headers: list[tuple[str, str]],
        body: bytes,
        form: dict[str, str],
        request_id: str,
        answered: dict[str, object],
    ) -> Reply:
        """The reply to a request whose form is `form`; the handler's result is put into
        `answered` (for the audit)."""
        signed = any(name.lower() == "authorization" for name, _ in headers)
        action = form.get("Action", "")
        caller = None
        if signed or method != "GET" or action not in UNSIGNED_ACTIONS:
            caller = sigv4.verify_request(
                method=method,
                path=path,
                query=query,
                headers=headers,
                body=body,
                secret_for=self._services.keys.secret_for,
                now=self._clock.now(),
                service=SERVICE,
            )
        elif action == "Unsubscribe" and "Token" not in form:
            raise MissingAuthenticationTokenError(
                "An unsigned Unsubscribe needs the subscription's Token, as in the "
                "UnsubscribeURL of its messages; or sign the request."
            )
        model = operation_model(action)
        handler = OPERATIONS.get(action)
        if model is None or handler is None:
            raise UnknownOperationError(
                f"Unknown Action {action!r}: Transom's SNS API has {', '.join(sorted(OPERATIONS))}."
            )
        version = form.get("Version", VERSION)
        if version != VERSION:
            raise UnknownOperationError(
                f"Version {version!r} is not supported: send Version={VERSION}."
            )
        params = decoding.decode(model.input_shape, form)
        validate_input(model.input_shape, params)
        authorizer = self._services.authorizer
        if caller is None:  # a subscriber's link: its token is its authorization
            result = handler(self._services, Call(params, signed, form))
        else:
            touched = SNS[action](authorizer.arns, params)
            authorizer.check(caller.access_key_id, f"{SERVICE}:{action}", touched)
            with authorizer.acting_for(caller.access_key_id):
                result = handler(self._services, Call(params, signed, form))
        answered.update(result)
        return Reply(
            200,
            encoding.encode_response(model, self.namespace, result, request_id),
            request_id,
            action,
        )
