"""Where each visit and task goes in the agenda's time grid (no Qt, no drawing).

Times are minutes after local midnight of the item's day. Items that overlap share
their day's width in columns, as calendars do; a cluster wider than
:data:`MAX_COLUMNS` shows that many and counts the rest (drawn as "+N").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from fieldapp.store.agenda import AgendaTask, AgendaVisit

DAY_MINUTES = 24 * 60
SNAP_MINUTES = 15
MAX_COLUMNS = 4
# A timed task takes this much room in the grid (it has a moment, not a length).
TASK_MINUTES = 20


@dataclass(frozen=True)
class Placed:
    kind: str  # "visit" or "task"
    id: str
    day: int  # index into the shown days
    start: int  # minutes after local midnight
    end: int
    column: int
    columns: int


@dataclass(frozen=True)
class Overflow:
    """Items of a cluster that did not fit: shown as "+count"."""

    day: int
    start: int
    end: int
    count: int


@dataclass
class Layout:
    items: list[Placed] = field(default_factory=list)
    overflow: list[Overflow] = field(default_factory=list)
    all_day: list[list[AgendaTask]] = field(default_factory=list)  # per day

    def item(self, kind: str, item_id: str) -> Placed | None:
        return next((p for p in self.items if p.kind == kind and p.id == item_id), None)


def local_minutes(moment: datetime, day: date) -> int:
    """Minutes from local midnight of ``day`` to ``moment`` (clamped to the day)."""
    start = datetime.combine(day, time()).astimezone()
    minutes = int((moment.astimezone() - start).total_seconds() // 60)
    return max(0, min(DAY_MINUTES, minutes))


def moment_at(day: date, minutes: int) -> datetime:
    """Local ``day`` at ``minutes`` past midnight on the wall clock, as aware UTC."""
    naive = datetime.combine(day, time()) + timedelta(minutes=minutes)
    return naive.astimezone().astimezone(UTC)


def snap(minutes: float, step: int = SNAP_MINUTES) -> int:
    return round(minutes / step) * step


def lay_out(days: list[date], visits: list[AgendaVisit], tasks: list[AgendaTask]) -> Layout:
    """Place ``visits`` and the timed ``tasks`` in columns; collect all-day tasks.

    A manager's week can hold thousands of visits: each local midnight is worked out
    once, and each item's time converted to local time once.
    """
    index = {d: i for i, d in enumerate(days)}
    midnights = {d: datetime.combine(d, time()).astimezone() for d in days}
    per_day: list[list[tuple[int, int, str, str]]] = [[] for _ in days]
    layout = Layout(all_day=[[] for _ in days])

    def minutes(moment: datetime, midnight: datetime) -> int:
        return max(0, min(DAY_MINUTES, int((moment - midnight).total_seconds() // 60)))

    for v in visits:
        day = v.start.astimezone().date()
        if day in index:
            midnight = midnights[day]
            start = minutes(v.start, midnight)
            end = max(start + SNAP_MINUTES, minutes(v.end, midnight))
            per_day[index[day]].append((start, min(end, DAY_MINUTES), "visit", v.id))
    for t in tasks:
        day = t.due_at.astimezone().date()
        if day not in index:
            continue
        if t.all_day:
            layout.all_day[index[day]].append(t)
        else:
            start = min(minutes(t.due_at, midnights[day]), DAY_MINUTES - TASK_MINUTES)
            per_day[index[day]].append((start, start + TASK_MINUTES, "task", t.id))
    for i, entries in enumerate(per_day):
        _place_day(i, entries, layout)
    return layout


def _place_day(day: int, entries: list[tuple[int, int, str, str]], layout: Layout) -> None:
    entries.sort(key=lambda e: (e[0], -e[1], e[2], e[3]))
    cluster: list[tuple[int, int, str, str, int]] = []
    cluster_end = -1
    column_ends: list[int] = []

    def flush() -> None:
        if not cluster:
            return
        used = min(MAX_COLUMNS, max(c[4] for c in cluster) + 1)
        hidden = [c for c in cluster if c[4] >= MAX_COLUMNS]
        for start, end, kind, item_id, column in cluster:
            if column < MAX_COLUMNS:
                layout.items.append(Placed(kind, item_id, day, start, end, column, used))
        if hidden:
            first = min(c[0] for c in hidden)
            last = max(c[1] for c in hidden)
            layout.overflow.append(Overflow(day, first, last, len(hidden)))

    for start, end, kind, item_id in entries:
        if start >= cluster_end:
            flush()
            cluster, column_ends = [], []
        # Only the shown columns are tracked: what fits in none of them is counted
        # (a day of hundreds of overlapping visits stays linear).
        column = next((c for c, e in enumerate(column_ends) if e <= start), len(column_ends))
        if column == len(column_ends) < MAX_COLUMNS:
            column_ends.append(end)
        elif column < len(column_ends):
            column_ends[column] = end
        cluster.append((start, end, kind, item_id, column))
        cluster_end = max(cluster_end, end)
    flush()
