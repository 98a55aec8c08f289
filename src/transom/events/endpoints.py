"""Endpoints as they may be shown: in errors, events and listings."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

_SECRET_SEGMENT = re.compile(r"[^/]{16,}")
"""A path segment this long is taken for a secret, such as a chat webhook's token."""


def shown_endpoint(endpoint: str) -> str:
    """An http/https endpoint without userinfo, query or fragment, each path segment of 16
    or more characters replaced by `…`; any other endpoint (an email address) as it is."""
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https"):
        return endpoint
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    path = "/".join(_SECRET_SEGMENT.sub("…", segment) for segment in parts.path.split("/"))
    return urlunsplit((parts.scheme, netloc, path, "", ""))
