"""The sync token, kept through the store's one secrets interface (``store/secrets.py``).

In the OS keyring when a secure backend is there; otherwise in memory, for this process
only, and :meth:`Credentials.save` says so. Never in a file in plain text.
"""

from __future__ import annotations

from fieldapp.store.secrets import SECRETS, SERVICE_PREFIX, Secrets, Where


class Credentials:
    def __init__(self, secrets: Secrets = SECRETS) -> None:
        self._secrets = secrets

    @staticmethod
    def _service(server: str) -> str:
        return SERVICE_PREFIX + server.rstrip("/")

    def save(self, server: str, username: str, token: str) -> bool:
        """Store the token; False when it could only be kept in memory."""
        return self._secrets.put(self._service(server), username, token)

    def load(self, server: str, username: str) -> str | None:
        return self._secrets.get(self._service(server), username)

    def where(self, server: str, username: str) -> Where | None:
        """Where the token is kept now ("keyring", "memory"), None when there is none."""
        return self._secrets.where(self._service(server), username)

    def delete(self, server: str, username: str) -> None:
        self._secrets.delete(self._service(server), username)


# The one instance: the sign-in, the sync and the status bar's account line share it.
# Here, not in sync/account.py, so that asking where the token is kept (every start-up)
# does not import the sync engine and its HTTP client.
CREDENTIALS = Credentials()
