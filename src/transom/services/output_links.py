"""Time-limited links to the whole of what one plugin printed on one node.

GetCommandInvocation and ListCommandInvocations carry them as `StandardOutputUrl` and
`StandardErrorUrl`: their `...Content` members hold only the first 24,000 and 8,000
characters, the link the whole output the server stored. A link is

    BASE/v1/commands/{command_id}/invocations/{instance_id}/{stream}?plugin=P&expires=T&signature=S

where BASE is the server's public URL, `stream` is `stdout` or `stderr`, `expires` a Unix time
`lifetime` after the link was made, and `signature` the hex HMAC-SHA256 of the command id,
instance id, plugin, stream and expiry (a JSON array, so no value can run into the next) under
a key derived from the master key file (`MasterKeys.derived`). Anyone holding the link may read
that one stream until it expires, as with S3's pre-signed URLs, and nothing else.

Why an HMAC token and not a SigV4 pre-signed URL: the link then names no access key and needs
none at hand where it is made, stays as short-lived as the server says, and every replica that
shares the master key file (which they must) checks it without a new secret to distribute.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Sequence
from datetime import timedelta
from enum import StrEnum
from urllib.parse import quote, urlencode

from transom.domain.clock import Clock
from transom.domain.errors import (
    InvocationDoesNotExistError,
    OutputGoneError,
    OutputLinkRefusedError,
)
from transom.services.commands import CommandService

PATH = "/v1/commands/{command_id}/invocations/{instance_id}/{stream}"
"""The route a link names (a Starlette path pattern, and the link's format)."""
LABEL = b"transom output links v1"
"""The label the links' keys are derived under (`MasterKeys.derived`)."""
LinkKeys = Callable[[], Sequence[bytes]]
"""The keys to sign with (the first) and to accept (any)."""


class OutputStream(StrEnum):
    STDOUT = "stdout"
    STDERR = "stderr"


class OutputLinks:
    """Makes links to invocations' output and reads the output a valid link names."""

    def __init__(
        self,
        commands: CommandService,
        keys: LinkKeys,
        base_url: str,
        clock: Clock,
        lifetime: timedelta = timedelta(hours=1),
    ) -> None:
        self._commands = commands
        self._keys = keys
        self._base_url = base_url.rstrip("/")
        self._clock = clock
        self._lifetime = lifetime

    def url(self, command_id: str, instance_id: str, plugin: str, stream: OutputStream) -> str:
        """A link to `stream` of `plugin` of the invocation, valid for the lifetime from now."""
        expires = str(int((self._clock.now() + self._lifetime).timestamp()))
        signature = _sign(self._keys()[0], command_id, instance_id, plugin, stream, expires)
        path = PATH.format(
            command_id=quote(command_id, safe=""),
            instance_id=quote(instance_id, safe=""),
            stream=stream.value,
        )
        query = urlencode({"plugin": plugin, "expires": expires, "signature": signature})
        return f"{self._base_url}{path}?{query}"

    def read(
        self,
        command_id: str,
        instance_id: str,
        stream: str,
        plugin: str | None,
        expires: str | None,
        signature: str | None,
    ) -> str:
        """The whole stored output a link names (its path's parts and its query's values,
        decoded). `OutputLinkRefusedError` when this server did not sign exactly these values
        or the link expired; `OutputGoneError` when the invocation is no longer kept."""
        if plugin is None or expires is None or signature is None:
            raise OutputLinkRefusedError(
                "This output link lacks plugin, expires or signature: use the whole "
                "StandardOutputUrl or StandardErrorUrl GetCommandInvocation answers."
            )
        valid = signature.isascii() and any(
            hmac.compare_digest(
                _sign(key, command_id, instance_id, plugin, stream, expires), signature
            )
            for key in self._keys()
        )
        if not valid:
            raise OutputLinkRefusedError(
                "This output link was not made by this server or was altered: use the whole "
                "StandardOutputUrl or StandardErrorUrl GetCommandInvocation answers."
            )
        if int(expires) < self._clock.now().timestamp():
            raise OutputLinkRefusedError(
                "This output link has expired: call GetCommandInvocation again for a new one."
            )
        try:
            invocation, _ = self._commands.invocation(command_id, instance_id)
        except InvocationDoesNotExistError as exc:
            raise OutputGoneError(
                f"The invocation of command {command_id} on {instance_id} is no longer kept."
            ) from exc
        # A signed `stream` is one of OutputStream's. The plugin's own output when its agent
        # reported the steps apart; else (one step, or the invocation as a whole) the
        # invocation's.
        reported = self._commands.plugins(command_id, instance_id).get(instance_id, [])
        source = next((p for p in reported if p.name == plugin), invocation)
        return source.stdout if stream == OutputStream.STDOUT else source.stderr


def _sign(
    key: bytes, command_id: str, instance_id: str, plugin: str, stream: str, expires: str
) -> str:
    message = json.dumps([command_id, instance_id, plugin, stream, expires])
    return hmac.digest(key, message.encode(), "sha256").hex()
