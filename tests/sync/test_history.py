"""The audit trail (issue 14 item 12) through the real server, on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import threading

import requests
from sqlalchemy import select, text

from fieldapp.server import history
from fieldapp.server.models import HistoryEntry
from fieldapp.sync import state
from fieldapp.sync.engine import SyncEngine
from tests.sync.conftest import World
from tests.sync.test_sync_flow import create, setup_two_territories, update

VERIFY = ("history", "verify")


def verify_cli(world: World) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fieldapp.server.cli", "--database-url", world.url, *VERIFY],
        capture_output=True,
        text=True,
        timeout=120,
    )


def client_id(engine: SyncEngine) -> str:
    with engine.replica.engine.connect() as conn:
        value = state.get(conn, "client_id")
    assert value
    return value


def test_every_applied_change_is_kept_and_shown_by_scope(world: World) -> None:
    t = setup_two_territories(world)
    boss, boss_sync = world.client("boss")
    acc = create(boss, "accounts", name="Acme", phone="+44 113 496 0000", territory_id=t["north"])
    boss_sync.sync()
    alice, alice_sync = world.client("alice")
    alice_sync.sync()
    update(alice, "accounts", acc, phone="+44 113 496 0999")
    alice_sync.sync()

    world.client("mgr")
    world.client("bob")
    boss_t, alice_t, mgr_t, bob_t = world.transports

    entries = alice_t.history("accounts", acc)
    assert [e.op for e in entries] == ["insert", "update"]
    first, second = entries
    assert first.user == "boss" and first.changes is not None
    assert first.changes["name"] == [None, "Acme"]
    assert second.user == "alice"
    assert second.device == client_id(alice_sync)  # from which device
    assert second.changes == {"phone": ["+44 113 496 0000", "+44 113 496 0999"]}  # only it
    assert second.at.endswith("+00:00")
    # The rep's manager and an admin see it; a rep of another territory does not.
    assert mgr_t.history("accounts", acc) == entries
    assert boss_t.history("accounts", acc) == entries
    answer = requests.get(
        f"{world.server.base}/history/accounts/{acc}",
        headers={"Authorization": f"Bearer {bob_t.token}"},
        timeout=30,
    )
    assert answer.status_code == 404
    assert "that you may see" in answer.json()["detail"]

    done = verify_cli(world)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("history intact: ")


def test_a_tampered_history_is_detected(world: World) -> None:
    t = setup_two_territories(world)
    boss, boss_sync = world.client("boss")
    acc = create(boss, "accounts", name="Acme", city="Leeds", territory_id=t["north"])
    boss_sync.sync()
    for city in ("York", "Hull", "Bath"):
        update(boss, "accounts", acc, city=city)
        boss_sync.sync()
    assert verify_cli(world).returncode == 0
    with world.db.session() as s:
        seqs = list(s.scalars(select(HistoryEntry.seq).where(HistoryEntry.record_id == acc)))
    first, second, third, last = seqs
    assert last == max(seqs) and verify_cli(world).stdout.startswith(f"history intact: {last} ")

    def tamper(sql: str) -> subprocess.CompletedProcess[str]:
        with world.db.engine.begin() as conn:
            conn.execute(text(sql))
        return verify_cli(world)

    # Someone rewrites an old value: it no longer matches the entry's digest.
    done = tamper(
        f"UPDATE history SET changes = replace(changes, 'Leeds', 'Wakefield') WHERE seq = {second}"
    )
    assert done.returncode == 1
    assert f"the values of entry {second} were changed" in done.stderr
    assert "history TAMPERED" in done.stderr
    assert "Traceback" not in done.stderr
    # ... and makes the digest match: the entry's hash no longer does.
    with world.db.engine.connect() as conn:
        salt, changes = conn.execute(
            text(f"SELECT salt, changes FROM history WHERE seq = {second}")
        ).one()
    done = tamper(
        f"UPDATE history SET digest = '{history.digest(salt, changes)}' WHERE seq = {second}"
    )
    assert f"entry {second} was changed after it was written" in done.stderr
    # ... and rehashes it: the next entry no longer follows from it.
    with world.db.session() as s:
        row = s.get(HistoryEntry, second)
        assert row is not None
        row.hash = history.entry_hash(row)
    done = verify_cli(world)
    assert f"entry {third} does not follow from entry {second}" in done.stderr
    # Entries cut off the end are noticed too.
    done = tamper(f"DELETE FROM history WHERE seq = {last}")
    assert f"ends at entry {last - 1} but {last} were written" in done.stderr
    assert first < second


def test_concurrent_pushes_keep_one_unbroken_chain(world: World) -> None:
    t = setup_two_territories(world)
    engines = []
    for name in ("boss", "mgr", "alice"):
        replica, engine = world.client(name)
        for i in range(10):
            create(replica, "accounts", name=f"{name} {i}", territory_id=t["north"])
        engines.append(engine)
    errors: list[BaseException] = []

    def run(engine: SyncEngine) -> None:
        try:
            engine.sync()
        except BaseException as exc:  # reported below
            errors.append(exc)

    before = history.verify(world.db).entries
    threads = [threading.Thread(target=run, args=(e,)) for e in engines]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    verdict = history.verify(world.db)
    assert verdict.intact, verdict.problems
    assert verdict.entries == before + 30
