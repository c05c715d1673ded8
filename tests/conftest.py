"""Shared fixtures: a real replica in a fresh data dir per test, a keyring.

Every test runs with the in-memory keyring of tests/testkeyring.py, so replicas are
encrypted as on a user's machine; processes a test starts share it (through the
environment). After every test, each replica the test left under its tmp_path is checked for the
outbox invariant: every record created on the device and not yet synced has exactly
one insert entry, and no record has more than one.
"""

from __future__ import annotations

import os
import sys

# Qt tests run offscreen; QtWebEngine (the map) refuses its sandbox as root and has no GPU.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox --disable-gpu")

from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import keyring
import pytest

from fieldapp.store import encryption
from fieldapp.store.db import DB_FILENAME, Replica, open_replica
from fieldapp.store.models import ENTITIES
from tests import testkeyring
from tests.testkeyring import MemoryKeyring

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="session")
def _suite_keyring(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MemoryKeyring]:
    mirror = tmp_path_factory.getbasetemp() / "keyring.json"
    backend = MemoryKeyring(mirror)
    previous = keyring.get_keyring()
    with pytest.MonkeyPatch.context() as env:
        env.setenv(testkeyring.ENV_FILE, str(mirror))
        env.setenv("PYTHON_KEYRING_BACKEND", testkeyring.BACKEND)
        env.setenv(
            "PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        )
        keyring.set_keyring(backend)
        yield backend
    keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def memory_keyring(_suite_keyring: MemoryKeyring) -> Iterator[MemoryKeyring]:
    """The suite's keyring, in place for this test (a test may swap in another)."""
    keyring.set_keyring(_suite_keyring)
    yield _suite_keyring
    keyring.set_keyring(_suite_keyring)
    # Sign-ins do not outlive their test; replica keys do (a module's fixtures may
    # keep a replica for several tests).
    _suite_keyring.keep_only(encryption.KEY_SERVICE)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def replica(data_dir: Path) -> Iterator[Replica]:
    rep = open_replica(data_dir)
    yield rep
    rep.close()


def outbox_violations(db: Path) -> list[str]:
    """Records in ``db`` whose outbox insert entries are not exactly one."""
    problems = []
    with closing(encryption.connect_file(db)) as con:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "outbox" not in tables:
            return []
        # A demo sandbox's made-up records have no entries (store/sandbox.py); what a
        # person adds there still has exactly one.
        sandboxed = (
            "sync_state" in tables
            and con.execute("SELECT 1 FROM sync_state WHERE key = 'sandbox'").fetchone()
        )
        for entity in ENTITIES:
            if entity not in tables or entity == "pipeline_stages":  # stages come seeded
                continue
            rows = con.execute(
                f"SELECT t.id, t.server_version, count(o.seq) FROM {entity} t "
                "LEFT JOIN outbox o ON o.row_id = t.id AND o.op = 'insert' GROUP BY t.id"
            )
            for row_id, server_version, inserts in rows:
                missing = server_version is None and inserts == 0 and not sandboxed
                if inserts > 1 or missing:
                    problems.append(f"{entity} {row_id}: {inserts} insert entries")
    return problems


@pytest.fixture(autouse=True)
def _outbox_invariant(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if request.node.get_closest_marker("outbox_unchecked"):
        return
    for db in tmp_path.rglob(DB_FILENAME):
        try:
            problems = outbox_violations(db)
        except encryption.Error:
            continue  # tests that damage a replica on purpose
        assert not problems, f"{db}: " + "; ".join(problems[:5])


@pytest.fixture(autouse=True)
def _collector_as_usual() -> Iterator[None]:
    """Undo a window's frozen collector (ui/collector.py) after every test, not only the
    UI tests': the sync tests open windows too, and a later test of the pull's own
    freezing (test_initial_sync) must start from an unfrozen heap."""
    yield
    collector = sys.modules.get("fieldapp.ui.collector")
    if collector is not None:
        collector.stop()
