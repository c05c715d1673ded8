"""The agenda: planned visits and tasks of a day or a week, in the laptop's local time.

A *planned visit* is a visit row with ``planned_start``/``planned_end``; checking in
fills ``checkin_at`` on the same row, so the plan becomes the actual visit (see
:mod:`fieldapp.store.scheduling`, which writes them). Visits without a plan appear
when they happened. Reads return frozen dataclasses, never ORM objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, literal_column, or_, select, text
from sqlalchemy.orm import Session

from fieldapp.domain import visits as rules
from fieldapp.errors import NotFoundError
from fieldapp.store.models import Account, Task, Visit

MIN_VISIT_MINUTES = 5

# --- local days ---------------------------------------------------------------------


def local_midnight(day: date) -> datetime:
    """The start of ``day`` on the laptop's clock, in UTC (DST-correct)."""
    return datetime.combine(day, time()).astimezone().astimezone(UTC)


def day_bounds(day: date, days: int = 1) -> tuple[datetime, datetime]:
    """``[start, end)`` of ``days`` local days from ``day``, in UTC."""
    return local_midnight(day), local_midnight(day + timedelta(days=days))


def week_start(day: date) -> date:
    """The Monday of ``day``'s week (ISO 8601 weeks)."""
    return day - timedelta(days=day.weekday())


def local_today() -> date:
    return datetime.now().astimezone().date()


def device_user_id(session: Session) -> str | None:
    """The user this replica belongs to (recorded by its first sync), or None.

    Read from the sync bookkeeping table (store migration 0003) with plain SQL: the
    store does not import the sync layer.
    """
    value = session.execute(text("SELECT value FROM sync_state WHERE key = 'user_id'")).scalar()
    return None if value is None else str(value)


# --- reading the agenda -------------------------------------------------------------


