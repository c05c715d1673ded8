"""The sync token in the OS keyring (never in a file in plain text).

With no usable keyring backend the token is kept in memory, for this process only, and
:meth:`Credentials.save` says so.
"""

from __future__ import annotations

import contextlib

import keyring
import keyring.errors
from keyring.backends import fail

SERVICE_PREFIX = "fieldapp:"


def keyring_usable() -> bool:
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring):
        return False
    try:
        return float(getattr(backend, "priority", 1)) > 0
    except Exception:  # a backend whose priority probe fails is not usable
        return False


class Credentials:
    def __init__(self) -> None:
        self._memory: dict[tuple[str, str], str] = {}

    @staticmethod
    def _service(server: str) -> str:
        return SERVICE_PREFIX + server.rstrip("/")

    def save(self, server: str, username: str, token: str) -> bool:
        """Store the token; False when it could only be kept in memory."""
        self._memory[(server, username)] = token
        if not keyring_usable():
            return False
        try:
            keyring.set_password(self._service(server), username, token)
        except keyring.errors.KeyringError:
            return False
        return True

    def load(self, server: str, username: str) -> str | None:
        if (server, username) in self._memory:
            return self._memory[(server, username)]
        if not keyring_usable():
            return None
        try:
            return keyring.get_password(self._service(server), username)
        except keyring.errors.KeyringError:
            return None

    def delete(self, server: str, username: str) -> None:
        self._memory.pop((server, username), None)
        if not keyring_usable():
            return
        with contextlib.suppress(keyring.errors.KeyringError):
            keyring.delete_password(self._service(server), username)
