"""Rules on the server, inside a push: a territory's follow-up rule reaches only the
visits of that territory's accounts, and makes its task once."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from fieldapp.domain import rules as shared
from fieldapp.server import rule_pass, sync
from fieldapp.server.db import Database
from fieldapp.server.models import Record
from fieldapp.sync.protocol import Mutation
from tests.server.test_authorization import _insert, _setup, _who

CHECKIN = "2026-11-20T09:00:00+00:00"


def _tasks(db: Database) -> dict[str, dict[str, object]]:
    with db.session() as s:
        rows = s.scalars(select(Record).where(Record.entity == "tasks"))
        return {r.id: json.loads(r.data) for r in rows}


def _territory(db: Database, name: str) -> str:
    with db.session() as s:
        for rec in s.scalars(select(Record).where(Record.entity == "territories")):
            if json.loads(rec.data)["name"] == name:
                return rec.id
    raise AssertionError(name)


def test_a_territorys_follow_up_rule_reaches_only_its_accounts(db: Database) -> None:
    ids = _setup(db)  # alice (North) reports to mgr; bob has South; an account in each
    rule = str(uuid.uuid4())
    values = {"name": "North no-shows", "kind": "follow_up", "outcome": "no_show", "days": 2}
    [made] = sync.push(
        db,
        _who(db, "boss"),
        [_insert("rules", rule, territory_id=_territory(db, "North"), **values)],
    )
    assert made.status in ("applied", "merged")
    north, south = str(uuid.uuid4()), str(uuid.uuid4())
    sync.push(db, _who(db, "alice"), [
        _insert("visits", north, account_id=ids["north"], outcome="no_show", checkin_at=CHECKIN),
    ])  # fmt: skip
    sync.push(db, _who(db, "bob"), [
        _insert("visits", south, account_id=ids["south"], outcome="no_show", checkin_at=CHECKIN),
    ])  # fmt: skip
    tasks = _tasks(db)
    task_id = shared.follow_up_task_id(rule, north)
    assert set(tasks) == {task_id}
    assert tasks[task_id]["due_at"] == "2026-11-22T09:00:00+00:00"
    assert tasks[task_id]["account_id"] == ids["north"]

    # The same visit pushed again (another edit) makes no second task.
    edit = Mutation(
        mutation_id=str(uuid.uuid4()), entity="visits", row_id=north, op="update",
        changes={"notes": [None, "again"]},
    )  # fmt: skip
    sync.push(db, _who(db, "alice"), [edit])
    assert set(_tasks(db)) == {task_id}


def test_the_servers_own_pass_flags_what_falls_overdue(db: Database) -> None:
    ids = _setup(db)
    boss = _who(db, "boss")
    rule = str(uuid.uuid4())
    sync.push(db, boss, [_insert("rules", rule, name="Overdue", kind="overdue_flag")])
    assert rule_pass.run(db) == 0  # nothing overdue yet: the accounts are new
    # An account visited ten days ago, to be visited daily: overdue, but nobody pushes.
    stale, visit = str(uuid.uuid4()), str(uuid.uuid4())
    old = (datetime.now(UTC) - timedelta(days=10)).isoformat()
    sync.push(db, boss, [
        _insert("accounts", stale, name="Stale", visit_frequency_days=1,
                territory_id=_territory(db, "North")),
        _insert("visits", visit, account_id=stale, outcome="successful", checkin_at=old),
    ])  # fmt: skip
    assert ids["north"] != stale
    stop = rule_pass.every(db.engine.url.render_as_string(hide_password=False), 0.2)
    try:
        deadline = time.monotonic() + 60
        while not _flags(db) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
    assert _flags(db) == {shared.flag_id(rule, stale, visit): stale}


def _flags(db: Database) -> dict[str, object]:
    with db.session() as s:
        rows = s.scalars(select(Record).where(Record.entity == "flags"))
        return {r.id: json.loads(r.data)["account_id"] for r in rows}
