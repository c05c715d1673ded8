"""Fixtures for client tests: a real server process on loopback and signed-in replicas."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from fieldapp.server import admin
from fieldapp.server.db import Database
from fieldapp.store.db import Replica, open_replica
from fieldapp.sync import state
from fieldapp.sync.credentials import CREDENTIALS
from fieldapp.sync.engine import SyncEngine
from fieldapp.sync.transport import Transport
from tests.syncutil import PASSWORD, ServerProcess, database_url


class World:
    """A server (process + direct admin access to its database) and client replicas."""

    def __init__(self, url: str, tmp_path: Path) -> None:
        self.url = url
        self.tmp_path = tmp_path
        self.db = Database.open(url)
        self.server = ServerProcess(url)
        self.replicas: list[Replica] = []
        self.transports: list[Transport] = []

    def user(self, name: str, role: str = "rep", manager: str | None = None) -> str:
        return admin.add_user(self.db, name, PASSWORD, role, manager)

    def client(self, name: str) -> tuple[Replica, SyncEngine]:
        replica = open_replica(self.tmp_path / f"replica-{name}-{len(self.replicas)}")
        transport = Transport(self.server.base)
        reply = transport.login(name, PASSWORD)
        # As `fieldapp login` does: the replica knows who signed in (new records get
        # them as owner); the territories come with the first sync's handshake.
        state.remember_user(replica, reply.user, None)
        self.replicas.append(replica)
        self.transports.append(transport)
        return replica, SyncEngine(replica, transport, chunk_size=50)

    def app_sign_in(self, replica: Replica, name: str) -> str:
        """Sign ``replica`` in as the app and ``fieldapp login`` leave it; return the token."""
        transport = Transport(self.server.base)
        token = transport.login(name, PASSWORD).token
        transport.close()
        with replica.engine.begin() as conn:
            state.put(conn, "server", self.server.base)
            state.put(conn, "username", name)
        CREDENTIALS.save(self.server.base, name, token)
        return token

    def close(self) -> None:
        for t in self.transports:
            t.close()
        for r in self.replicas:
            r.close()
        self.server.stop()
        self.db.close()


@contextmanager
def running_world(kind: str, tmp_path: Path) -> Iterator[World]:
    """A server on a fresh ``kind`` database (sqlite or postgresql), stopped afterwards."""
    with database_url(kind, tmp_path) as url:
        w = World(url, tmp_path)
        try:
            yield w
        finally:
            w.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    with running_world(request.param, tmp_path) as w:
        yield w


@pytest.fixture
def sqlite_world(tmp_path: Path) -> Iterator[World]:
    with running_world("sqlite", tmp_path) as w:
        yield w


@pytest.fixture
def pg_world(tmp_path: Path) -> Iterator[World]:
    with running_world("postgresql", tmp_path) as w:
        yield w


MakeWorld = Callable[[], World]
