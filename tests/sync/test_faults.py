"""Dropped connections and killed clients lose nothing and duplicate nothing."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from fieldapp.server.models import Record
from fieldapp.store.db import DB_FILENAME, open_replica
from fieldapp.sync.engine import SyncEngine
from fieldapp.sync.errors import SyncError
from fieldapp.sync.transport import Transport
from tests.sync.conftest import World
from tests.sync.test_sync_flow import create, ids_of, setup_two_territories, update
from tests.syncutil import PASSWORD, index_names


class CuttingProxy:
    """A TCP proxy on loopback that cuts a share of connections at a random byte."""

    def __init__(self, upstream_port: int, cut_probability: float, seed: int) -> None:
        self.upstream_port = upstream_port
        self.cut_probability = cut_probability
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.cuts = 0
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            with self.lock:
                cut = self.random.random() < self.cut_probability
                budget = self.random.randint(0, 4000) if cut else -1
                direction = self.random.choice(("up", "down"))
            state = {"budget": budget}
            threading.Thread(
                target=self._pump, args=(client, upstream, state, direction == "up"), daemon=True
            ).start()
            threading.Thread(
                target=self._pump, args=(upstream, client, state, direction == "down"),
                daemon=True,
            ).start()  # fmt: skip

    def _pump(self, src: socket.socket, dst: socket.socket, state: dict, counted: bool) -> None:
        try:
            while True:
                data = src.recv(8192)
                if not data:
                    break
                if counted and state["budget"] >= 0:
                    if len(data) > state["budget"]:
                        dst.sendall(data[: state["budget"]])
                        with self.lock:
                            self.cuts += 1
                        break
                    state["budget"] -= len(data)
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def close(self) -> None:
        self.closed = True
        self.listener.close()


def sync_until_done(engine: SyncEngine, attempts: int = 40) -> None:
    for _ in range(attempts):
        try:
            engine.sync()
            return
        except SyncError:
            continue
    raise AssertionError("sync never got through")


@pytest.mark.slow
def test_random_connection_cuts_lose_and_duplicate_nothing(world: World) -> None:
    t = setup_two_territories(world)
    proxy = CuttingProxy(world.server.port, cut_probability=0.35, seed=7)
    try:
        engines = []
        for name in ("boss", "alice"):
            replica = open_replica(world.tmp_path / f"faulty-{name}")
            transport = Transport(f"http://127.0.0.1:{proxy.port}", retries=1, timeout=10)
            direct = Transport(world.server.base)
            transport.token = direct.login(name, PASSWORD).token
            direct.close()
            world.replicas.append(replica)
            world.transports.append(transport)
            engines.append((replica, SyncEngine(replica, transport, chunk_size=7, push_batch=4)))
        (boss, boss_sync), (alice, alice_sync) = engines
        made = [create(boss, "accounts", name=f"B{i}", territory_id=t["north"]) for i in range(15)]
        sync_until_done(boss_sync)
        sync_until_done(alice_sync)
        for acc in made[:8]:
            update(alice, "accounts", acc, city="Alice town")
            create(alice, "contacts", account_id=acc, last_name="Fault")
        for acc in made[8:]:
            update(boss, "accounts", acc, phone="+44 20 7946 0000")
        sync_until_done(alice_sync)
        sync_until_done(boss_sync)
        sync_until_done(alice_sync)
        assert proxy.cuts > 0
    finally:
        proxy.close()
    for replica in (boss, alice):
        assert ids_of(replica, "accounts") == set(made)
        assert len(ids_of(replica, "contacts")) == 8
    with world.db.session() as s:
        assert (
            s.scalar(select(func.count()).select_from(Record).where(Record.entity == "contacts"))
            == 8
        )


KILLED_CLIENT = """
import sys, time
from fieldapp.store.db import DB_FILENAME, open_replica
from fieldapp.sync.engine import SyncEngine
from fieldapp.sync.transport import Transport

replica = open_replica(sys.argv[1])
transport = Transport(sys.argv[2], sys.argv[3])

def progress(p):
    print(p.phase, p.done, flush=True)
    time.sleep(0.2)

index_later_from = int(sys.argv[4]) if len(sys.argv) > 4 else 10**9
SyncEngine(
    replica, transport, progress=progress, chunk_size=10, push_batch=5,
    index_later_from=index_later_from,
).sync()
print("finished", flush=True)
"""


@pytest.mark.slow
@pytest.mark.parametrize("kill_at", ["push", "pull"])
def test_kill_9_mid_sync_loses_nothing(world: World, tmp_path: Path, kill_at: str) -> None:
    t = setup_two_territories(world)
    boss, boss_sync = world.client("boss")
    made = [create(boss, "accounts", name=f"K{i}", territory_id=t["north"]) for i in range(40)]
    boss_sync.sync()
    alice, alice_sync = world.client("alice")
    if kill_at == "push":
        alice_sync.sync()
        for acc in made[:20]:
            create(alice, "visits", account_id=acc, outcome="successful")
    token = world.transports[-1].token
    assert token is not None
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_CLIENT, str(alice.data_dir), world.server.base, token],
        stdout=subprocess.PIPE, text=True, env={**os.environ},
    )  # fmt: skip
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith(kill_at) and int(line.split()[1]) >= 10:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    alice_sync.sync()
    assert ids_of(alice, "accounts") == set(made)
    if kill_at == "push":
        assert len(ids_of(alice, "visits")) == 20
        with world.db.session() as s:
            assert (
                s.scalar(select(func.count()).select_from(Record).where(Record.entity == "visits"))
                == 20
            )


@pytest.mark.slow
def test_indexes_a_killed_first_sync_left_out_are_back_when_the_replica_opens(
    world: World, tmp_path: Path
) -> None:
    t = setup_two_territories(world)
    boss, boss_sync = world.client("boss")
    for i in range(40):
        create(boss, "accounts", name=f"K{i}", territory_id=t["north"])
    boss_sync.sync()
    data_dir = tmp_path / "alice-killed"
    open_replica(data_dir).close()
    full = index_names(data_dir / DB_FILENAME)
    transport = Transport(world.server.base)
    transport.login("alice", PASSWORD)
    world.transports.append(transport)
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_CLIENT, str(data_dir), world.server.base,
         str(transport.token), "1"],
        stdout=subprocess.PIPE, text=True, env={**os.environ},
    )  # fmt: skip
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("pull") and int(line.split()[1]) >= 10:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    # Killed before the rebuild.
    assert "ix_accounts_territory_id" not in index_names(data_dir / DB_FILENAME)

    alice = open_replica(data_dir)
    world.replicas.append(alice)
    assert index_names(data_dir / DB_FILENAME) == full
    SyncEngine(alice, transport, chunk_size=10).sync()
    assert len(ids_of(alice, "accounts")) == 40
