"""Many clients pushing in parallel to PostgreSQL; all converge, every change exactly once."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from fieldapp.server import admin
from fieldapp.server.models import AppliedMutation, Record
from fieldapp.store.db import Replica, open_replica
from fieldapp.sync.engine import SyncEngine
from fieldapp.sync.transport import Transport
from tests.sync.conftest import World
from tests.sync.test_sync_flow import create, ids_of, update
from tests.syncutil import PASSWORD

REPS = 6
ROUNDS = 4
PER_ROUND = 5


@pytest.mark.slow
def test_parallel_clients_converge_on_postgresql(pg_world: World, tmp_path: Path) -> None:
    world = pg_world
    world.user("boss", "admin")
    world.user("mgr", "manager")
    territories = []
    for i in range(REPS):
        world.user(f"rep{i}", "rep", "mgr")
        territories.append(admin.add_territory(world.db, f"T{i}", None, []))
        admin.assign_territory(world.db, f"T{i}", f"rep{i}")
    # Every rep also edits one shared field of a common account: merges and conflicts
    # happen under concurrency too.
    clients: list[tuple[Replica, SyncEngine]] = []
    for i in range(REPS):
        replica = open_replica(tmp_path / f"rep{i}")
        transport = Transport(world.server.base)
        transport.login(f"rep{i}", PASSWORD)
        world.replicas.append(replica)
        world.transports.append(transport)
        clients.append((replica, SyncEngine(replica, transport, chunk_size=40)))
    errors: list[BaseException] = []
    created: list[list[str]] = [[] for _ in range(REPS)]

    def work(i: int) -> None:
        replica, engine = clients[i]
        try:
            engine.sync()
            for r in range(ROUNDS):
                for k in range(PER_ROUND):
                    acc = create(
                        replica, "accounts", name=f"r{i}-{r}-{k}", territory_id=territories[i]
                    )
                    created[i].append(acc)
                    update(replica, "accounts", acc, city=f"city {r}")
                engine.sync()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(REPS)]
    mgr_replica = open_replica(tmp_path / "mgr")
    mgr_transport = Transport(world.server.base)
    mgr_transport.login("mgr", PASSWORD)
    world.replicas.append(mgr_replica)
    world.transports.append(mgr_transport)
    mgr = SyncEngine(mgr_replica, mgr_transport, chunk_size=25)
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        mgr.sync()  # reads incrementally while the writers commit
    for t in threads:
        t.join()
    assert errors == []
    mgr.sync()
    everything = {a for c in created for a in c}
    assert len(everything) == REPS * ROUNDS * PER_ROUND
    assert ids_of(mgr_replica, "accounts") == everything
    for i, (replica, engine) in enumerate(clients):
        engine.sync()
        assert ids_of(replica, "accounts") == set(created[i])
    with world.db.session() as s:
        accounts = s.scalar(
            select(func.count()).select_from(Record).where(Record.entity == "accounts")
        )
        applied = s.scalar(select(func.count()).select_from(AppliedMutation))
    assert accounts == len(everything)
    # One insert and one update mutation per account (each its own transaction).
    assert applied == 2 * len(everything)
