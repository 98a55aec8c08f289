"""The one mapping of an exception to a Query error: its HTTP status and `<Code>`.

Errors of SNS's model keep their code; the protocol-wide errors take the codes AWS Query
services answer with (model constraint violations `ValidationError`, an unknown action
`InvalidAction`, signature problems `SignatureDoesNotMatch`, ...)."""

from __future__ import annotations

from transom.domain.errors import ApiError
from transom.protocol.edge import as_api_error

_QUERY_CODES = {
    "ValidationException": "ValidationError",
    "SerializationException": "InvalidParameter",
    "UnknownOperationException": "InvalidAction",
    "MissingAuthenticationTokenException": "MissingAuthenticationToken",
    "InvalidSignatureException": "SignatureDoesNotMatch",
    "UnrecognizedClientException": "InvalidClientTokenId",
    "InternalServerError": "InternalError",
}


def query_error(exc: Exception) -> tuple[ApiError, str]:
    """The `ApiError` to answer (see `transom.protocol.edge.as_api_error`) and its Query code."""
    error = as_api_error(exc)
    return error, _QUERY_CODES.get(error.code, error.code)
