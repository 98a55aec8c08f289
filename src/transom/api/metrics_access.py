"""Who may read `/metrics` (`--metrics open|key|off`).

`key` admits a request whose `Authorization` is `Bearer <token>` with the token of the token
file (what Prometheus sends with `authorization: {credentials_file: FILE}`), or a SigV4
signature for the service `ssm` by an access key the server knows (`curl --aws-sigv4`).
Without credentials: 401; with credentials that do not hold: 403; either way no data.
`open` admits every request; `off` serves no `/metrics` at all (404).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from transom.domain.clock import Clock
from transom.domain.errors import ApiError
from transom.domain.secret_files import read_or_create
from transom.protocol.awsjson.sigv4 import ALGORITHM, verify_request

_BEARER = "bearer "


class MetricsAccess(StrEnum):
    OPEN = "open"
    KEY = "key"
    OFF = "off"


def load_or_create_token(path: Path) -> str:
    """The token in `path` (surrounding whitespace stripped), made (random, mode 0600) when
    the file does not exist, whole or not at all (`transom.domain.secret_files`); `ValueError`
    saying what is wrong with it otherwise."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        made = read_or_create(path, (secrets.token_urlsafe(32) + "\n").encode)
        token = made.decode().strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read or create the metrics token file {path}: {exc}") from None
    if not token:
        raise ValueError(f"the metrics token file {path} is empty: put a token in it")
    return token


@dataclass(frozen=True)
class MetricsGuard:
    """Checks a `/metrics` request against the `key` rule; `token` is None for `open`."""

    token: str | None
    secret_for: Callable[[str], str | None]
    clock: Clock

    def refusal(
        self, method: str, path: str, query: str, headers: Iterable[tuple[str, str]]
    ) -> tuple[int, str] | None:
        """None when the request may read the metrics; else the status (401 or 403) and a
        sentence saying what to send."""
        if self.token is None:
            return None
        pairs = list(headers)
        authorization = next((v for k, v in pairs if k.lower() == "authorization"), "").strip()
        if not authorization:
            return 401, (
                "Send Authorization: Bearer <the token in the --metrics-token-file>, or sign "
                "the request (SigV4, service ssm) with an access key."
            )
        if authorization.lower().startswith(_BEARER):
            offered = authorization[len(_BEARER) :].strip().encode()
            if hmac.compare_digest(offered, self.token.encode()):
                return None
            return 403, "The bearer token is not the one in the --metrics-token-file."
        if authorization.startswith(ALGORITHM):
            try:
                verify_request(
                    method=method,
                    path=path,
                    query=query,
                    headers=pairs,
                    body=b"",
                    secret_for=self.secret_for,
                    now=self.clock.now(),
                )
            except ApiError as exc:
                return 403, exc.message
            return None
        return 403, "Authorization must be a Bearer token or a SigV4 signature."
