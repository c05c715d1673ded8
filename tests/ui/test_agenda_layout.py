"""Where the agenda puts overlapping visits and tasks (no widgets involved)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from fieldapp.store.agenda import AgendaTask, AgendaVisit
from fieldapp.ui import agenda_layout as lay

DAY = date(2026, 12, 1)


def visit(vid: str, hour: float, minutes: int, day: date = DAY) -> AgendaVisit:
    start = lay.moment_at(day, int(hour * 60))
    end = start + timedelta(minutes=minutes)
    return AgendaVisit(
        vid, "acc", "Acme", None, start, end, True, None, None, None, None, None, None
    )


def task(tid: str, due: datetime, all_day: bool = False) -> AgendaTask:
    return AgendaTask(tid, tid, due, all_day, False, "normal", None, None)


def test_overlapping_visits_share_the_day_in_columns() -> None:
    layout = lay.lay_out(
        [DAY],
        [visit("a", 9, 60), visit("b", 9.5, 60), visit("c", 10.25, 30), visit("d", 12, 30)],
        [],
    )
    placed = {p.id: (p.column, p.columns) for p in layout.items}
    # a and b overlap; c starts after a ends and takes its column; d stands alone.
    assert placed == {"a": (0, 2), "b": (1, 2), "c": (0, 2), "d": (0, 1)}
    a = layout.item("visit", "a")
    assert a is not None and (a.start, a.end) == (9 * 60, 10 * 60)


def test_a_crowded_hour_shows_four_columns_and_counts_the_rest() -> None:
    visits = [visit(str(i), 9, 60) for i in range(7)]
    layout = lay.lay_out([DAY], visits, [])
    assert len(layout.items) == lay.MAX_COLUMNS
    assert {p.columns for p in layout.items} == {lay.MAX_COLUMNS}
    [over] = layout.overflow
    assert (over.count, over.start, over.end) == (3, 9 * 60, 10 * 60)


def test_tasks_without_a_time_go_to_the_all_day_strip() -> None:
    week = [DAY + timedelta(days=i) for i in range(7)]
    noon = lay.moment_at(DAY, 12 * 60)
    layout = lay.lay_out(
        week,
        [visit("v", 12, 30, DAY + timedelta(days=2))],
        [task("timed", noon), task("whole", lay.moment_at(DAY + timedelta(days=1), 0), True)],
    )
    assert [t.id for t in layout.all_day[1]] == ["whole"]
    timed = layout.item("task", "timed")
    assert timed is not None and (timed.day, timed.start) == (0, 12 * 60)
    v = layout.item("visit", "v")
    assert v is not None and v.day == 2


def test_outside_the_days_shown_nothing_is_placed() -> None:
    layout = lay.lay_out([DAY], [visit("v", 9, 30, DAY + timedelta(days=1))], [])
    assert layout.items == [] and layout.all_day == [[]]


def test_snapping_and_local_wall_clock() -> None:
    assert [lay.snap(m) for m in (0, 7, 8, 22, 23, 124)] == [0, 0, 15, 15, 30, 120]
    moment = lay.moment_at(DAY, 10 * 60 + 15)
    assert moment.tzinfo == UTC
    assert moment.astimezone().strftime("%H:%M") == "10:15"
    assert lay.local_minutes(moment, DAY) == 10 * 60 + 15
