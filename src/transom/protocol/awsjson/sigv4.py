"""Server-side verification of AWS Signature Version 4 in its `Authorization` header form.

Contract: `verify_request` returns the caller only when a known secret signed exactly this
request (method, path, query, every header the client listed in SignedHeaders, in the client's
order, and the body) for the expected service (or one of the expected services), dated within
`max_skew` of `now`. Otherwise it
raises the `ApiError` AWS would. The canonical request is built as botocore builds it for
non-S3 services; the payload hash is always computed from the body, so an
`X-Amz-Content-SHA256` header (for example `UNSIGNED-PAYLOAD`) can never stand in for it.
`X-Amz-Security-Token` is covered like any other signed header and not otherwise checked.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from urllib.parse import quote, unquote_plus

from botocore.utils import normalize_url_path

from transom.domain.errors import (
    InvalidSignatureError,
    MissingAuthenticationTokenError,
    UnrecognizedClientError,
)

ALGORITHM = "AWS4-HMAC-SHA256"
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)
_TERMINATOR = "aws4_request"
_AMZ_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z", re.ASCII)
_AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
_AUTH_PARAMETERS = ("Credential", "SignedHeaders", "Signature")
_CREDENTIAL = re.compile(r"Credential\s*=\s*([^/,\s]+)", re.ASCII)


@dataclass(frozen=True)
class VerifiedCaller:
    """Who signed a request that verified: the access key id and the region of its scope."""

    access_key_id: str
    region: str


def verify_request(
    *,
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    body: bytes,
    secret_for: Callable[[str], str | None],
    now: datetime,
    service: str | frozenset[str] = "ssm",
    max_skew: timedelta = timedelta(minutes=15),
) -> VerifiedCaller:
    """Verify a SigV4-signed request and return its caller.

    `path` is the request path as sent on the wire (still percent-encoded, no query string);
    `query` is the raw query string without `?`. `headers` is a mapping or (name, value)
    pairs; names are matched case-insensitively and repeated headers are joined with `,` as
    SigV4 prescribes. `secret_for` maps an access key id to its secret, or None if unknown.
    `now` must be timezone-aware. `service` is the service the credential scope must name,
    or a set of services any one of which it may name (for a request no API claims).

    Raises MissingAuthenticationTokenError when there is no Authorization header;
    UnrecognizedClientError when the access key is unknown; InvalidSignatureError for a
    malformed or unsupported Authorization header, a missing or malformed X-Amz-Date, a
    credential scope whose date or service does not match, `host` missing from SignedHeaders,
    a signed header absent from the request, a time more than `max_skew` from `now`, or a
    signature that does not match.
    """
    values = _collect(headers)
    authorization = ",".join(values.get("authorization", ())).strip()
    if not authorization:
        raise MissingAuthenticationTokenError("Missing Authentication Token")
    credential, signed_headers, signature = _parse_authorization(authorization)
    names = signed_headers.split(";")
    access_key_id, scope_date, region, scope_service = _parse_credential(credential)

    amz_date = ",".join(values.get("x-amz-date", ()))
    if not amz_date:
        raise InvalidSignatureError(
            "Authorization header requires existence of a 'X-Amz-Date' header."
        )
    signed_at = _parse_amz_date(amz_date)
    if scope_date != amz_date[:8]:
        raise InvalidSignatureError(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            f"from HTTP: '{scope_date}' != '{amz_date[:8]}', from '{amz_date}'."
        )
    if scope_service != service if isinstance(service, str) else scope_service not in service:
        expected = service if isinstance(service, str) else "' or '".join(sorted(service))
        raise InvalidSignatureError(
            f"Credential should be scoped to correct service: '{expected}'."
        )
    if "host" not in names:
        raise InvalidSignatureError("'Host' must be a 'SignedHeader' in the AWS Authorization.")
    _check_skew(signed_at, amz_date, now, max_skew)

    secret = secret_for(access_key_id)
    if secret is None:
        raise UnrecognizedClientError("The security token included in the request is invalid.")

    canonical_request = "\n".join(
        (
            method.upper(),
            _canonical_uri(path),
            _canonical_query(query),
            *[f"{name}:{_header_value(values, name)}" for name in names],
            "",
            signed_headers,
            hashlib.sha256(body).hexdigest(),
        )
    )
    string_to_sign = "\n".join(
        (
            ALGORITHM,
            amz_date,
            f"{scope_date}/{region}/{scope_service}/{_TERMINATOR}",
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        )
    )
    key = _signing_key(secret, scope_date, region, scope_service)
    expected = hmac.digest(key, string_to_sign.encode(), "sha256").hex()
    if not (signature.isascii() and hmac.compare_digest(expected, signature)):
        raise InvalidSignatureError(SIGNATURE_MISMATCH)
    return VerifiedCaller(access_key_id=access_key_id, region=region)


def claimed_access_key(headers: Iterable[tuple[str, str]]) -> str | None:
    """The access key id the request's Authorization header names (cut to 128 characters),
    whether or not its signature holds; None when it names none. For the record of a
    refused request, never for authentication."""
    for name, value in headers:
        if name.lower() == "authorization":
            found = _CREDENTIAL.search(value)
            return None if found is None else found.group(1)[:128]
    return None


def _collect(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """Group header values by lower-cased name, keeping their order."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    values: dict[str, list[str]] = {}
    for name, value in pairs:
        values.setdefault(name.lower(), []).append(value)
    return values


