"""Each account's last visit, kept by triggers (fieldapp.store.last_visits, migration 0016).

Every way a visit changes is tried against the same question asked of the visits
themselves, so the kept table can never drift from them.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from fieldapp.store import last_visits, scheduling, services
from fieldapp.store.db import Replica, open_replica
from fieldapp.store.types import utcnow
from fieldapp.sync import apply, eviction
from tests.syncutil import index_names

KEPT = "SELECT account_id, checkin_at FROM account_last_visits ORDER BY account_id"
ASKED = (
    "SELECT account_id, max(checkin_at) FROM visits "
    "WHERE deleted_at IS NULL AND checkin_at IS NOT NULL "
    "GROUP BY account_id ORDER BY account_id"
)


def kept_and_asked(replica: Replica) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    with replica.read_session() as s:
        kept = [tuple(r) for r in s.execute(text(KEPT))]
        asked = [tuple(r) for r in s.execute(text(ASKED))]
    return kept, asked  # type: ignore[return-value]


def test_every_change_to_a_visit_keeps_its_accounts_last_visit(replica: Replica) -> None:
    now = utcnow()
    with replica.session() as s:
        a = services.create(s, "accounts", {"name": "Alpha"})
        b = services.create(s, "accounts", {"name": "Beta"})
        services.create(s, "accounts", {"name": "Never visited"})
        old = services.log_visit(s, a, outcome="successful", checkin_at=now - timedelta(days=40))
        new = services.log_visit(s, a, outcome="successful", checkin_at=now - timedelta(days=3))
        planned = scheduling.schedule_visit(s, b, now + timedelta(days=1))
    kept, asked = kept_and_asked(replica)
    assert kept == asked
    assert [account for account, _ in kept] == [a]  # a planned visit is not a visit done

    steps = [
        # the latest visit deleted: the one before counts again
        lambda s: services.delete(s, "visits", new),
        lambda s: services.restore(s, "visits", new),
        # a check-in moved earlier than the other visit
        lambda s: services.update(s, "visits", new, {"checkin_at": now - timedelta(days=60)}),
        # the visit moved to another account
        lambda s: services.update(s, "visits", old, {"account_id": b}),
        # the planned visit checked in
        lambda s: services.update(s, "visits", planned, {"checkin_at": now - timedelta(hours=1)}),
        # a check-in taken back
        lambda s: services.update(s, "visits", planned, {"checkin_at": None}),
    ]
    for step in steps:
        with replica.session() as s:
            step(s)
        kept, asked = kept_and_asked(replica)
        assert kept == asked


def test_rows_written_outside_the_orm_are_kept_too(replica: Replica) -> None:
    """Sync's upserts, bulk loads and erasure write SQL directly: triggers see them all."""
    now = utcnow()
    with replica.session() as s:
        a = services.create(s, "accounts", {"name": "Alpha"})
        ids = services.bulk_create(
            s,
            "visits",
            [{"account_id": a, "checkin_at": now - timedelta(days=d)} for d in (5, 9, 30)],
        )
    with replica.session() as s:
        # A hard delete of the latest (as erasure does).
        s.execute(text("DELETE FROM visits WHERE id = :id"), {"id": ids[0]})
    kept, asked = kept_and_asked(replica)
    assert kept == asked and len(kept) == 1
    with replica.session() as s:
        s.execute(text("DELETE FROM visits"))
    assert kept_and_asked(replica) == ([], [])


