"""Store migration 0008: the reports' indexes exist however a replica came to be, and the
reports' query plans use them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.schema import CreateIndex

from fieldapp import reports
from fieldapp.domain.reports import ReportFilter
from fieldapp.store.db import Replica, create_missing_indexes, open_replica
from fieldapp.store.models import Base

REPORT_INDEXES = {
    "ix_visits_done",
    "ix_notes_created_at",
    "ix_tasks_done_at",
    "ix_opportunities_updated_at",
}


def _squash(sql: str) -> str:
    return re.sub(r'[\s"]+', "", sql).lower()


def index_sql(replica: Replica) -> dict[str, str]:
    with replica.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'index'")
        return {name: _squash(sql) for name, sql in rows if name in REPORT_INDEXES}


def test_migration_and_models_declare_the_same_indexes(tmp_path: Path) -> None:
    replica = open_replica(tmp_path)
    made = index_sql(replica)
    dialect = replica.engine.dialect
    declared = {
        index.name: _squash(str(CreateIndex(index).compile(dialect=dialect)))
        for table in Base.metadata.sorted_tables
        for index in table.indexes
        if index.name in REPORT_INDEXES
    }
    replica.close()
    assert set(made) == REPORT_INDEXES
    # What a first sync's index rebuild creates from the models is what 0008 created.
    assert {name: sql.replace("ifnotexists", "") for name, sql in made.items()} == declared


@pytest.mark.outbox_unchecked  # rows written by hand into the 0004 schema
def test_an_older_replica_gains_the_indexes(tmp_path: Path) -> None:
    old = open_replica(tmp_path, migrate_to="0004")
    with old.engine.begin() as conn:
        # By hand: today's models have columns the 0004 schema lacks.
        conn.exec_driver_sql(
            "INSERT INTO accounts (id, name, type, status, created_at, updated_at) VALUES "
            "('a0000000-0000-4000-8000-000000000008', 'Kept', 'customer', 'active', "
            "'2026-01-01 10:00:00', '2026-01-01 10:00:00')"
        )
        conn.exec_driver_sql(
            "INSERT INTO visits (id, account_id, checkin_at, checkout_at, outcome, created_at, "
            "updated_at) VALUES ('b0000000-0000-4000-8000-000000000008', "
            "'a0000000-0000-4000-8000-000000000008', '2026-03-02 09:00:00', "
            "'2026-03-02 09:00:00', 'successful', '2026-03-02 09:00:00', '2026-03-02 09:00:00')"
        )
    assert index_sql(old) == {}
    old.close()
    replica = open_replica(tmp_path)
    assert set(index_sql(replica)) == REPORT_INDEXES
    with replica.read_session() as s:
        assert reports.visits(s, ReportFilter()).total.visits == 1
    with replica.engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_visits_done")  # as a killed first sync leaves it
        assert create_missing_indexes(conn) == 1
    assert set(index_sql(replica)) == REPORT_INDEXES
    replica.close()


@contextmanager
def plans(replica: Replica) -> Iterator[list[str]]:
    """SQLite's query plans of the SELECTs run inside the block, one text per statement."""
    statements: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            statements.append((statement, params))

    found: list[str] = []
    event.listen(replica.engine, "before_cursor_execute", keep)
    try:
        yield found
    finally:
        event.remove(replica.engine, "before_cursor_execute", keep)
    with replica.engine.connect() as conn:
        for statement, params in statements:
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)
            found.append(" | ".join(str(row[-1]) for row in rows))


def uses(replica: Replica, run: Callable[[Session], Any], index: str) -> bool:
    with plans(replica) as found, replica.read_session() as s:
        run(s)
    return any(index in plan for plan in found)


def test_report_plans_use_the_indexes(replica: Replica) -> None:
    march = ReportFilter(date(2026, 3, 1), date(2026, 3, 31))
    assert uses(replica, lambda s: reports.visits(s, march, "rep"), "USING INDEX ix_visits_done")
    assert uses(replica, lambda s: reports.visits(s, march, "week"), "USING INDEX ix_visits_done")
    # Coverage joins the last visits SQLite keeps; for a day in the past, an account
    # visited since then is searched in the visits' index.
    kept = "SEARCH account_last_visits USING PRIMARY KEY"
    assert uses(replica, lambda s: reports.coverage(s, ReportFilter()), kept)
    assert uses(replica, lambda s: reports.coverage(s, march), "INDEX ix_visits_account_checkin")
    for index in ("ix_notes_created_at", "ix_tasks_done_at", "ix_opportunities_updated_at"):
        assert uses(replica, lambda s: reports.activity(s, ReportFilter()), index), index
