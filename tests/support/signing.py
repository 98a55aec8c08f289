"""Hand-made AWS JSON requests, signed as botocore signs them, for protocol-level tests."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.support.servers import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY


def signed_post(
    endpoint: str,
    operation: str,
    body: bytes | dict[str, Any],
    *,
    content_type: str = "application/x-amz-json-1.1",
    access_key: str = ACCESS_KEY_ID,
    secret: str = SECRET_ACCESS_KEY,
    sign: bool = True,
    target_prefix: str = "AmazonSSM",
    service: str = "ssm",
) -> httpx.Response:
    """POST `body` as `<target_prefix>.<operation>`, signed for `service` unless not `sign`."""
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    headers = {"X-Amz-Target": f"{target_prefix}.{operation}", "Content-Type": content_type}
    request = AWSRequest(method="POST", url=endpoint + "/", data=data, headers=headers)
    if sign:
        SigV4Auth(Credentials(access_key, secret), service, REGION).add_auth(request)
    return httpx.post(endpoint + "/", content=data, headers=dict(request.headers), timeout=30)


def signed_get(
    endpoint: str, path: str, params: dict[str, str], *, sign: bool = True
) -> httpx.Response:
    """GET `path` with the query `params`, signed with the test key (for `ssm`) unless not
    `sign`."""
    url = f"{endpoint}{path}?{urlencode(params, quote_via=quote)}"
    request = AWSRequest(method="GET", url=url)
    if sign:
        SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), "ssm", REGION).add_auth(request)
    return httpx.get(url, headers=dict(request.headers), timeout=30)
