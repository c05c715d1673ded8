"""A planned day as the planner shows it: the timed table and the summary in words."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from fieldapp.maps.day_plan import DayPlan, PlannedBreak, hhmm, parse_hhmm


def read_only_table(name: str, headers: Sequence[str]) -> QTableWidget:
    """A table of whole rows to read, not edit: columns fit their text, the second one
    (the name) takes the rest of the width; no row numbers."""
    table = QTableWidget(0, len(headers))
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(list(headers))
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    return table


def parse_window(text: str) -> tuple[int, int] | None:
    """``"14:00-14:30"`` → seconds of the day; empty → None; anything else → ValueError."""
    text = text.strip()
    if not text:
        return None
    start, sep, end = text.partition("-")
    if not sep:
        raise ValueError(f"an appointment is written HH:MM-HH:MM, not {text!r}")
    window = (parse_hhmm(start.strip()), parse_hhmm(end.strip()))
    if window[1] <= window[0]:
        raise ValueError(f"the appointment {text} ends before it starts")
    return window


def window_text(window: tuple[int, int] | None) -> str:
    return f"{hhmm(window[0])}-{hhmm(window[1])}" if window else ""


def _wait_text(wait_s: int, taken: PlannedBreak | None) -> str:
    parts = [f"{round(wait_s / 60)} min"] if wait_s else []
    if taken is not None:
        parts.append(f"break {hhmm(taken.start)}–{hhmm(taken.end)}")
    return ", ".join(parts)


def fill_plan(table: QTableWidget, plan: DayPlan) -> None:
    """One row a stop: position, account, arrive, visit, leave, drive, wait, problem."""
    table.setRowCount(0)
    # A break shows where it is taken: otherwise arrival and visit start differ by
    # half an hour with nothing to say why.
    breaks = {b.before_position: b for b in plan.breaks}
    for stop in plan.stops:
        row = table.rowCount()
        table.insertRow(row)
        window = f" ({window_text(stop.window)})" if stop.window else ""
        values = (
            str(stop.position),
            stop.name + window,
            hhmm(stop.arrival),
            hhmm(stop.start),
            hhmm(stop.departure),
            f"{round(stop.travel_s / 60)} min",
            _wait_text(stop.wait_s, breaks.get(stop.position)),
            stop.problem or "",
        )
        for col, text in enumerate(values):
            table.setItem(row, col, QTableWidgetItem(text))


def summary_lines(plan: DayPlan) -> list[str]:
    lines = [
        f"Leave {hhmm(plan.leave)}, back {hhmm(plan.back)}; "
        f"{plan.total_distance_m / 1000:.1f} km, {round(plan.total_travel_s / 60)} min "
        f"driving, {round(plan.total_wait_s / 60)} min waiting "
        f"({'straight-line estimate' if plan.matrix_source != 'osrm' else 'road network'})."
    ]
    lines += [
        f"Break {hhmm(b.start)}–{hhmm(b.end)}"
        + (" before heading back" if b.before_position > len(plan.stops) else "")
        + (f" ({b.problem})" if b.problem else "")
        + "."
        for b in plan.breaks
    ]
    lines += [f"Not fitted: {u.name} — {u.reason}" for u in plan.unserved]
    lines += [f"Problem: {p}" for p in plan.problems]
    return lines
