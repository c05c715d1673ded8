"""Rules a manager sets, through the real server on loopback (SQLite and PostgreSQL):
follow-up tasks made once whoever makes them first, overdue flags, leads given to the
territory's rep, undo that sticks, and rules only managers and admins may write."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from fieldapp.domain import rules as shared
from fieldapp.errors import ValidationError
from fieldapp.reports.coverage import overdue_accounts
from fieldapp.server import rule_pass
from fieldapp.server.models import Record
from fieldapp.store import refused, rules, services
from fieldapp.store.db import Replica
from fieldapp.store.models import Flag, Lead, Task
from fieldapp.store.models import Rule as RuleModel
from tests.sync.conftest import World
from tests.sync.test_sync_flow import setup_two_territories
from tests.sync.test_team_sync import user_id

CHECKIN = "2026-11-20T09:00:00+00:00"
CHECKOUT = "2026-11-20T10:00:00+00:00"
DUE = (datetime.fromisoformat(CHECKOUT) + timedelta(days=3)).isoformat()


def server_records(world: World, entity: str) -> dict[str, dict[str, Any]]:
    with world.db.session() as s:
        rows = s.scalars(select(Record).where(Record.entity == entity))
        return {r.id: {**json.loads(r.data), "_deleted": r.deleted} for r in rows}


def replica_rows(replica: Replica, model: type[Any]) -> dict[str, dict[str, Any]]:
    with replica.read_session() as s:
        return {row.id: row.to_dict() for row in s.scalars(select(model))}


def add_rule(replica: Replica, **values: Any) -> str:
    with replica.session() as s:
        return rules.save(s, values)


def north_account(replica: Replica, name: str, **extra: Any) -> str:
    with replica.session() as s:
        return services.create(s, "accounts", {"name": name, "postcode": "N1 2AB", **extra})


def visit(replica: Replica, account: str, outcome: str = "no_decision") -> str:
    with replica.session() as s:
        return services.log_visit(
            s, account, outcome=outcome, checkin_at=CHECKIN, checkout_at=CHECKOUT
        )


def test_follow_up_task_exactly_once_whoever_makes_it_and_undo_sticks(world: World) -> None:
    setup_two_territories(world)  # alice (rep, North) reports to mgr; bob has South
    alice_id = user_id(world, "alice")
    mgr, mgr_sync = world.client("mgr")
    rule_id = add_rule(
        mgr, name="Chase no-decisions", kind="follow_up", outcome="no_decision", days=3
    )
    mgr_sync.sync()
    alice, alice_sync = world.client("alice")
    alice_sync.sync()
    assert rule_id in replica_rows(alice, RuleModel)  # the rule reached the rep

    # Offline, alice's laptop makes the task itself; the server meets it, makes no other.
    first = visit(alice, north_account(alice, "Acme"))
    alice_sync.sync()
    # A laptop that has not pulled the rule yet (alice's second one): the server makes it.
    spare, spare_sync = world.client("alice")
    second = visit(spare, north_account(spare, "Bolt"))
    assert replica_rows(spare, Task) == {}
    spare_sync.sync()
    alice_sync.sync()

    tasks = server_records(world, "tasks")
    expected = {shared.follow_up_task_id(rule_id, v) for v in (first, second)}
    assert set(tasks) == expected
    for task in tasks.values():
        assert task["owner_id"] == alice_id and task["rule_id"] == rule_id
        assert task["due_at"] == DUE and not task["_deleted"]
    on_alice = replica_rows(alice, Task)
    assert set(on_alice) == expected
    assert all(t["rule_id"] == rule_id for t in on_alice.values())

    # Undo: alice deletes the server's task; a later edit of its visit brings no new one.
    made = shared.follow_up_task_id(rule_id, second)
    with alice.session() as s:
        rules.undo(s, "tasks", made)
        services.update(s, "visits", second, {"notes": "called back"})
    alice_sync.sync()
    spare_sync.sync()
    tasks = server_records(world, "tasks")
    assert set(tasks) == expected and tasks[made]["_deleted"]
    assert replica_rows(spare, Task)[made]["deleted_at"] is not None


def test_new_leads_go_to_the_territorys_rep_and_reassigning_sticks(world: World) -> None:
    setup_two_territories(world)
    alice_id, mgr_id = user_id(world, "alice"), user_id(world, "mgr")
    mgr, mgr_sync = world.client("mgr")
    rule_id = add_rule(mgr, name="Leads to their rep", kind="lead_assign")
    with mgr.session() as s:
        lead = services.create(s, "leads", {"last_name": "Novak", "postcode": "N4 1XY"})
    mgr_sync.sync()

    on_server = server_records(world, "leads")[lead]
    assert on_server["owner_id"] == alice_id
    assert on_server["assigned_by_rule_id"] == rule_id
    assert on_server["assigned_from_id"] == mgr_id
    alice, alice_sync = world.client("alice")
    alice_sync.sync()
    with alice.read_session() as s:
        row = s.get(Lead, lead)
        assert row is not None and row.owner_id == alice_id
        assert rules.rule_name(s, row.assigned_by_rule_id) == "Leads to their rep"
    with mgr.read_session() as s:  # the manager's copy says who has it now
        mine = s.get(Lead, lead)
        assert mine is not None and mine.owner_id == alice_id

    # The manager takes it back; the rule does not give it away again.
    with mgr.session() as s:
        rules.undo(s, "leads", lead)
        services.update(s, "leads", lead, {"title": "Buyer"})
    mgr_sync.sync()
    on_server = server_records(world, "leads")[lead]
    assert on_server["owner_id"] == mgr_id and on_server["assigned_by_rule_id"] is None


def test_overdue_accounts_flagged_on_server_and_replica_cleared_flags_stay(world: World) -> None:
    setup_two_territories(world)
    alice, alice_sync = world.client("alice")
    long_ago = (datetime.now(UTC) - timedelta(days=30)).isoformat()
    stale = north_account(alice, "Stale", visit_frequency_days=7)
    fresh = north_account(alice, "Fresh", visit_frequency_days=60)
    for account in (stale, fresh):
        with alice.session() as s:
            services.log_visit(s, account, outcome="successful", checkin_at=long_ago)
    alice_sync.sync()

    mgr, mgr_sync = world.client("mgr")
    mgr_sync.sync()
    rule_id = add_rule(mgr, name="Overdue in North", kind="overdue_flag")
    with mgr.session() as s:  # offline, the manager's laptop flags what it sees
        assert rules.run_flags(s) == 1
    mgr_sync.sync()  # ... and the server's pass for the new rule makes the same flag
    alice_sync.sync()

    flags = server_records(world, "flags")
    assert len(flags) == 1
    (flag_id,) = flags
    assert flags[flag_id]["account_id"] == stale and flags[flag_id]["rule_id"] == rule_id
    with alice.read_session() as s:
        # The flag is the coverage report's overdue account.
        assert [a.account_id for a in overdue_accounts(s)] == [stale]
        assert [f.account_id for f in s.scalars(select(Flag))] == [stale]

    # Alice clears it; neither the server's daily pass nor her laptop flags it again.
    with alice.session() as s:
        rules.undo(s, "flags", flag_id)
    alice_sync.sync()
    assert rule_pass.run(world.db) == 0
    with alice.session() as s:
        assert rules.run_flags(s) == 0
    assert server_records(world, "flags")[flag_id]["_deleted"]


def test_a_rep_cannot_set_rules(world: World) -> None:
    setup_two_territories(world)
    alice, alice_sync = world.client("alice")
    with alice.session() as s, pytest.raises(ValidationError, match="only a manager"):
        rules.save(s, {"name": "My own rule", "kind": "overdue_flag"})
    # Written anyway (as an older client or a script would): the server refuses it.
    with alice.session() as s:
        rule_id = services.create(s, "rules", {"name": "My own rule", "kind": "overdue_flag"})
    alice_sync.sync()
    assert rule_id not in server_records(world, "rules")
    with alice.read_session() as s:
        (change,) = refused.refused_changes(s)
        assert change.reason == "only a manager or an admin sets rules"
