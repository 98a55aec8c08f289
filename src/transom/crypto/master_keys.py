"""The master keys that seal access-key secrets at rest (AES-256-GCM).

A master key file holds one key per line (base64 of 32 random bytes), the current key first.
A key's id is `mk-` and the first 16 hex digits of its SHA-256, so the file carries no ids
and one key has the same id everywhere. A secret is sealed with a random 96-bit nonce and
its access key id as associated data (a sealed secret copied into another key's row does not
open); the ciphertext is the nonce followed by AES-GCM's output.

The default file is `master-key` in the data directory, made on first use (mode 0600, whole
or not at all); replicas sharing a PostgreSQL database must share one (`--master-key-file`).
A database dump or backup alone therefore reveals no secret. Rotation writes the file with a
new key first (`add_new`), re-seals every secret under it (the key service, one transaction),
then writes the file with the new key alone (`retire_old`): at every step the file opens
every secret the database holds. The file is re-read when it changes, so running servers
seal with the current key and open secrets a rotation re-sealed.

The same file yields keys for other uses (`derived`): HMAC-SHA256 of a label under each master
key, so replicas that share the file share them, with no file of their own.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from transom.domain.secret_files import read_or_create, replace_private
from transom.domain.windows import SealedSecret

_KEY_BYTES = 32
_NONCE_BYTES = 12


class UnknownMasterKey(ValueError):
    """A secret is sealed under a master key the file does not hold, or does not open."""


def key_id(key: bytes) -> str:
    return "mk-" + hashlib.sha256(key).hexdigest()[:16]


class MasterKeys:
    """The keys of one master key file; thread-safe (a reload swaps one frozen record)."""

    def __init__(self, path: Path) -> None:
        """The keys of `path`, read (or made there: one new key, mode 0600) on first use;
        `ValueError` saying what is wrong with a file that holds no valid key."""
        self.path = path
        self._state = _Keys(None, {}, "", ())

    @property
    def current_id(self) -> str:
        return self._reload().current

    def seal(self, access_key_id: str, secret: str) -> SealedSecret:
        """`secret` sealed under the current key."""
        keys = self._reload()
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = keys.ciphers[keys.current].encrypt(nonce, secret.encode(), access_key_id.encode())
        return SealedSecret(keys.current, nonce + sealed)

    def open(self, access_key_id: str, sealed: SealedSecret) -> str:
        """The secret `sealed` holds (plain text when it was stored before sealing);
        `UnknownMasterKey` when the file lacks its key, or the key does not open it."""
        if sealed.master_key_id is None:
            return sealed.ciphertext.decode()
        key = self._state.ciphers.get(sealed.master_key_id)
        if key is None:
            key = self._reload().ciphers.get(sealed.master_key_id)
        if key is None:
            raise UnknownMasterKey(
                f"access key {access_key_id} is sealed under master key {sealed.master_key_id}, "
                f"which {self.path} does not hold: give every server the master key file the "
                "database's keys were sealed with (--master-key-file)"
            )
        nonce, body = sealed.ciphertext[:_NONCE_BYTES], sealed.ciphertext[_NONCE_BYTES:]
        try:
            return key.decrypt(nonce, body, access_key_id.encode()).decode()
        except InvalidTag:
            raise UnknownMasterKey(
                f"access key {access_key_id}'s sealed secret does not open with master key "
                f"{sealed.master_key_id}: the database row was altered"
            ) from None

    def derived(self, label: bytes) -> list[bytes]:
        """32-byte keys for the use `label` names, one per master key, the current one's
        first: sign with the first, accept any (a rotation under way keeps older ones valid)."""
        return [hmac.digest(key, label, "sha256") for key in self._reload().keys]

    def add_new(self) -> str:
        """Make a new key the current one, keeping the others (rotation's first step); its
        id."""
        new = secrets.token_bytes(_KEY_BYTES)
        old = b"".join(line + b"\n" for line in self.path.read_bytes().splitlines() if line)
        replace_private(self.path, _line(new) + old)
        self._reload()
        return key_id(new)

    def retire_old(self) -> list[str]:
        """Keep only the current key in the file (rotation's last step); the ids retired."""
        lines = [line for line in self.path.read_bytes().splitlines() if line.strip()]
        retired = [key_id(_decode(line, self.path)) for line in lines[1:]]
        replace_private(self.path, lines[0] + b"\n")
        self._reload()
        return retired

    def _reload(self) -> _Keys:
        """The keys, read again if the file changed since it was last read."""
        if self._state.seen is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            read_or_create(self.path, lambda: _line(secrets.token_bytes(_KEY_BYTES)))
        info = self.path.stat()
        seen = (info.st_ino, info.st_mtime_ns, info.st_size)
        if seen == self._state.seen:
            return self._state
        lines = [line for line in self.path.read_bytes().splitlines() if line.strip()]
        if not lines:
            raise ValueError(f"{self.path} holds no master key")
        keys = [_decode(line, self.path) for line in lines]
        ciphers = {key_id(key): AESGCM(key) for key in keys}
        self._state = _Keys(seen, ciphers, key_id(keys[0]), tuple(keys))
        return self._state


@dataclass(frozen=True)
class _Keys:
    seen: tuple[int, int, int] | None
    """The file's inode, modification time and size when read."""
    ciphers: dict[str, AESGCM]
    current: str
    keys: tuple[bytes, ...]
    """The raw keys, the current one first."""


def _line(key: bytes) -> bytes:
    return base64.b64encode(key) + b"\n"


def _decode(line: bytes, path: Path) -> bytes:
    try:
        key = base64.b64decode(line.strip(), validate=True)
    except binascii.Error:
        key = b""
    if len(key) != _KEY_BYTES:
        raise ValueError(f"{path} is not a master key file: each line is base64 of 32 bytes")
    return key
