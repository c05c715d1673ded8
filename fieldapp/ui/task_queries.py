"""The screens' task reads: open tasks (soonest due first), and when each falls due in
the laptop's local day (overdue, today, upcoming, someday)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp.store import agenda
from fieldapp.store.models import Account, Task
from fieldapp.store.types import utcnow


@dataclass(frozen=True)
class TaskRow:
    id: str
    title: str
    due_at: datetime | None
    priority: str
    done: bool
    account_id: str | None
    account: str


def day_bounds(day: date | None = None) -> tuple[datetime, datetime]:
    """The laptop's local day (today unless given) as a UTC [start, end)."""
    local = datetime.now().astimezone()
    day = day or local.date()
    start = datetime.combine(day, datetime.min.time(), tzinfo=local.tzinfo).astimezone(UTC)
    return start, start + timedelta(days=1)


def open_tasks(
    session: Session,
    *,
    include_done: bool = False,
    owner_id: str | None = None,
    due_from: datetime | None = None,
    due_before: datetime | None = None,
) -> list[TaskRow]:
    """Tasks, soonest due first; ``owner_id`` keeps one person's (see agenda.owned_by),
    ``due_from`` / ``due_before`` those due in that span (a range of ``ix_tasks_due_at``,
    not every open task built to keep a few: 20k of them hold the GIL that the GUI
    thread needs for ~100 ms)."""
    conds: list[Any] = [Task.deleted_at.is_(None), *agenda.owned_by(Task.owner_id, owner_id)]
    if not include_done:
        conds.append(Task.done.is_(False))
    if due_from is not None:
        conds.append(Task.due_at >= due_from)
    if due_before is not None:
        conds.append(Task.due_at < due_before)
    rows = session.execute(
        select(
            Task.id,
            Task.title,
            Task.due_at,
            Task.priority,
            Task.done,
            Task.account_id,
            Account.name,
        )
        .outerjoin(Account, Account.id == Task.account_id)
        .where(*conds)
        .order_by(Task.due_at.is_(None), Task.due_at, Task.title)
    )
    return [TaskRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6] or "") for r in rows]


def task_bucket(due: datetime | None, now: datetime | None = None) -> str:
    """overdue | today | upcoming | someday, in the laptop's local day."""
    now = now or utcnow()
    return _bucket(due, now, day_bounds(now.astimezone().date())[1])


def task_buckets(tasks: list[TaskRow], now: datetime | None = None) -> list[str]:
    """Each task's :func:`task_bucket`; the day's end found once (20k tasks: ~1 ms, not
    the 150 ms of finding it per task)."""
    now = now or utcnow()
    end = day_bounds(now.astimezone().date())[1]
    return [_bucket(t.due_at, now, end) for t in tasks]


def _bucket(due: datetime | None, now: datetime, today_ends: datetime) -> str:
    if due is None:
        return "someday"
    if due < now:
        return "overdue"
    if due < today_ends:
        return "today"
    return "upcoming"


def tasks_due_between(session: Session, start: datetime, end: datetime) -> list[TaskRow]:
    """The signed-in user's tasks falling due in [start, end): what the reminder announces."""
    me = agenda.device_user_id(session)
    return open_tasks(session, owner_id=me, due_from=start, due_before=end)
