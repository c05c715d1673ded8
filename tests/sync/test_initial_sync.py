"""Initial sync: chunked, with progress, resumable after a crash."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from fieldapp.server import admin
from fieldapp.sync.engine import Progress, SyncEngine
from tests.sync.conftest import World
from tests.sync.test_sync_flow import ids_of, setup_two_territories


class Crash(Exception):
    pass


def write_accounts(path: Path, n: int, postcode: str = "N1") -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "city", "postcode"])
        for i in range(n):
            writer.writerow([f"Account {i:04d}", "Leeds", postcode])


def test_initial_sync_resumes_from_last_checkpoint(world: World, tmp_path: Path) -> None:
    setup_two_territories(world)
    write_accounts(tmp_path / "a.csv", 230)
    admin.import_accounts(world.db, tmp_path / "a.csv")
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
