"""The test suite's keyring backend: in memory (a real keyring backend, not a mock).

Every test runs with it (tests/conftest.py). Processes a test starts (the CLI, a
sync client killed on purpose) load the same backend through
``PYTHON_KEYRING_BACKEND`` and share its entries through the JSON file that
``FIELDAPP_TEST_KEYRING`` names: they hold the secrets of the tests' own replicas
and test servers, nobody's real ones.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import keyring.backend

ENV_FILE = "FIELDAPP_TEST_KEYRING"
BACKEND = f"{__name__}.MemoryKeyring"


class MemoryKeyring(keyring.backend.KeyringBackend):
    """Secrets in a dict; mirrored to ``mirror`` (or $FIELDAPP_TEST_KEYRING) if given."""

    priority = 1  # type: ignore[assignment]

    def __init__(self, mirror: Path | None = None) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}
        path = mirror or os.environ.get(ENV_FILE)
        self.mirror = Path(path) if path else None

    def _load(self) -> None:
        if self.mirror is not None and self.mirror.exists():
            entries = json.loads(self.mirror.read_text(encoding="utf-8"))
            self.store = {(service, name): value for service, name, value in entries}

    def _save(self) -> None:
        if self.mirror is None:
            return
        tmp = self.mirror.with_name(f"{self.mirror.name}.{os.getpid()}.tmp")
        entries = [[service, name, value] for (service, name), value in self.store.items()]
        tmp.write_text(json.dumps(entries), encoding="utf-8")
        tmp.replace(self.mirror)

    def get_password(self, service: str, username: str) -> str | None:
        self._load()
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._load()
        self.store[(service, username)] = password
        self._save()

    def delete_password(self, service: str, username: str) -> None:
        self._load()
        self.store.pop((service, username), None)
        self._save()

    def keep_only(self, service: str) -> None:
        """Forget every entry but those of ``service`` (between tests)."""
        self._load()
        self.store = {k: v for k, v in self.store.items() if k[0] == service}
        self._save()
