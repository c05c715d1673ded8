"""Shared fixtures: a real replica in a fresh data dir per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fieldapp.store.db import Replica, open_replica


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def replica(data_dir: Path) -> Iterator[Replica]:
    rep = open_replica(data_dir)
    yield rep
    rep.close()
