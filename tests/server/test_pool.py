"""Pooled PostgreSQL connections: a dead one is replaced before a request uses it.

The pool checks a connection that sat idle (server/db.py) instead of pinging on every
checkout; a connection the database dropped meanwhile must not reach a request.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from fieldapp.server import db as server_db
from fieldapp.server.db import Database
from tests.syncutil import PG_ADMIN_URL, pg_schema


@pytest.fixture
def pg() -> Iterator[Database]:
    with pg_schema() as url:
        database = Database.open(url)
        try:
            yield database
        finally:
            database.close()


def _backend_pid(database: Database, reading: bool) -> int:
    with database.reading() if reading else database.session() as session:
        return int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())


@pytest.mark.parametrize("reading", [True, False])
def test_a_connection_killed_while_idle_is_replaced(pg: Database, reading: bool) -> None:
    before = _backend_pid(pg, reading)
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": before}).scalar()
    finally:
        admin.dispose()
    time.sleep(server_db.IDLE_CHECK_S + 0.2)
    # Served by a new connection, without an error.
    after = _backend_pid(pg, reading)
    assert after != before
