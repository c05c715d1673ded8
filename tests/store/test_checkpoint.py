"""The WAL checkpoint after a bulk commit runs on the replica's own thread.

It must lose nothing, must not make the next write fail as locked, and must be
finished when the replica closes.
"""

from __future__ import annotations

import threading
from contextlib import closing
from pathlib import Path

import pytest

from fieldapp.store import db as store_db
from fieldapp.store import encryption, search, services
from fieldapp.store.db import DB_FILENAME, Replica, open_replica

ROWS = 3000  # a few MB of WAL: far above the 1000-page autocheckpoint


def accounts(n: int, tag: str) -> list[dict[str, str]]:
    return [{"name": f"{tag} {i}", "city": "Ulm", "description": "x" * 200} for i in range(n)]


def test_bulk_commit_leaves_the_checkpoint_to_the_background_thread(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    requests: list[object] = []
    monkeypatch.setattr(store_db._Checkpointer, "request", lambda self: requests.append(self))
    replica = open_replica(data_dir)
    before = (data_dir / DB_FILENAME).stat().st_size
    with replica.session() as s:
        services.bulk_create(s, "accounts", accounts(ROWS, "Bulk"))
    # The commit did not copy the WAL into the database file; the thread was asked to.
    assert (data_dir / DB_FILENAME).stat().st_size == before
    assert len(requests) == 1
    with replica.engine.connect() as conn:
        # The pooled connection checkpoints its own commits again.
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000
    monkeypatch.undo()
    replica._checkpointer.request()
    done = replica.wait_for_checkpoint()
    assert done is not None and not done.busy
    assert done.checkpointed_frames == done.log_frames > 0
    assert (data_dir / DB_FILENAME).stat().st_size > before + ROWS * 200
    replica.close()


def test_small_writes_keep_checkpointing_at_commit(replica: Replica) -> None:
    with replica.session() as s:
        services.bulk_create(s, "accounts", accounts(search.BULK_INDEX_THRESHOLD - 1, "Few"))
        services.create(s, "accounts", {"name": "One"})
    assert replica.wait_for_checkpoint() is None


def test_writes_and_reads_during_the_checkpoint_succeed_and_nothing_is_lost(
    data_dir: Path,
) -> None:
    replica = open_replica(data_dir)
    with replica.session() as s:
        first = services.bulk_create(s, "accounts", accounts(ROWS, "First"))
    # Straight after the commit, while the checkpoint thread copies the WAL: a
    # second bulk insert, single writes and reads from another thread.
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            for _ in range(20):
                with replica.read_session() as s:
                    assert services.count(s, "accounts") >= ROWS
        except BaseException as exc:  # reported below
            errors.append(exc)

    thread = threading.Thread(target=reader)
    thread.start()
    with replica.session() as s:
        second = services.bulk_create(s, "accounts", accounts(ROWS, "Second"))
    singles = []
    for i in range(20):
        with replica.session() as s:
            singles.append(services.create(s, "accounts", {"name": f"Single {i}"}))
    thread.join()
    assert not errors
    replica.close()  # waits for the checkpoint thread
    assert not replica._checkpointer._thread or not replica._checkpointer._thread.is_alive()

    with closing(encryption.connect_file(data_dir / DB_FILENAME)) as con:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        ids = {row[0] for row in con.execute("SELECT id FROM accounts")}
        entries = con.execute("SELECT count(*) FROM outbox").fetchone()[0]
    assert ids == set(first) | set(second) | set(singles)
    assert entries == 2 * ROWS + 20
    again = open_replica(data_dir)
    with again.read_session() as s:
        assert len(search.search_ids(s, "accounts", "second", limit=ROWS + 1)) == ROWS
    again.close()


def test_a_failed_bulk_transaction_asks_for_no_checkpoint(replica: Replica) -> None:
    with pytest.raises(RuntimeError), replica.session() as s:
        services.bulk_create(s, "accounts", accounts(ROWS, "Gone"))
        raise RuntimeError("abort")
    assert replica.wait_for_checkpoint() is None
    with replica.read_session() as s:
        assert services.count(s, "accounts") == 0
    with replica.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000
