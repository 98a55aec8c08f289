"""SigV4 verification against requests signed by botocore, the signer boto3 and the aws CLI use."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, AWSResponse
from botocore.credentials import Credentials

from transom.domain.errors import (
    InvalidSignatureError,
    MissingAuthenticationTokenError,
    UnrecognizedClientError,
)
from transom.protocol.awsjson.sigv4 import SIGNATURE_MISMATCH, VerifiedCaller, verify_request

ACCESS_KEY = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
MISMATCH = f"^{re.escape(SIGNATURE_MISMATCH)}$"
BODY = json.dumps({"Filters": [{"Key": "Name", "Values": ["patch"]}]}).encode()


@dataclass(frozen=True)
class WireRequest:
    """A request as the server receives it: Host is on the wire, as the HTTP client adds it."""

    method: str
    path: str
    query: str
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def signed_at(self) -> datetime:
        return datetime.strptime(self.header("X-Amz-Date"), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)

    def header(self, name: str) -> str:
        return next(value for key, value in self.headers if key.lower() == name.lower())

    def with_header(self, name: str, value: str) -> WireRequest:
        kept = [(key, old) for key, old in self.headers if key.lower() != name.lower()]
        return replace(self, headers=[*kept, (name, value)])

    def without_header(self, name: str) -> WireRequest:
        kept = [(key, value) for key, value in self.headers if key.lower() != name.lower()]
        return replace(self, headers=kept)


def on_the_wire(prepared: Any, headers: Iterable[tuple[str, str | bytes]] = ()) -> WireRequest:
    """What an HTTP server sees for a botocore prepared request (or for its `headers`).

    The HTTP client adds Host from the URL; the server decodes header values as Latin-1.
    """
    url = urlsplit(prepared.url)
    pairs = [("Host", url.netloc), *(headers or prepared.headers.items())]
    return WireRequest(
        method=prepared.method,
        path=url.path,
        query=url.query,
        headers=[
            (name, value.decode("latin-1") if isinstance(value, bytes) else value)
            for name, value in pairs
        ],
        body=prepared.body or b"",
    )


def signed(
    *,
    url: str = "http://127.0.0.1:8123/",
    body: bytes = BODY,
    region: str = "us-east-1",
    service: str = "ssm",
    token: str | None = None,
    headers: list[tuple[str, str]] | None = None,
    params: dict[str, str] | None = None,
) -> WireRequest:
    """Sign an SSM JSON 1.1 POST exactly as boto3 does and return it as it arrives."""
    request = AWSRequest(method="POST", url=url, data=body, params=params)
    request.headers["X-Amz-Target"] = "AmazonSSM.DescribeMaintenanceWindows"
    request.headers["Content-Type"] = "application/x-amz-json-1.1"
    for name, value in headers or []:
        request.headers[name] = value  # HTTPHeaders appends, so names may repeat
    SigV4Auth(Credentials(ACCESS_KEY, SECRET, token), service, region).add_auth(request)
    # prepare() would fold repeated headers into one, so send the signed ones as they are.
    return on_the_wire(request.prepare(), request.headers.items())


def secrets(access_key_id: str) -> str | None:
    return {ACCESS_KEY: SECRET}.get(access_key_id)


def verify(
    request: WireRequest,
    *,
    now: datetime | None = None,
    secret_for: Any = secrets,
    headers: Any = None,
) -> VerifiedCaller:
    return verify_request(
        method=request.method,
        path=request.path,
        query=request.query,
        headers=request.headers if headers is None else headers,
        body=request.body,
        secret_for=secret_for,
        now=request.signed_at if now is None else now,
    )


def test_a_request_signed_by_botocore_verifies_and_names_its_key_and_region() -> None:
    caller = verify(signed(region="eu-west-1"))

    assert caller == VerifiedCaller(access_key_id=ACCESS_KEY, region="eu-west-1")


def test_headers_may_be_given_as_a_mapping_with_names_in_any_case() -> None:
    request = signed()

    caller = verify(request, headers={key.upper(): value for key, value in request.headers})

    assert caller.access_key_id == ACCESS_KEY


def test_a_host_with_a_port_verifies_but_the_same_request_on_another_port_does_not() -> None:
    request = signed(url="http://127.0.0.1:8123/")
    assert request.header("Host") == "127.0.0.1:8123"
    verify(request)

    with pytest.raises(InvalidSignatureError, match=MISMATCH):
        verify(request.with_header("Host", "127.0.0.1:8124"))


def test_a_signed_session_token_header_verifies_and_tampering_with_it_does_not() -> None:
    request = signed(token="session-token-value")
    assert "x-amz-security-token" in request.header("Authorization")
    verify(request)

    with pytest.raises(InvalidSignatureError, match=MISMATCH):
        verify(request.with_header("X-Amz-Security-Token", "another-token"))


def test_repeated_headers_are_joined_and_their_whitespace_collapsed_as_the_signer_did() -> None:
    request = signed(headers=[("X-Custom", "  a   b "), ("X-Custom", "c")])
    assert [value for key, value in request.headers if key == "X-Custom"] == ["  a   b ", "c"]

    verify(request)


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("http://127.0.0.1:8123/a%20b/./c//d", {"z": "1", "a": "x y/~+", "m": "é"}),
        ("http://127.0.0.1:8123/a%20b/./c//d?z=1&a=x%20y%2F~%2B&m=%C3%A9", None),
    ],
    ids=["form-encoded params", "percent-encoded url"],
)
def test_a_non_root_path_and_a_query_string_verify_as_botocore_signs_them(
    url: str, params: dict[str, str] | None
) -> None:
    request = signed(url=url, params=params)
    assert request.query.startswith("z=1&a=x")

    verify(request)


def test_a_header_the_client_did_not_sign_may_change_without_breaking_the_signature() -> None:
    request = signed(headers=[("User-Agent", "Boto3/1.40")])
    assert "user-agent" not in request.header("Authorization")

    verify(request.with_header("User-Agent", "a proxy rewrote me"))


def test_a_tampered_body_fails_with_a_signature_mismatch() -> None:
    request = signed()

    with pytest.raises(InvalidSignatureError, match=MISMATCH):
        verify(replace(request, body=request.body.replace(b"patch", b"reboot")))


def test_a_tampered_signed_header_fails_with_a_signature_mismatch() -> None:
    request = signed().with_header("X-Amz-Target", "AmazonSSM.DeleteMaintenanceWindow")

    with pytest.raises(InvalidSignatureError, match=MISMATCH):
        verify(request)


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_another_method_fails_with_a_signature_mismatch(method: str) -> None:
    with pytest.raises(InvalidSignatureError, match=MISMATCH):
        verify(replace(signed(), method=method))


def test_a_request_signed_with_the_wrong_secret_fails_with_a_signature_mismatch() -> None:
    with pytest.raises(InvalidSignatureError, match=MISMATCH) as raised:
        verify(signed(), secret_for=lambda _key: "not-the-secret")

    assert raised.value.code == "InvalidSignatureException"
    assert raised.value.status == 400


@pytest.mark.parametrize("signature", ["0" * 64, "deadbeef", "é" * 64])
def test_a_forged_signature_fails_with_a_signature_mismatch(signature: str) -> None:
    request = signed()
    authorization = request.header("Authorization")
    forged = authorization[: authorization.index("Signature=")] + f"Signature={signature}"

    with pytest.raises(InvalidSignatureError, match=MISMATCH):
        verify(request.with_header("Authorization", forged))


def test_a_payload_the_client_left_unsigned_does_not_verify() -> None:
    request = AWSRequest(method="POST", url="https://127.0.0.1:8123/", data=BODY)
    request.context["payload_signing_enabled"] = False
    SigV4Auth(Credentials(ACCESS_KEY, SECRET), "ssm", "us-east-1").add_auth(request)
    wire = on_the_wire(request.prepare())
    assert wire.header("X-Amz-Content-SHA256") == "UNSIGNED-PAYLOAD"

    with pytest.raises(InvalidSignatureError, match=MISMATCH):
        verify(wire)


def test_an_unknown_access_key_is_an_unrecognized_client() -> None:
    with pytest.raises(UnrecognizedClientError) as raised:
        verify(signed(), secret_for=lambda _key: None)

    assert raised.value.message == "The security token included in the request is invalid."
    assert raised.value.code == "UnrecognizedClientException"


@pytest.mark.parametrize("authorization", [None, "", "   "])
def test_a_request_without_authorization_is_missing_an_authentication_token(
    authorization: str | None,
) -> None:
    request = signed().without_header("Authorization")
    if authorization is not None:
        request = request.with_header("Authorization", authorization)

    with pytest.raises(MissingAuthenticationTokenError) as raised:
        verify(request)

    assert raised.value.message == "Missing Authentication Token"
    assert raised.value.code == "MissingAuthenticationTokenException"
    assert raised.value.status == 400


def test_a_request_signed_more_than_fifteen_minutes_ago_has_an_expired_signature() -> None:
    request = signed()
    now = request.signed_at + timedelta(minutes=15, seconds=1)

    with pytest.raises(InvalidSignatureError) as raised:
        verify(request, now=now)

    stamp = "%Y%m%dT%H%M%SZ"
    assert raised.value.message == (
        f"Signature expired: {request.header('X-Amz-Date')} is now earlier than "
        f"{(now - timedelta(minutes=15)).strftime(stamp)} ({now.strftime(stamp)} - 15 min.)"
    )


def test_a_request_dated_more_than_fifteen_minutes_ahead_is_not_yet_current() -> None:
    request = signed()

    with pytest.raises(InvalidSignatureError, match=r"^Signature not yet current: .* \+ 15 min\."):
        verify(request, now=request.signed_at - timedelta(days=1))


@pytest.mark.parametrize("skew", [timedelta(minutes=-15), timedelta(minutes=15)])
def test_a_request_exactly_fifteen_minutes_off_still_verifies(skew: timedelta) -> None:
    request = signed()

    verify(request, now=request.signed_at + skew)


def test_a_request_scoped_to_another_service_is_rejected() -> None:
    with pytest.raises(
        InvalidSignatureError, match=r"^Credential should be scoped to correct service: 'ssm'\.$"
    ):
        verify(signed(service="ec2"))


def test_a_request_without_x_amz_date_is_rejected() -> None:
    with pytest.raises(InvalidSignatureError, match="requires existence of a 'X-Amz-Date'"):
        verify(signed().without_header("X-Amz-Date"), now=datetime.now(UTC))


@pytest.mark.parametrize("time", ["T256161Z", "T010203", "", "T010203Z0"])
def test_a_malformed_x_amz_date_is_rejected(time: str) -> None:
    request = signed()
    broken = request.with_header("X-Amz-Date", request.header("X-Amz-Date")[:8] + time)

    with pytest.raises(InvalidSignatureError, match=r"^X-Amz-Date '\d{8}.*' is malformed"):
        verify(broken, now=request.signed_at)


def test_a_credential_scope_dated_another_day_than_x_amz_date_is_rejected() -> None:
    request = signed()
    next_day = request.signed_at + timedelta(days=1)
    authorization = request.header("Authorization").replace(
        request.signed_at.strftime("/%Y%m%d/"), next_day.strftime("/%Y%m%d/")
    )

    with pytest.raises(InvalidSignatureError, match=r"^Date in Credential scope does not match"):
        verify(request.with_header("Authorization", authorization))


def test_host_must_be_among_the_signed_headers() -> None:
    request = signed()
    authorization = request.header("Authorization").replace("SignedHeaders=", "SignedHeaders=x;")
    authorization = authorization.replace(";host;", ";")

    with pytest.raises(InvalidSignatureError, match="'Host' must be a 'SignedHeader'"):
        verify(request.with_header("Authorization", authorization))


def test_a_signed_header_absent_from_the_request_is_rejected() -> None:
    with pytest.raises(InvalidSignatureError, match="'x-amz-target' is listed in SignedHeaders"):
        verify(signed().without_header("X-Amz-Target"))


CREDENTIAL = "AKIDEXAMPLE/20240506/us-east-1/ssm/aws4_request"


@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        ("Bearer abc", "Unsupported AWS 'algorithm': 'Bearer'"),
        ("AWS4-HMAC-SHA1 Credential=x", "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA1'"),
        ("AWS4-HMAC-SHA256", "component '' is malformed"),
        ("AWS4-HMAC-SHA256 Credential", "component 'Credential' is malformed"),
        ("AWS4-HMAC-SHA256 Credential=", "component 'Credential=' is malformed"),
        ("AWS4-HMAC-SHA256 Colour=red", "component 'Colour=red' is malformed"),
        (
            f"AWS4-HMAC-SHA256 Credential={CREDENTIAL}, Credential={CREDENTIAL}",
            "component 'Credential=.*' is malformed",
        ),
        (
            f"AWS4-HMAC-SHA256 Credential={CREDENTIAL}",
            "^Authorization header requires 'SignedHeaders' parameter. "
            "Authorization header requires 'Signature' parameter.$",
        ),
        (
            f"AWS4-HMAC-SHA256 Credential={CREDENTIAL}, SignedHeaders=Host, Signature=00",
            "SignedHeaders 'Host' must be lower-case",
        ),
        (
            f"AWS4-HMAC-SHA256 Credential={CREDENTIAL}, SignedHeaders=host;;x, Signature=00",
            "SignedHeaders 'host;;x' must be lower-case header names separated by ';'",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKID/20240506/ssm/aws4_request, "
            "SignedHeaders=host, Signature=00",
            "Credential 'AKID/20240506/ssm/aws4_request' is malformed",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKID/20240506//ssm/aws4_request, "
            "SignedHeaders=host, Signature=00",
            "Credential 'AKID/20240506//ssm/aws4_request' is malformed",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKID/20240506/us-east-1/ssm/aws5_request, "
            "SignedHeaders=host, Signature=00",
            "valid terminator: 'aws4_request', not 'aws5_request'",
        ),
    ],
)
def test_a_malformed_authorization_header_is_an_invalid_signature(
    authorization: str, message: str
) -> None:
    request = signed().with_header("Authorization", authorization)

    with pytest.raises(InvalidSignatureError, match=message):
        verify(request, secret_for=lambda _key: pytest.fail("looked up a malformed request's key"))


class _JsonBody:
    """The raw stream of a canned response, enough for botocore to parse it."""

    def stream(self, **_kwargs: object) -> Iterator[bytes]:
        yield b"{}"


def test_what_boto3_actually_sends_verifies() -> None:
    client = boto3.client(
        "ssm",
        endpoint_url="http://127.0.0.1:1",
        region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET,
    )
    sent: list[WireRequest] = []

    def capture(request: Any, **_kwargs: object) -> AWSResponse:
        sent.append(on_the_wire(request))
        return AWSResponse(request.url, 200, {}, _JsonBody())

    client.meta.events.register("before-send.ssm", capture)

    client.describe_maintenance_windows(Filters=[{"Key": "Name", "Values": ["patch"]}])

    [request] = sent
    assert request.header("X-Amz-Target") == "AmazonSSM.DescribeMaintenanceWindows"
    assert request.header("Content-Type") == "application/x-amz-json-1.1"
    assert verify(request) == VerifiedCaller(access_key_id=ACCESS_KEY, region="us-east-1")
    with pytest.raises(InvalidSignatureError, match=MISMATCH):
        verify(replace(request, body=request.body + b" "))
