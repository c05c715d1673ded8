"""Initial sync: chunked, with progress, resumable after a crash."""

from __future__ import annotations

import contextlib
import csv
import gc
import json
import sqlite3
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from fieldapp.server import admin
from fieldapp.server.db import next_seqs
from fieldapp.server.models import Record
from fieldapp.store import encryption
from fieldapp.store.types import utcnow
from fieldapp.sync import apply, incoming
from fieldapp.sync.engine import CATCH_UP_CHUNKS, Progress, SyncEngine
from fieldapp.sync.errors import SyncError
from fieldapp.sync.protocol import MAX_PULL_LIMIT
from tests.store.test_last_visits import kept_and_asked
from tests.sync.conftest import World
from tests.sync.test_sync_flow import get, ids_of, setup_two_territories
from tests.syncutil import index_names


class Crash(Exception):
    pass


def import_server_accounts(world: World, n: int, name: str = "a.csv") -> None:
    """Load ``n`` accounts into the server (postcode N1: alice's territory) by CSV."""
    path = world.tmp_path / name
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "city", "postcode"])
        for i in range(n):
            # Named after the file: a second file of the same names and addresses
            # would update these accounts instead of adding new ones.
            writer.writerow([f"Account {i:04d} of {name}", "Leeds", "N1"])
    admin.import_accounts(world.db, path)


def test_initial_sync_resumes_from_last_checkpoint(world: World) -> None:
    setup_two_territories(world)
    import_server_accounts(world, 230)
    alice, engine = world.client("alice")
    seen: list[Progress] = []

    def crash_after_three_chunks(p: Progress) -> None:
        seen.append(p)
        if p.phase == "pull" and len(seen) == 3:
            raise Crash

    engine.progress = crash_after_three_chunks
    with pytest.raises(Crash):
        engine.sync()
    assert [p.done for p in seen] == [50, 100, 150]
    assert all(p.total is not None and p.total >= 230 for p in seen)
    assert 140 <= len(ids_of(alice, "accounts")) <= 150  # chunks also carry users, territories

    resumed: list[Progress] = []
    report = SyncEngine(alice, engine.transport, progress=resumed.append, chunk_size=50).sync()
    assert report.pulled < 230 - 100  # started from the checkpoint, not from zero
    assert len(ids_of(alice, "accounts")) == 230
    assert resumed[-1].done == report.pulled


def test_a_big_first_sync_builds_the_indexes_after_the_last_chunk(world: World) -> None:
    setup_two_territories(world)
    import_server_accounts(world, 230)
    alice, engine = world.client("alice")
    engine.index_later_from = 200
    full = index_names(alice.db_path)
    assert "ix_accounts_territory_id" in full
    during: list[set[str]] = []
    engine.progress = lambda p: during.append(index_names(alice.db_path))
    engine.sync()
    assert len(during) > 2 and all("ix_accounts_territory_id" not in names for names in during)
    assert index_names(alice.db_path) == full
    with alice.read_session() as s:  # the rebuilt index answers the query it is there for
        plan = s.execute(
            text("EXPLAIN QUERY PLAN SELECT id FROM accounts WHERE territory_id = 'x'")
        ).all()
    assert "ix_accounts_territory_id" in str(plan)

    # A later pull (the cursor is past zero) leaves the indexes alone.
    during.clear()
    engine.sync()
    assert all(names == full for names in during)


def test_long_catch_up_is_pulled_in_bigger_chunks_each_a_checkpoint(world: World) -> None:
    setup_two_territories(world)
    import_server_accounts(world, 1000)
    alice, engine = world.client("alice")
    seen: list[Progress] = []

    def crash_after_four_chunks(p: Progress) -> None:
        seen.append(p)
        if len(seen) == 4:
            raise Crash

    engine.progress = crash_after_four_chunks
    with pytest.raises(Crash):
        engine.sync()
    total = seen[0].total
    assert total is not None and total >= 1000
    grown = total // CATCH_UP_CHUNKS
    assert grown > engine.chunk_size
    assert [p.done for p in seen] == [50, 50 + grown, 50 + 2 * grown, 50 + 3 * grown]

    # Each grown chunk was its own checkpoint: the resumed sync starts after the fourth.
    resumed: list[Progress] = []
    report = SyncEngine(alice, engine.transport, progress=resumed.append, chunk_size=50).sync()
    assert report.pulled == total - seen[-1].done
    assert len(ids_of(alice, "accounts")) == 1000

    # A small catch-up keeps the engine's chunk size.
    import_server_accounts(world, 120, "b.csv")
    steps: list[Progress] = []
    SyncEngine(alice, engine.transport, progress=steps.append, chunk_size=50).sync()
    assert [p.done for p in steps if p.phase == "pull"] == [50, 100, 120]


