"""Console sessions: a signed cookie, checked against the access-key store on every request.

The cookie is `KEY_ID.ISSUED.SEEN.SID.MAC`: the access key signed in with, when the session
began and when it was last used (Unix seconds), a random session id, and an HMAC-SHA256 of
those under the key's secret. So a session needs no shared state to hold on every replica,
and ends within the key store's cache time (5 s) of the key's deletion, like a SigV4
signature. It ends too when unused for `idle` seconds or `max_age` seconds after sign-in;
each request that uses it renews SEEN. Signing out records SID in the database until the
session would have expired (`SignOuts`), so a copy of the cookie is refused afterwards, on
every replica.

The CSRF token of a session is an HMAC of (key, ISSUED, SID) under the same secret: every
state-changing form carries it, and a POST without it is refused. The sign-in form, before
any session, is protected by a random token sent both as a cookie and in the form
(double submit)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

COOKIE = "transom_console"
SIGN_IN_COOKIE = "transom_console_sign_in"

SecretFor = Callable[[str], str | None]
"""The secret of a known access key, else None (`KeyService.secret_for`)."""


class SignOuts(Protocol):
    """Where signed-out sessions are kept (`KeyService`)."""

    def sign_out_console_session(self, session_id: str, expires: datetime) -> None: ...

    def console_session_signed_out(self, session_id: str) -> bool: ...


@dataclass(frozen=True)
class Session:
    access_key_id: str
    issued: int
    seen: int
    session_id: str
    csrf_token: str


def _mac(secret: str, *parts: object) -> str:
    message = "|".join(str(p) for p in parts).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class Sessions:
    """Sign in, read and renew sessions; `idle` and `max_age` in seconds."""

    def __init__(
        self,
        secret_for: SecretFor,
        sign_outs: SignOuts,
        idle: float,
        max_age: float = 12 * 3600,
    ) -> None:
        self._secret_for = secret_for
        self._sign_outs = sign_outs
        self.idle = idle
        self.max_age = max_age

    def sign_in(self, access_key_id: str, secret_access_key: str, now: float) -> Session | None:
        """A new session when the pair is a known key, else None."""
        secret = self._secret_for(access_key_id) if access_key_id else None
        if secret is None or not hmac.compare_digest(secret.encode(), secret_access_key.encode()):
            return None
        issued, sid = int(now), secrets.token_urlsafe(18)
        csrf = _mac(secret, "csrf", access_key_id, issued, sid)
        return Session(access_key_id, issued, issued, sid, csrf)

    def read(self, cookie: str | None, now: float) -> Session | None:
        """The session of a cookie that holds now (renewed: SEEN is now), else None."""
        if not cookie or len(cookie) > 512:
            return None
        parts = cookie.split(".")
        if len(parts) != 5 or not (parts[1].isdigit() and parts[2].isdigit()):
            return None
        key_id, issued_text, seen_text, sid, mac = parts
        issued, seen = int(issued_text), int(seen_text)
        if not (issued <= seen <= now + 5 and now - seen <= self.idle):
            return None
        if now - issued > self.max_age:
            return None
        secret = self._secret_for(key_id)
        expected = _mac(secret, "session", key_id, issued, seen, sid) if secret else ""
        if secret is None or not hmac.compare_digest(expected.encode(), mac.encode()):
            return None
        if self._sign_outs.console_session_signed_out(sid):
            return None
        csrf = _mac(secret, "csrf", key_id, issued, sid)
        return Session(key_id, issued, max(seen, int(now)), sid, csrf)

    def sign_out(self, session: Session) -> None:
        """End the session: its cookie is refused from now on, copies of it too."""
        expires = datetime.fromtimestamp(session.issued + self.max_age, UTC)
        self._sign_outs.sign_out_console_session(session.session_id, expires)

    def cookie_value(self, session: Session) -> str:
        """The cookie that carries `session` (empty when its key has gone meanwhile)."""
        secret = self._secret_for(session.access_key_id)
        if secret is None:
            return ""
        key_id, issued, seen, sid = (
            session.access_key_id,
            session.issued,
            session.seen,
            session.session_id,
        )
        return (
            f"{key_id}.{issued}.{seen}.{sid}.{_mac(secret, 'session', key_id, issued, seen, sid)}"
        )


def csrf_holds(session: Session, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(session.csrf_token.encode(), given.encode())


def new_sign_in_token() -> str:
    return secrets.token_urlsafe(24)
