"""Secrets (the sync token, the replica's key) in the OS keyring, never in a plain file.

One interface over ``keyring`` for every secret fieldapp keeps, used by the store (the
replica's key) and by the sync client (the token, through ``sync/credentials.py``).

Only a *secure* backend is used: the OS keyrings (Secret Service, KWallet, macOS
Keychain, Windows Credential Locker) and any other backend a user installed, except
those that write secrets to a file in plain text (keyrings.alt's ``PlaintextKeyring``
and its kind) and the fail/null backends. When the configured backend is keyring's
chainer (several backends installed), the first secure one among them is used
directly, so a plaintext backend in the chain is never read or written.

Without a secure backend a secret can be kept in memory for this process only
(:meth:`Secrets.put` says whether it was); :func:`keyring_status` says why, in words
for the user.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Literal

import keyring
import keyring.backend
import keyring.errors
from keyring.backends import chainer, fail

SERVICE_PREFIX = "fieldapp:"

Where = Literal["keyring", "memory"]


@dataclass(frozen=True)
class KeyringStatus:
    """The keyring backend fieldapp would keep secrets in, and whether it may."""

    backend: str  # dotted class name of the backend in use (the chosen one in a chain)
    secure: bool
    problem: str | None  # why it is not used, a phrase for the user (None when secure)


def _name(backend: object) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def _priority(backend: keyring.backend.KeyringBackend) -> float:
    try:
        return float(backend.priority)
    except Exception:  # a backend whose viability probe fails is not usable
        return -1.0


def _is_plaintext(backend: keyring.backend.KeyringBackend) -> bool:
    # keyrings.alt's file and PyFilesystem backends that store secrets as written are
    # called PlaintextKeyring and declare the scheme "no encyption" (sic); forks and
    # look-alikes use the same words.
    scheme = str(getattr(backend, "scheme", "")).lower()
    return "plaintext" in type(backend).__name__.lower() or scheme.startswith("no enc")


def _judge(backend: keyring.backend.KeyringBackend) -> str | None:
    """Why ``backend`` must not hold secrets; None when it may."""
    if isinstance(backend, fail.Keyring) or _priority(backend) <= 0:
        return "no keyring backend is available"
    if _is_plaintext(backend):
        where = getattr(backend, "file_path", None)
        place = f" ({where})" if where else ""
        return f"the keyring backend {_name(backend)} writes secrets to a file unencrypted{place}"
    return None


def _choose() -> tuple[keyring.backend.KeyringBackend | None, KeyringStatus]:
    configured = keyring.get_keyring()
    candidates = (
        list(configured.backends) if isinstance(configured, chainer.ChainerBackend) else []
    ) or [configured]
    problems = []
    for backend in candidates:
        problem = _judge(backend)
        if problem is None:
            return backend, KeyringStatus(_name(backend), True, None)
        problems.append(problem)
    return None, KeyringStatus(_name(candidates[0]), False, problems[0])


def keyring_status() -> KeyringStatus:
    """Which backend holds fieldapp's secrets, or why none does."""
    return _choose()[1]


class KeyringUnavailable(Exception):
    """The keyring backend failed to answer (e.g. it is locked)."""

    def __init__(self, backend: str, error: Exception) -> None:
        kind = type(error).__name__
        super().__init__(f"the keyring ({backend}) did not answer ({kind}); is it locked?")


class Secrets:
    """Secrets by (service, name): in the secure keyring, else in memory for this process.

    One per process (:data:`SECRETS`), so a secret kept in memory is seen by every
    part of the program that asks for it. Keyring errors (a locked keyring, a backend
    that fails) count as "not stored"; they are never raised.
    """

    def __init__(self) -> None:
        self._memory: dict[tuple[str, str], str] = {}

    def put(self, service: str, name: str, value: str, *, memory_fallback: bool = True) -> bool:
        """Store ``value``; True when it is in the keyring.

        False when no secure keyring took it: then it is kept in memory for this
        process if ``memory_fallback``, else not at all.
        """
        backend, _status = _choose()
        if backend is not None:
            try:
                backend.set_password(service, name, value)
            except keyring.errors.KeyringError:
                pass
            else:
                self._memory.pop((service, name), None)
                return True
        if memory_fallback:
            self._memory[(service, name)] = value
        return False

    def get(self, service: str, name: str, *, strict: bool = False) -> str | None:
        """The secret, or None when there is none.

        With ``strict`` a keyring that fails to answer (locked, its service gone) raises
        :class:`KeyringUnavailable` instead, so a caller can tell "not there" from
        "cannot ask now".
        """
        if (service, name) in self._memory:
            return self._memory[(service, name)]
        backend, _status = _choose()
        if backend is None:
            return None
        try:
            return backend.get_password(service, name)
        except keyring.errors.KeyringError as exc:
            if strict:
                raise KeyringUnavailable(_name(backend), exc) from exc
            return None

    def where(self, service: str, name: str) -> Where | None:
        """Where the secret is kept now, if anywhere."""
        if (service, name) in self._memory:
            return "memory"
        return "keyring" if self.get(service, name) is not None else None

    def delete(self, service: str, name: str) -> None:
        self._memory.pop((service, name), None)
        backend, _status = _choose()
        if backend is None:
            return
        with contextlib.suppress(keyring.errors.KeyringError):
            backend.delete_password(service, name)


SECRETS = Secrets()
