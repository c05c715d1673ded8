"""Automation rules on the replica: follow-up tasks, overdue flags, undo that sticks."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, text

from fieldapp.domain import rules as shared
from fieldapp.errors import ValidationError
from fieldapp.store import rules, services
from fieldapp.store.db import Replica
from fieldapp.store.models import Flag, Lead, Outbox, Task

CHECKIN = "2026-11-20T09:00:00+00:00"
CHECKOUT = "2026-11-20T10:00:00+00:00"


def _follow_up(replica: Replica, **extra: object) -> str:
    with replica.session() as s:
        return rules.save(
            s,
            {"name": "Chase no-decisions", "kind": "follow_up", "outcome": "no_decision",
             "days": 3, **extra},
        )  # fmt: skip


def _visit(replica: Replica, account: str, outcome: str) -> str:
    with replica.session() as s:
        return services.log_visit(
            s, account, outcome=outcome, checkin_at=CHECKIN, checkout_at=CHECKOUT
        )


def _tasks(replica: Replica) -> list[Task]:
    with replica.read_session() as s:
        rows = list(s.scalars(select(Task)))
        s.expunge_all()
        return rows


def test_a_visit_with_the_outcome_gets_one_task_due_n_days_after_it(replica: Replica) -> None:
    rule_id = _follow_up(replica)
    with replica.session() as s:
        account = services.create(s, "accounts", {"name": "Acme"})
    _visit(replica, account, "successful")
    assert _tasks(replica) == []  # another outcome: nothing
    visit = _visit(replica, account, "no_decision")
    (task,) = _tasks(replica)
    assert task.id == shared.follow_up_task_id(rule_id, visit)
    assert task.rule_id == rule_id and task.visit_id == visit and task.account_id == account
    assert task.due_at == datetime.fromisoformat(CHECKOUT) + timedelta(days=3)
    assert task.description == "Made by rule “Chase no-decisions”"
    with replica.read_session() as s:
        # The task goes to the server like a person's, with the rule that made it.
        entry = s.scalar(select(Outbox).where(Outbox.row_id == task.id))
        assert entry is not None and entry.changes["rule_id"] == [None, rule_id]
        assert rules.rule_name(s, task.rule_id) == "Chase no-decisions"


def test_a_deleted_task_is_not_made_again(replica: Replica) -> None:
    _follow_up(replica)
    with replica.session() as s:
        account = services.create(s, "accounts", {"name": "Acme"})
    visit = _visit(replica, account, "no_decision")
    (task,) = _tasks(replica)
    with replica.session() as s:
        assert rules.undo(s, "tasks", task.id) == "task deleted"
        # The visit edited again, still with the outcome: the rule keeps off.
        services.update(s, "visits", visit, {"notes": "called back"})
    (again,) = _tasks(replica)
    assert again.id == task.id and again.deleted_at is not None


def test_a_disabled_rule_does_nothing(replica: Replica) -> None:
    _follow_up(replica, enabled=False)
    with replica.session() as s:
        account = services.create(s, "accounts", {"name": "Acme"})
    _visit(replica, account, "no_decision")
    assert _tasks(replica) == []


def test_a_follow_up_rule_needs_its_outcome_and_days(replica: Replica) -> None:
    with replica.session() as s, pytest.raises(ValidationError) as err:
        rules.save(s, {"name": "Half a rule", "kind": "follow_up"})
    assert set(err.value.fields) == {"outcome", "days"}


def test_overdue_accounts_are_flagged_once_cleared_flags_stay_cleared(replica: Replica) -> None:
    with replica.session() as s:
        rule_id = rules.save(s, {"name": "Overdue", "kind": "overdue_flag"})
        stale = services.create(s, "accounts", {"name": "Stale", "visit_frequency_days": 7})
        fresh = services.create(s, "accounts", {"name": "Fresh", "visit_frequency_days": 30})
        services.log_visit(s, stale, outcome="successful", checkin_at="2026-01-05T09:00:00+00:00")
        services.log_visit(s, fresh, outcome="successful")
    later = datetime.fromisoformat("2026-01-20T00:00:00+00:00")
    with replica.session() as s:
        assert rules.run_flags(s, now=later) == 1
        assert rules.run_flags(s, now=later) == 0  # idempotent
        (flag,) = s.scalars(select(Flag))
        assert flag.account_id == stale and flag.rule_id == rule_id
        assert flag.reason == "Not visited within 7 days"
        rules.undo(s, "flags", flag.id)
    with replica.session() as s:
        assert rules.run_flags(s, now=later) == 0  # cleared: not flagged again this spell


def test_a_visit_withdraws_the_flag(replica: Replica) -> None:
    with replica.session() as s:
        rules.save(s, {"name": "Overdue", "kind": "overdue_flag"})
        account = services.create(s, "accounts", {"name": "Stale", "visit_frequency_days": 7})
        services.log_visit(s, account, outcome="successful", checkin_at="2026-01-05T09:00:00+00:00")
        rules.run_flags(s, now=datetime.fromisoformat("2026-01-20T00:00:00+00:00"))
        services.log_visit(s, account, outcome="successful")
        (flag,) = s.scalars(select(Flag))
        assert flag.deleted_at is not None


def test_a_new_lead_goes_to_its_territorys_rep_offline(replica: Replica) -> None:
    with replica.session() as s:
        territory = services.create(s, "territories", {"name": "North"})
        ana = services.create(s, "users", {"username": "ana", "role": "rep"})
        ben = services.create(s, "users", {"username": "ben", "role": "rep"})
        rule_id = rules.save(s, {"name": "Leads to their rep", "kind": "lead_assign"})
        lone = services.create(s, "leads", {"last_name": "Unknown", "territory_id": territory})
    with replica.session() as s:
        # Nobody known for North yet: the lead waits for the server.
        assert s.get(Lead, lone).owner_id is None  # type: ignore[union-attr]
    with replica.engine.begin() as conn:  # as a sync that names North's reps stores them
        for rep in (ana, ben):
            conn.execute(
                text("INSERT INTO territory_reps (territory_id, user_id) VALUES (:t, :u)"),
                {"t": territory, "u": rep},
            )
    with replica.session() as s:
        services.create(s, "leads", {"last_name": "Ben's", "owner_id": ben})
        lead = services.create(s, "leads", {"last_name": "Novak", "territory_id": territory})
        row = s.get(Lead, lead)
        assert row is not None
        assert row.owner_id == ana  # of the two, the one with fewer leads
        assert row.assigned_by_rule_id == rule_id and row.assigned_from_id is None
        entry = s.scalar(select(Outbox).where(Outbox.row_id == lead))
        assert entry is not None and entry.changes["owner_id"] == [None, ana]
        assert rules.undo(s, "leads", lead) == "lead given back to its former owner"
        assert row.owner_id is None and row.assigned_by_rule_id is None
