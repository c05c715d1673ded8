"""Who is due for a visit: each account's frequency against its last visit."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import func, select

from fieldapp.domain import visits as rules
from fieldapp.store import due, scheduling, services
from fieldapp.store.db import Replica
from fieldapp.store.models import Account
from fieldapp.store.types import utcnow
from tests.store.test_agenda import query_plans


def test_due_list_follows_frequency_last_visit_and_plans(replica: Replica) -> None:
    now = utcnow()
    with replica.session() as s:

        def account(name: str, visited_days_ago: int | None, **values: object) -> str:
            aid = services.create(s, "accounts", {"name": name, **values})
            if visited_days_ago is not None:
                when = now - timedelta(days=visited_days_ago)
                services.log_visit(s, aid, outcome="successful", checkin_at=when)
            return aid

        default_due = account("A 100 days ago", 100)
        weekly_due = account("B weekly, 20 days ago", 20, visit_frequency_days="2w")
        account("C 20 days ago", 20)  # default 90: not yet
        planned = account("D 100 days ago, planned", 100)
        scheduling.schedule_visit(s, planned, now + timedelta(days=2))
        account("E inactive", 200, status="inactive")
        account("F never, just created", None)
        long_ago = account("G 400 days ago", 400)
        deleted = account("H 300 days ago, deleted", 300)
        services.delete(s, "accounts", deleted)
    with replica.read_session() as s:
        listed = due.due_for_visit(s, now=now)
    assert [a.id for a in listed.accounts] == [long_ago, default_due, weekly_due]
    assert listed.total == 3
    first = listed.accounts[0]
    assert first.days_overdue == 400 - 90
    assert first.last_visit_at is not None
    assert first.due_at == first.last_visit_at + timedelta(days=90)
    with replica.read_session() as s:
        assert due.due_for_visit(s, now=now, limit=1).total == 3
        assert len(due.due_for_visit(s, now=now, limit=1).accounts) == 1


def test_never_visited_account_falls_due_a_frequency_after_it_was_made(replica: Replica) -> None:
    with replica.session() as s:
        aid = services.create(s, "accounts", {"name": "New Prospect", "visit_frequency_days": 7})
    with replica.read_session() as s:
        assert due.due_for_visit(s).total == 0
        later = due.due_for_visit(s, now=utcnow() + timedelta(days=8))
    assert [a.id for a in later.accounts] == [aid]
    assert later.accounts[0].last_visit_at is None


def test_sql_judges_as_the_shared_rule_does(replica: Replica) -> None:
    rng = random.Random(5)
    now = utcnow()
    with replica.session() as s:
        ids = services.bulk_create(
            s,
            "accounts",
            [
                {"name": f"Acc {i}", "visit_frequency_days": rng.choice([None, 7, 14, 30, 120])}
                for i in range(300)
            ],
        )
        visits = [
            {
                "account_id": rng.choice(ids),
                "checkin_at": now - timedelta(hours=rng.randint(1, 4000)),
            }
            for _ in range(600)
        ]
        services.bulk_create(s, "visits", visits)
    with replica.read_session() as s:
        listed = due.due_for_visit(s, now=now, limit=1000)
        counted = s.scalar(
            select(func.count()).select_from(Account).where(*due.overdue_conditions(now))
        )
        expected = set()
        for aid in ids:
            acc = services.get(s, "accounts", aid)
            last = services.last_visit_at(s, aid)
            if rules.visit_due_at(last, acc["created_at"], acc["visit_frequency_days"]) < now:
                expected.add(aid)
    assert {a.id for a in listed.accounts} == expected
    assert counted == len(expected) == listed.total
    assert [a.due_at for a in listed.accounts] == sorted(a.due_at for a in listed.accounts)


def test_visit_plan_of_an_account(replica: Replica) -> None:
    now = utcnow()
    with replica.session() as s:
        aid = services.create(s, "accounts", {"name": "Plan KG", "visit_frequency_days": "4w"})
        services.log_visit(s, aid, outcome="successful", checkin_at=now - timedelta(days=30))
        plan = due.visit_plan(s, aid, now=now)
        assert plan.due and plan.frequency_days == 28
        assert plan.describe().startswith("Visit every 4 weeks · due for a visit since")
        visit_id = scheduling.schedule_visit(s, aid, now + timedelta(days=1))
        plan = due.visit_plan(s, aid, now=now)
    assert not plan.due and plan.next_planned_id == visit_id
    assert "next visit planned" in plan.describe()


def test_due_list_seeks_each_account_last_visit_in_the_kept_table(replica: Replica) -> None:
    judge, details = query_plans(replica, lambda s: due.due_for_visit(s))
    # The last visit from the table SQLite keeps (store.last_visits), one seek per
    # account; the planned ones once, from their own index.
    assert "SEARCH account_last_visits USING PRIMARY KEY (account_id=?)" in judge
    assert "ix_visits_account_checkin" not in judge
    planned = judge.split("LIST SUBQUERY")[1].split("CORRELATED")[0]  # built once, not per row
    assert "SEARCH visits USING INDEX ix_visits_" in planned, judge
    assert "accounts USING INDEX sqlite_autoindex_accounts_1 (id=?)" in details
