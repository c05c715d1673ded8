"""The pull cursor never skips a change that commits late (PostgreSQL, concurrent writers)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from fieldapp.server import admin, auth, sync
from fieldapp.server.db import Database, next_seqs
from fieldapp.server.models import Record
from fieldapp.sync.protocol import Mutation
from tests.syncutil import PASSWORD, database_url


@pytest.fixture
def pg(tmp_path: Path) -> Iterator[Database]:
    with database_url("postgresql", tmp_path) as url:
        database = Database.open(url)
        try:
            yield database
        finally:
            database.close()


def _boss(db: Database) -> auth.Principal:
    admin.add_user(db, "boss", PASSWORD, "admin")
    token = auth.login(db, "boss", PASSWORD).token
    with db.session() as s:
        return auth.authenticate(s, token)


def _account(name: str) -> Mutation:
    return Mutation(
        mutation_id=str(uuid.uuid4()),
        entity="accounts",
        row_id=str(uuid.uuid4()),
        op="insert",
        changes={"name": [None, name]},
    )


def _pull_all(db: Database, who: auth.Principal, cursor: int) -> tuple[list[dict], int]:
    out = []
    while True:
        body = json.loads(sync.pull(db, who, cursor, 500, 0, False))
        out += body["changes"]
        cursor = body["cursor"]
        if not body["more"]:
            return out, cursor


def test_a_writer_numbered_after_an_open_transaction_waits_for_it(pg: Database) -> None:
    boss = _boss(pg)
    _, cursor = _pull_all(pg, boss, 0)
    late = str(uuid.uuid4())
    with pg.session() as slow:
        seq = next_seqs(slow, 1)
        slow.add(Record(id=late, entity="accounts", version=seq, data="{}", deleted=False))
        slow.flush()
        fast = threading.Thread(target=sync.push, args=(pg, boss, [_account("fast")]))
        fast.start()
        time.sleep(0.3)
        assert fast.is_alive()  # it cannot take a number before the open one commits
        seen, cursor_mid = _pull_all(pg, boss, cursor)
        assert seen == [] and cursor_mid == cursor
    fast.join(10)
    seen, _ = _pull_all(pg, boss, cursor_mid)
    assert next(c["id"] for c in seen) == late and len(seen) == 2


def test_concurrent_pushes_and_an_incremental_reader_see_every_change_once(
    pg: Database,
) -> None:
    boss = _boss(pg)
    _, start = _pull_all(pg, boss, 0)
    written: list[str] = []
    lock = threading.Lock()
    done = threading.Event()

    def writer(n: int) -> None:
        for i in range(25):
            batch = [_account(f"w{n}-{i}-{j}") for j in range(2)]
            results = sync.push(pg, boss, batch)
            # "merged": the server adds the owner these raw pushes leave out.
            assert {r.status for r in results} == {"merged"}
            with lock:
                written.extend(m.row_id for m in batch)

    seen: list[str] = []

    def reader() -> None:
        cursor = start
        while True:
            finished = done.is_set()
            changes, cursor = _pull_all(pg, boss, cursor)
            seen.extend(c["id"] for c in changes)
            if finished:
                return

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    read = threading.Thread(target=reader)
    read.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    read.join()
    assert len(written) == 400
    assert sorted(seen) == sorted(written)  # nothing skipped, nothing twice