@dataclass(frozen=True)
class AgendaVisit:
    """A visit as the agenda shows it; planned or, without a plan, as it happened."""

    id: str
    account_id: str
    account: str
    city: str | None
    start: datetime
    end: datetime
    planned: bool  # has planned_start (else: an unplanned visit, shown when it happened)
    checkin_at: datetime | None
    checkout_at: datetime | None
    outcome: str | None
    checkin_flag: str | None
    checkin_distance_m: float | None
    route_plan_id: str | None

    @property
    def state(self) -> str:
        """planned | checked_in | done."""
        if self.checkout_at is not None:
            return "done"
        return "checked_in" if self.checkin_at is not None else "planned"

    @property
    def movable(self) -> bool:
        """Only a plan can move; a visit that happened stays where it happened."""
        return self.planned and self.checkin_at is None

    @property
    def minutes(self) -> int:
        return max(0, int((self.end - self.start).total_seconds() // 60))


@dataclass(frozen=True)
class AgendaTask:
    id: str
    title: str
    due_at: datetime
    all_day: bool  # due at local midnight: a task for the day, not for an hour
    done: bool
    priority: str
    account_id: str | None
    account: str | None


@dataclass(frozen=True)
class Agenda:
    start: datetime
    end: datetime
    visits: list[AgendaVisit] = field(default_factory=list)
    tasks: list[AgendaTask] = field(default_factory=list)


def aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _visit_columns() -> Select[*tuple[Any, ...]]:
    return select(
        Visit.id,
        Visit.account_id,
        Account.name,
        Account.city,
        Visit.planned_start,
        Visit.planned_end,
        Visit.checkin_at,
        Visit.checkout_at,
        Visit.outcome,
        Visit.checkin_flag,
        Visit.checkin_distance_m,
        Visit.route_plan_id,
    ).join(Account, Account.id == Visit.account_id)


def _agenda_visit(row: Any) -> AgendaVisit:
    planned_start, planned_end, checkin, checkout = (aware(v) for v in row[4:8])
    start = planned_start or checkin
    assert start is not None
    if planned_start is not None:
        end = planned_end or start + timedelta(minutes=rules.DEFAULT_VISIT_MINUTES)
    else:
        end = checkout or start + timedelta(minutes=rules.DEFAULT_VISIT_MINUTES)
    end = max(end, start + timedelta(minutes=MIN_VISIT_MINUTES))
    return AgendaVisit(
        row[0],
        row[1],
        row[2],
        row[3],
        start,
        end,
        planned_start is not None,
        checkin,
        checkout,
        row[8],
        row[9],
        row[10],
        row[11],
    )


# "No plan" with a unary plus, which keeps SQLite from answering it with the
# planned_start index: without statistics it would walk every unplanned visit
# (most of a million) instead of the week's check-ins.
_UNPLANNED = literal_column("+visits.planned_start").is_(None)


def owned_by(column: Any, owner_id: str | None) -> list[ColumnElement[bool]]:
    """Conditions keeping one person's records (none: everyone's).

    Records made before anyone signed in carry no owner: they are the device user's.
    """
    return [] if owner_id is None else [or_(column == owner_id, column.is_(None))]


def agenda_between(
    session: Session, start: datetime, end: datetime, *, owner_id: str | None = None
) -> Agenda:
    """Visits and tasks in ``[start, end)``: planned visits by their plan, unplanned
    ones when they happened, tasks by when they are due.

    ``owner_id`` narrows it to one person's agenda (and records without an owner).
    Each part is one range scan of an index (planned_start, checkin_at, due_at).
    """
    planned = session.execute(
        _visit_columns()
        .where(
            Visit.planned_start >= start,
            Visit.planned_start < end,
            Visit.deleted_at.is_(None),
            Account.deleted_at.is_(None),
            *owned_by(Visit.owner_id, owner_id),
        )
        .order_by(Visit.planned_start, Visit.id)
    )
    unplanned = session.execute(
        _visit_columns()
        .where(
            Visit.checkin_at >= start,
            Visit.checkin_at < end,
            _UNPLANNED,
            Visit.deleted_at.is_(None),
            Account.deleted_at.is_(None),
            *owned_by(Visit.owner_id, owner_id),
        )
        .order_by(Visit.checkin_at, Visit.id)
    )
    visits = [_agenda_visit(r) for r in planned] + [_agenda_visit(r) for r in unplanned]
    visits.sort(key=lambda v: (v.start, v.id))
    rows = session.execute(
        select(
            Task.id,
            Task.title,
            Task.due_at,
            Task.done,
            Task.priority,
            Task.account_id,
            Account.name,
        )
        .outerjoin(Account, Account.id == Task.account_id)
        .where(
            Task.due_at >= start,
            Task.due_at < end,
            Task.deleted_at.is_(None),
            *owned_by(Task.owner_id, owner_id),
        )
        .order_by(Task.due_at, Task.title)
    )
    tasks = []
    for tid, title, stored, done, priority, account_id, account in rows:
        due = aware(stored)
        assert due is not None  # in range, so not NULL
        local = due.astimezone()
        all_day = (local.hour, local.minute, local.second) == (0, 0, 0)
        tasks.append(AgendaTask(tid, title, due, all_day, done, priority, account_id, account))
    return Agenda(start, end, visits, tasks)


def agenda_for(
    session: Session, day: date, *, week: bool = False, owner_id: str | None = None
) -> Agenda:
    """The agenda of ``day`` (local), or of its Monday-to-Sunday week."""
    first = week_start(day) if week else day
    start, end = day_bounds(first, 7 if week else 1)
    return agenda_between(session, start, end, owner_id=owner_id)


def visit_row(session: Session, visit_id: str) -> AgendaVisit:
    """One visit as the agenda shows it."""
    row = session.execute(
        _visit_columns().where(Visit.id == visit_id, Visit.deleted_at.is_(None))
    ).first()
    if row is None or (row[4] is None and row[6] is None):
        raise NotFoundError(f"no visit with id {visit_id}")
    return _agenda_visit(row)