def test_chunks_never_grow_past_what_the_server_serves(world: World) -> None:
    setup_two_territories(world)
    _, engine = world.client("alice")
    assert engine.chunk_limit(10**9) == MAX_PULL_LIMIT
    assert incoming.decode(engine.transport.pull_body(0, MAX_PULL_LIMIT, 0)).more is False
    with pytest.raises(SyncError, match="refused"):
        engine.transport.pull_body(0, MAX_PULL_LIMIT + 1, 0)


def test_pull_freezes_older_objects_for_the_collector_and_lets_go_after(world: World) -> None:
    setup_two_territories(world)
    import_server_accounts(world, 120)
    _, engine = world.client("alice")
    frozen: list[int] = []

    def crash_in_second_chunk(p: Progress) -> None:
        frozen.append(gc.get_freeze_count())
        if len(frozen) == 2:
            raise Crash

    engine.progress = crash_in_second_chunk
    with pytest.raises(Crash):
        engine.sync()
    assert all(n > 0 for n in frozen)
    assert gc.get_freeze_count() == 0  # handed back, crash or not

    # A freeze made by someone else stays theirs: not widened (frozen objects that die
    # leave it, so the count can only shrink), not undone.
    gc.freeze()
    try:
        mine = gc.get_freeze_count()
        during: list[int] = []
        engine.progress = lambda p: during.append(gc.get_freeze_count())
        engine.sync()
        assert during and all(0 < n <= mine for n in during)
        assert 0 < gc.get_freeze_count() <= mine
    finally:
        gc.unfreeze()


def test_pulled_records_missing_fields_get_the_column_defaults(world: World) -> None:
    """A server may hold documents without every field (older clients, admin imports)."""
    t = setup_two_territories(world)
    acc, opp, task = (str(uuid.uuid4()) for _ in range(3))
    put_record(world, "accounts", acc, {"id": acc, "name": "Bare", "territory_id": t["north"],
                                        "description": None}, territory=t["north"])  # fmt: skip
    put_record(world, "opportunities", opp, {
        "id": opp, "account_id": acc, "name": "Deal", "stage": "Won", "amount": "12.30",
        "close_date": "2030-02-03", "created_at": "2030-01-02T10:00:00+01:00",
    }, account=acc, territory=t["north"])  # fmt: skip
    put_record(world, "tasks", task, {"id": task, "account_id": acc, "title": "Call"},
               account=acc, territory=t["north"])  # fmt: skip
    before = utcnow()
    alice, engine = world.client("alice")
    engine.sync()
    account = get(alice, "accounts", acc)
    assert account["type"] == "prospect" and account["status"] == "active"
    assert account["description"] is None
    assert before - timedelta(seconds=1) <= account["created_at"] <= utcnow()
    deal = get(alice, "opportunities", opp)
    assert deal["currency"] == "EUR" and deal["amount"] == Decimal("12.30")
    assert deal["close_date"] == date(2030, 2, 3)
    assert deal["created_at"] == datetime(2030, 1, 2, 9, 0, tzinfo=UTC)
    todo = get(alice, "tasks", task)
    assert (todo["done"], todo["priority"], todo["due_at"]) == (False, "normal", None)


def put_record(
    world: World,
    entity: str,
    row_id: str,
    data: dict[str, Any],
    account: str | None = None,
    territory: str | None = None,
) -> None:
    with world.db.session() as s:
        s.add(
            Record(
                id=row_id, entity=entity, version=next_seqs(s, 1), data=json.dumps(data),
                deleted=False, account_id=account or row_id if entity == "accounts" else account,
                territory_id=territory,
            )
        )  # fmt: skip


def test_pulled_timestamps_of_every_shape_are_stored_as_the_store_writes_them(
    world: World,
) -> None:
    """The staged insert reshapes UTC timestamps in SQL and hands the rest to Python."""
    t = setup_two_territories(world)
    acc = str(uuid.uuid4())
    put_record(world, "accounts", acc, {"id": acc, "name": "Stamps", "territory_id": t["north"]},
               territory=t["north"])  # fmt: skip
    shapes = {
        "2030-01-02T10:00:00+00:00": datetime(2030, 1, 2, 10, tzinfo=UTC),
        "2030-01-02T10:00:00.250000+00:00": datetime(2030, 1, 2, 10, 0, 0, 250000, tzinfo=UTC),
        "2030-01-02T12:30:00+02:00": datetime(2030, 1, 2, 10, 30, tzinfo=UTC),
        "2030-01-02T10:00:00Z": datetime(2030, 1, 2, 10, tzinfo=UTC),
        "2030-01-02T10:00:00": datetime(2030, 1, 2, 10, tzinfo=UTC),  # naive: taken as UTC
    }
    visits = {}
    for wire, expected in shapes.items():
        vid = str(uuid.uuid4())
        visits[vid] = expected
        put_record(world, "visits", vid, {"id": vid, "account_id": acc, "checkin_at": wire},
                   account=acc, territory=t["north"])  # fmt: skip
    alice, engine = world.client("alice")
    engine.sync()
    with contextlib.closing(encryption.connect_file(alice.db_path)) as raw:
        stored = dict(raw.execute("SELECT id, checkin_at FROM visits").fetchall())
    for vid, expected in visits.items():
        assert get(alice, "visits", vid)["checkin_at"] == expected
        # The text every other write path stores, so SQL comparisons and sorting agree.
        assert stored[vid] == expected.replace(tzinfo=None).isoformat(" ", "microseconds")


