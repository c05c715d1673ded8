"""The server suite runs on SQLite and on the real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fieldapp.server.db import Database
from tests.server.rawapi import Api
from tests.syncutil import database_url


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with database_url(request.param, tmp_path) as url:
        database = Database.open(url)
        try:
            yield database
        finally:
            database.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Api]:
    """A real server process on loopback, spoken to as raw HTTP (tests/server/rawapi.py)."""
    with database_url(request.param, tmp_path) as url:
        served = Api(url)
        try:
            yield served
        finally:
            served.close()