def test_a_replica_from_before_0016_learns_its_last_visits(tmp_path: Path) -> None:
    data = tmp_path / "data"
    replica = open_replica(data)
    now = utcnow()
    with replica.session() as s:
        a = services.create(s, "accounts", {"name": "Alpha"})
        for days in (2, 20):
            services.log_visit(s, a, outcome="successful", checkin_at=now - timedelta(days=days))
    # Back to 0015 as an older release left it: no table, no triggers (nor the later
    # migrations' indexes, which the upgrade makes again).
    with replica.engine.begin() as conn:
        for statement in (
            "DROP INDEX ix_accounts_name",
            "DROP INDEX ix_opportunities_board",
            "DROP TRIGGER visits_last_ai",
            "DROP TRIGGER visits_last_au_raise",
            "DROP TRIGGER visits_last_au",
            "DROP TRIGGER visits_last_ad",
            "DROP TABLE account_last_visits",
            "UPDATE alembic_version SET version_num = '0015'",
        ):
            conn.exec_driver_sql(statement)
    replica.close()
    replica = open_replica(data)
    try:
        kept, asked = kept_and_asked(replica)
        assert kept == asked and len(kept) == 1
    finally:
        replica.close()


def test_a_bulk_insert_keeps_last_visits_in_one_statement_and_restores_the_trigger(
    replica: Replica,
) -> None:
    now = utcnow()
    with replica.session() as s:
        accounts = services.bulk_create(s, "accounts", [{"name": f"A{i}"} for i in range(30)])
        # The first account was visited yesterday: older bulk visits must not lower it.
        services.log_visit(s, accounts[0], outcome="successful", checkin_at=now - timedelta(days=1))
        rows = [
            {"account_id": accounts[i % 30], "checkin_at": now - timedelta(days=2 + i)}
            for i in range(last_visits.BULK_THRESHOLD + 50)
        ]
        services.bulk_create(s, "visits", rows)
    kept, asked = kept_and_asked(replica)
    assert kept == asked and len(kept) == 30
    with replica.read_session() as s:
        names = s.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars()
        assert "visits_last_ai" in set(names)
    with replica.session() as s:
        services.log_visit(s, accounts[1], outcome="successful", checkin_at=now)
    kept, asked = kept_and_asked(replica)
    assert kept == asked


def test_an_eviction_of_many_accounts_works_out_their_last_visits_once(
    replica: Replica, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The delete trigger is set aside for a big eviction (fieldapp.sync.eviction) and
    the accounts' last visits are worked out from the visits left, once; a table
    losing most of its rows loses them without its indexes, built again after."""
    monkeypatch.setattr(eviction, "INDEXES_ASIDE_FROM", 100)
    indexes = index_names(replica.db_path)
    now = utcnow()
    with replica.session() as s:
        accounts = services.bulk_create(s, "accounts", [{"name": f"A{i}"} for i in range(40)])
        rows = [
            {"account_id": accounts[i % 40], "checkin_at": now - timedelta(days=1 + i)}
            for i in range(400)
        ]
        services.bulk_create(s, "visits", rows)
        # As if the server had taken them (fieldapp.sync.outgoing).
        s.execute(text("DELETE FROM outbox"))
        s.execute(text("UPDATE accounts SET server_version = 1"))
        s.execute(text("UPDATE visits SET server_version = 1"))
        # A visit the server has not accepted yet stays, and its account with it.
        services.log_visit(
            s, accounts[0], outcome="successful", checkin_at=now - timedelta(days=900)
        )
    leaving = set(accounts[: last_visits.BULK_DELETE_ACCOUNTS + 5])
    with apply.writer(replica) as conn:
        result = eviction.evict(conn, leaving, set())
        conn.commit()
    assert ("accounts", accounts[0]) in result.kept
    kept, asked = kept_and_asked(replica)
    assert kept == asked
    # The evicted accounts have no last visit left but the kept one, the older visit.
    assert {a for a, _ in kept} == (set(accounts) - leaving) | {accounts[0]}
    with replica.read_session() as s:
        names = set(
            s.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars()
        )
    assert "visits_last_ad" in names
    assert index_names(replica.db_path) == indexes
    with replica.read_session() as s:
        assert s.scalar(text("SELECT count(*) FROM visits")) == 400 - 250 + 1
    with replica.session() as s:
        services.delete(
            s,
            "visits",
            s.execute(text("SELECT id FROM visits WHERE account_id = :a"), {"a": accounts[39]})
            .scalars()
            .first(),
        )
    kept, asked = kept_and_asked(replica)
    assert kept == asked  # the trigger is back at work
