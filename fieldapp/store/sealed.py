"""Side files as private as the replica: sealed with a key derived from the replica's.

A cache of replica data kept beside the replica (the map's markers, with every
account's name and position) must not undo its encryption at rest. :class:`Sealer`
encrypts and authenticates such a file with AES-256-GCM under a key derived (HKDF,
SHA-256) from the replica's own key and the file's purpose, so each file has its
own key and nothing new is kept in the keyring. A plain replica (no secure keyring)
gets plain side files, written 0600 like the replica itself. A file that does not
open (another key, damaged, tampered with) reads as missing: it is only a cache.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from fieldapp.store import private

SEALED = b"FASEAL1\n"
PLAIN = b"FAPLAIN1\n"
NONCE_BYTES = 12


class Sealer:
    """Writes and reads one purpose's side files."""

    def __init__(self, replica_key: bytes | None, purpose: str) -> None:
        self._aead: AESGCM | None = None
        self._purpose = purpose.encode()
        if replica_key is not None:
            derived = HKDF(
                algorithm=hashes.SHA256(), length=32, salt=None, info=b"fieldapp:" + self._purpose
            ).derive(replica_key)
            self._aead = AESGCM(derived)

    @property
    def encrypted(self) -> bool:
        return self._aead is not None

    def seal(self, data: bytes) -> bytes:
        if self._aead is None:
            return PLAIN + data
        nonce = os.urandom(NONCE_BYTES)
        return SEALED + nonce + self._aead.encrypt(nonce, data, self._purpose)

    def unseal(self, blob: bytes) -> bytes | None:
        """The data, or None when the blob is not this sealer's (or was changed)."""
        if self._aead is None:
            return blob[len(PLAIN) :] if blob.startswith(PLAIN) else None
        if not blob.startswith(SEALED):
            return None  # e.g. written while the replica was still plain
        nonce = blob[len(SEALED) : len(SEALED) + NONCE_BYTES]
        try:
            return self._aead.decrypt(nonce, blob[len(SEALED) + NONCE_BYTES :], self._purpose)
        except InvalidTag:
            return None

    def write(self, path: Path, data: bytes) -> None:
        """Replace ``path`` atomically (a reader sees the old file or the new one)."""
        partial = path.with_name(path.name + ".partial")
        partial.unlink(missing_ok=True)
        private.private_file(partial)
        partial.write_bytes(self.seal(data))
        partial.replace(path)

    def read(self, path: Path) -> bytes | None:
        try:
            blob = path.read_bytes()
        except OSError:
            return None
        return self.unseal(blob)
