"""The one mapping of an exception to a Query error: its HTTP status and `<Code>`.

Errors of SNS's model keep their code and status; the protocol-wide errors take the codes
AWS Query services answer with (model constraint violations `ValidationError`, an unknown
action `InvalidAction`, signature problems `SignatureDoesNotMatch`, ...). Query services
answer the authentication errors with 403, where the JSON services answer 400."""

from __future__ import annotations

from typing import NamedTuple

from transom.domain.errors import ApiError
from transom.protocol.edge import as_api_error

_QUERY_CODES = {
    "ValidationException": ("ValidationError", None),
    "SerializationException": ("InvalidParameter", None),
    "UnknownOperationException": ("InvalidAction", None),
    "MissingAuthenticationTokenException": ("MissingAuthenticationToken", 403),
    "InvalidSignatureException": ("SignatureDoesNotMatch", 403),
    "UnrecognizedClientException": ("InvalidClientTokenId", 403),
    "AccessDeniedException": ("AuthorizationError", 403),
    "InternalServerError": ("InternalError", None),
}


class QueryError(NamedTuple):
    error: ApiError
    code: str
    status: int


def query_error(exc: Exception) -> QueryError:
    """The `ApiError` to answer (see `transom.protocol.edge.as_api_error`), its Query code and
    HTTP status."""
    error = as_api_error(exc)
    code, status = _QUERY_CODES.get(error.code, (error.code, None))
    return QueryError(error, code, status or error.status)
