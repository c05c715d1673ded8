"""Who is due for a visit: each account's frequency against its last visit.

The rule is :func:`fieldapp.domain.visits.visit_due_at` (last visit, or creation,
plus the account's frequency, default 90 days); the SQL here applies the same rule
so that 100k accounts are judged inside SQLite, one seek each in the last visits
SQLite keeps (fieldapp.store.last_visits).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, exists, func, literal, select
from sqlalchemy.orm import Session

from fieldapp.domain import visits as rules
from fieldapp.store import last_visits, services
from fieldapp.store.agenda import aware, local_midnight
from fieldapp.store.models import Account, Visit
from fieldapp.store.territory_reps import account_rep
from fieldapp.store.types import utcnow

# The due-for-a-visit list is for reading, not for 50k rows: the rest is counted.
DUE_LIMIT = 200


def last_visit_at() -> Any:
    """SQL: the account's last check-in (one seek of the kept last visits,
    fieldapp.store.last_visits)."""
    return last_visits.last_visit_at()


def has_planned_visit(since: datetime) -> ColumnElement[bool]:
    """SQL: the account has a visit planned from ``since`` on and not checked in."""
    return exists().where(
        Visit.account_id == Account.id,
        Visit.checkin_at.is_(None),
        Visit.planned_start >= since,
        Visit.deleted_at.is_(None),
    )


def _julian(moment: datetime) -> float:
    return moment.timestamp() / 86400.0 + 2440587.5


def _due_julian(last: Any, created: Any, frequency: Any) -> Any:
    """SQL of :func:`domain.visits.visit_due_at`, as a Julian day number."""
    return func.julianday(func.coalesce(last, created)) + func.coalesce(
        frequency, literal(rules.DEFAULT_FREQUENCY_DAYS)
    )


def overdue_conditions(now: datetime) -> list[ColumnElement[bool]]:
    """SQL conditions on Account: active and not visited within its frequency.

    For counting (the team's "overdue for a visit" per rep, coverage reports):
    ``select(func.count()).select_from(Account).where(*overdue_conditions(now))``.
    """
    return [
        Account.deleted_at.is_(None),
        Account.status == "active",
        _due_julian(last_visit_at(), Account.created_at, Account.visit_frequency_days)
        < _julian(now),
    ]


@dataclass(frozen=True)
class DueAccount:
    id: str
    name: str
    city: str | None
    type: str
    frequency_days: int | None
    last_visit_at: datetime | None
    due_at: datetime

    @property
    def days_overdue(self) -> int:
        return max(0, (utcnow() - self.due_at).days)


@dataclass(frozen=True)
class DueList:
    total: int  # every account due; ``accounts`` holds the first ``limit`` of them
    accounts: list[DueAccount]


def planned_account_ids(since: datetime) -> Any:
    """SQL: ids of accounts with a visit planned from ``since`` on, not checked in.

    Uncorrelated, so SQLite builds it once (a range of ix_visits_planned_start) and
    tests each account against it, instead of a seek per account.
    """
    return select(Visit.account_id).where(
        Visit.planned_start >= since, Visit.checkin_at.is_(None), Visit.deleted_at.is_(None)
    )


def due_for_visit(
    session: Session,
    *,
    now: datetime | None = None,
    limit: int = DUE_LIMIT,
    territory_id: str | None = None,
    owner_id: str | None = None,
) -> DueList:
    """Active accounts not visited within their frequency that have no visit planned
    from today on; longest overdue first. ``owner_id`` keeps one rep's accounts: their
    territory's and those they own elsewhere (fieldapp.store.territory_reps).

    One pass judges every account and returns only the ids in order (at 100k
    accounts tens of thousands may be due); the first ``limit`` are then read in
    full.
    """
    now = now or utcnow()
    conds = [
        Account.deleted_at.is_(None),
        Account.status == "active",
        Account.id.not_in(planned_account_ids(local_midnight(now.astimezone().date()))),
    ]
    if territory_id is not None:
        conds.append(Account.territory_id == territory_id)
    if owner_id is not None:
        conds.append(account_rep(session) == owner_id)
    # MATERIALIZED: each account's last visit is looked up once. Flattened into the
    # outer query, SQLite would seek it again for the test and for the sort.
    judged = (
        select(
            Account.id,
            _due_julian(last_visit_at(), Account.created_at, Account.visit_frequency_days).label(
                "due"
            ),
        )
        .where(*conds)
        .cte("judged")
        .prefix_with("MATERIALIZED")
    )
    ids = list(
        session.scalars(
            select(judged.c.id)
            .where(judged.c.due < _julian(now))
            .order_by(judged.c.due, judged.c.id)
        )
    )
    shown = ids[:limit]
    rows = session.execute(
        select(
            Account.id,
            Account.name,
            Account.city,
            Account.type,
            Account.visit_frequency_days,
            Account.created_at,
            last_visit_at(),
        ).where(Account.id.in_(shown))
    )
    by_id = {}
    for aid, name, city, kind, frequency, created, last in rows:
        last_at, made = aware(last), aware(created)
        assert made is not None
        due_at = rules.visit_due_at(last_at, made, frequency)
        by_id[aid] = DueAccount(aid, name, city, kind, frequency, last_at, due_at)
    return DueList(len(ids), [by_id[aid] for aid in shown])


@dataclass(frozen=True)
class VisitPlan:
    """An account's visit rhythm as its 360° view shows it."""

    frequency_days: int | None  # the account's own; None means the default applies
    last_visit_at: datetime | None
    due_at: datetime
    next_planned_id: str | None
    next_planned_at: datetime | None

    @property
    def due(self) -> bool:
        return self.next_planned_at is None and self.due_at <= utcnow()

    def describe(self) -> str:
        every = rules.describe_frequency(self.frequency_days)
        if self.next_planned_at is not None:
            when = self.next_planned_at.astimezone().strftime("%a %d %b %Y %H:%M")
            return f"Visit {every} · next visit planned {when}"
        when = self.due_at.astimezone().strftime("%d %b %Y")
        if self.due:
            return f"Visit {every} · due for a visit since {when}"
        return f"Visit {every} · next visit due by {when}"


def visit_plan(session: Session, account_id: str, *, now: datetime | None = None) -> VisitPlan:
    now = now or utcnow()
    account = services.get(session, "accounts", account_id)
    last = aware(services.last_visit_at(session, account_id))
    upcoming = session.execute(
        select(Visit.id, Visit.planned_start)
        .where(
            Visit.account_id == account_id,
            Visit.checkin_at.is_(None),
            Visit.planned_start >= local_midnight(now.astimezone().date()),
            Visit.deleted_at.is_(None),
        )
        .order_by(Visit.planned_start)
        .limit(1)
    ).first()
    frequency = account["visit_frequency_days"]
    due_at = rules.visit_due_at(last, account["created_at"], frequency)
    if upcoming is None:
        return VisitPlan(frequency, last, due_at, None, None)
    return VisitPlan(frequency, last, due_at, upcoming[0], aware(upcoming[1]))