def test_a_pull_reply_that_cannot_be_read_is_a_sync_error_naming_it() -> None:
    with pytest.raises(SyncError, match="cannot read"):
        incoming.decode(b"<html>proxy error</html>")
    with pytest.raises(SyncError, match="cannot read"):
        incoming.decode(b'{"changes": [{"entity": "accounts", "id": "x", "version": "v"}]}')


@pytest.mark.parametrize("driver", [sqlite3, encryption.sqlcipher], ids=["sqlite3", "sqlcipher3"])
def test_none_binds_as_null_through_a_registered_adapter(driver: Any) -> None:
    """The engine spares the driver its slow adaptation detour for None (see incoming.py)."""
    assert driver.adapters.get((type(None), driver.PrepareProtocol)) is not None
    with contextlib.closing(driver.connect(":memory:")) as conn:
        conn.execute("CREATE TABLE t (a, b)")
        conn.executemany("INSERT INTO t VALUES (?, ?)", [(None, 1), (2, None)])
        assert conn.execute("SELECT a IS NULL, b IS NULL FROM t").fetchall() == [(1, 0), (0, 1)]


def test_pulled_visits_keep_their_accounts_last_visits(world: World) -> None:
    """A big pull inserts visits in bulk (the last-visit trigger deferred, store.last_visits);
    a later pull that moves a check-in earlier goes through the update trigger."""
    t = setup_two_territories(world)
    accounts = [str(uuid.uuid4()) for _ in range(3)]
    for acc in accounts:
        put_record(world, "accounts", acc, {"id": acc, "name": f"Visited {acc[:4]}",
                   "territory_id": t["north"]}, territory=t["north"])  # fmt: skip
    start = datetime(2030, 1, 1, 9, tzinfo=UTC)
    latest = {}
    for i in range(250):
        vid, acc = str(uuid.uuid4()), accounts[i % 3]
        at = start + timedelta(hours=i)
        latest[acc] = (vid, at)
        put_record(world, "visits", vid, {"id": vid, "account_id": acc,
                   "checkin_at": at.isoformat()}, account=acc, territory=t["north"])  # fmt: skip
    alice, engine = world.client("alice")
    engine.sync()
    kept, asked = kept_and_asked(alice)
    assert kept == asked and len(kept) == 3

    acc = accounts[0]
    vid, last = latest[acc]
    with world.db.session() as s:  # a new version of its latest visit, checked in earliest
        record = s.get(Record, vid)
        assert record is not None
        record.data = json.dumps({"id": vid, "account_id": acc, "checkin_at": start.isoformat()})
        record.version = next_seqs(s, 1)
    engine.sync()
    kept, asked = kept_and_asked(alice)
    assert kept == asked
    assert dict(kept)[acc] < last.replace(tzinfo=None).isoformat(" ", "microseconds")


def test_columns_null_in_every_pulled_row_are_left_out_of_the_binding(replica: Any) -> None:
    """A chunk's columns that no record fills are not bound (incoming.TablePlan.staging)
    and are stored as NULL all the same; a later chunk that fills them writes them."""
    acc = str(uuid.uuid4())

    def reply(version: int, **visit: Any) -> bytes:
        records = [
            {"entity": "accounts", "id": acc, "version": version, "data": {"name": "Bare"}},
            *(
                {"entity": "visits", "id": vid, "version": version,
                 "data": {"account_id": acc, **visit}}
                for vid in vids
            ),
        ]  # fmt: skip
        return json.dumps({"changes": records, "cursor": version}).encode()

    vids = [str(uuid.uuid4()) for _ in range(3)]
    first = incoming.decode(reply(1))
    plan = incoming.plan("visits")
    assert plan.keys.index("notes") in first.empty["visits"]
    assert plan.keys.index("account_id") not in first.empty["visits"]
    with apply.writer(replica) as conn:
        apply.apply(conn, first)
        conn.commit()
    assert {get(replica, "visits", v)["notes"] for v in vids} == {None}
    assert get(replica, "visits", vids[0])["account_id"] == acc
    with apply.writer(replica) as conn:
        apply.apply(conn, incoming.decode(reply(2, notes="Came back", outcome="successful")))
        conn.commit()
    assert {get(replica, "visits", v)["notes"] for v in vids} == {"Came back"}
    assert get(replica, "accounts", acc)["name"] == "Bare"