def _parse_authorization(authorization: str) -> tuple[str, str, str]:
    """Split the header into (Credential, SignedHeaders, Signature) or raise."""
    algorithm, _, rest = authorization.partition(" ")
    if algorithm != ALGORITHM:
        raise InvalidSignatureError(
            f"Unsupported AWS 'algorithm': '{algorithm}'. Only {ALGORITHM} is supported."
        )
    parameters: dict[str, str] = {}
    for component in rest.split(","):
        key, equals, value = component.strip().partition("=")
        if not equals or key not in _AUTH_PARAMETERS or key in parameters or not value:
            raise InvalidSignatureError(
                f"Authorization header component '{component.strip()}' is malformed; expected "
                f"{ALGORITHM} Credential=..., SignedHeaders=..., Signature=..."
            )
        parameters[key] = value
    missing = [key for key in _AUTH_PARAMETERS if key not in parameters]
    if missing:
        raise InvalidSignatureError(
            " ".join(f"Authorization header requires '{key}' parameter." for key in missing)
        )
    signed_headers = parameters["SignedHeaders"]
    if signed_headers != signed_headers.lower() or "" in signed_headers.split(";"):
        raise InvalidSignatureError(
            f"SignedHeaders '{signed_headers}' must be lower-case header names separated by ';'."
        )
    return parameters["Credential"], signed_headers, parameters["Signature"]


def _parse_credential(credential: str) -> tuple[str, str, str, str]:
    """Split `AKID/yyyymmdd/region/service/aws4_request` into its first four parts or raise."""
    parts = credential.split("/")
    if len(parts) != 5 or not all(parts):
        raise InvalidSignatureError(
            f"Credential '{credential}' is malformed; expected "
            f"'AccessKeyId/yyyymmdd/region/service/{_TERMINATOR}'."
        )
    access_key_id, scope_date, region, scope_service, terminator = parts
    if terminator != _TERMINATOR:
        raise InvalidSignatureError(
            f"Credential should be scoped with a valid terminator: '{_TERMINATOR}', "
            f"not '{terminator}'."
        )
    return access_key_id, scope_date, region, scope_service


def _parse_amz_date(amz_date: str) -> datetime:
    """Read a basic ISO-8601 UTC timestamp (`20240102T030405Z`) or raise."""
    match = _AMZ_DATE.fullmatch(amz_date)
    if match is not None:
        year, month, day, hour, minute, second = map(int, match.groups())
        with suppress(ValueError):
            return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    raise InvalidSignatureError(
        f"X-Amz-Date '{amz_date}' is malformed; expected the form yyyyMMdd'T'HHmmss'Z'."
    )


def _check_skew(signed_at: datetime, amz_date: str, now: datetime, max_skew: timedelta) -> None:
    """Raise, in AWS's wording, unless `signed_at` is within `max_skew` of `now`."""
    minutes = f"{max_skew.total_seconds() / 60:g} min."
    current = now.astimezone(UTC)
    if signed_at < current - max_skew:
        raise InvalidSignatureError(
            f"Signature expired: {amz_date} is now earlier than "
            f"{(current - max_skew).strftime(_AMZ_DATE_FORMAT)} "
            f"({current.strftime(_AMZ_DATE_FORMAT)} - {minutes})"
        )
    if signed_at > current + max_skew:
        raise InvalidSignatureError(
            f"Signature not yet current: {amz_date} is still later than "
            f"{(current + max_skew).strftime(_AMZ_DATE_FORMAT)} "
            f"({current.strftime(_AMZ_DATE_FORMAT)} + {minutes})"
        )


@lru_cache(maxsize=256)
def _canonical_uri(path: str) -> str:
    """Remove dot segments and repeated slashes, then percent-encode again, as botocore does."""
    return quote(normalize_url_path(path), safe="/~")


def _canonical_query(query: str) -> str:
    """Form-decode then SigV4-encode each name and value, sorted by name then value.

    `+` decodes to a space (encoded `%20`) because botocore sends request params form-encoded
    but signs them percent-encoded; spec-following clients never send a bare `+`.
    """
    if not query:
        return ""
    pairs = sorted(
        (quote(unquote_plus(name), safe="-_.~"), quote(unquote_plus(value), safe="-_.~"))
        for name, _, value in (pair.partition("=") for pair in query.split("&"))
    )
    return "&".join(f"{name}={value}" for name, value in pairs)


def _header_value(values: dict[str, list[str]], name: str) -> str:
    """The canonical value of a signed header: each value whitespace-collapsed, joined by `,`."""
    found = values.get(name)
    if found is None:
        raise InvalidSignatureError(
            f"Header '{name}' is listed in SignedHeaders but is not in the request."
        )
    return ",".join(" ".join(value.split()) for value in found)


@lru_cache(maxsize=256)
def _signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """Derive the SigV4 signing key; cached because it changes only daily per key and scope."""
    key = hmac.digest(f"AWS4{secret}".encode(), date.encode(), "sha256")
    for part in (region, service, _TERMINATOR):
        key = hmac.digest(key, part.encode(), "sha256")
    return key
