"""Plan the day beside the map: stops, appointments, hours → an optimised, timed route.

The rep lassoes accounts on the map (or adds the one they are looking at), types a
fixed appointment as ``14:00-14:30`` next to a stop, sets the day and working hours
and presses Optimise. VROOM runs off the GUI thread; the answer shows every stop's
arrival, departure, driving and waiting time, the stops that could not be fitted with
the reason, and the route on the map. Stops can be moved by hand (times recomputed,
broken appointments flagged), the rest of the day re-optimised from a stop, and the
plan saved (it syncs) or exported to a calendar (.ics) or navigation app (.gpx).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate, Qt, QTime, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDateEdit,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from fieldapp.maps import exports, planner
from fieldapp.maps.geo import LatLon
from fieldapp.maps.matrix import StraightLine
from fieldapp.maps.routing import (
    BreakRequest,
    DayPlan,
    PlannedBreak,
    RouteRequest,
    hhmm,
    optimise,
    parse_hhmm,
    reoptimise_from,
    retime,
)
from fieldapp.maps.settings import MapSettings
from fieldapp.store.files import atomic_text
from fieldapp.ui import fmt, solver_process
from fieldapp.ui.background import user_message
from fieldapp.ui.panel import AppContext

STOP_COLUMNS = ("Account", "Appointment")
PLAN_COLUMNS = ("#", "Account", "Arrive", "Visit", "Leave", "Drive", "Wait", "Problem")


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


def parse_point(text: str) -> LatLon:
    try:
        lat, lon = (float(part) for part in text.replace(";", ",").split(","))
    except ValueError as exc:
        raise ValueError(f"a place is written LAT, LON (e.g. 50.94, 6.96), not {text!r}") from exc
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(f"{text} is not on Earth (latitude ±90, longitude ±180)")
    return (lat, lon)


def _wait_text(wait_s: int, taken: PlannedBreak | None) -> str:
    parts = [f"{round(wait_s / 60)} min"] if wait_s else []
    if taken is not None:
        parts.append(f"break {hhmm(taken.start)}–{hhmm(taken.end)}")
    return ", ".join(parts)


class RoutePlanner(QWidget):
    """The day's stops and the optimised route.

    Signals:
        plan_changed(object, bool): the new plan, and whether it is a new route
            (optimised or re-optimised) rather than the same stops moved by hand.
    """

    plan_changed = Signal(object, bool)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.settings = MapSettings.load(ctx.data_dir)
        self.provider = StraightLine(self.settings.speed_kmh, self.settings.road_factor)
        self.plan: DayPlan | None = None
        self.stop_ids: list[str] = []
        self._names: dict[str, str] = {}

        self.date = QDateEdit(QDate.currentDate())
        self.date.setCalendarPopup(True)
        # The weekday matters when planning a day; the date as the locale writes it.
        self.date.setDisplayFormat(f"ddd {fmt.date_format()}")
        self.start = QLineEdit()
        self.start.setPlaceholderText("LAT, LON of home or office (default: first stop)")
        self.end = QLineEdit()
        self.end.setPlaceholderText("LAT, LON (default: back to the start)")
        self.day_start = QTimeEdit(QTime.fromString(self.settings.day_start, "HH:mm"))
        self.day_end = QTimeEdit(QTime.fromString(self.settings.day_end, "HH:mm"))
        self.lunch = QCheckBox("30 min lunch break between 12:00 and 13:30")
        self.lunch.setChecked(True)
        hours = QHBoxLayout()
        hours.addWidget(self.day_start)
        hours.addWidget(QLabel("to"))
        hours.addWidget(self.day_end)
        form = QFormLayout()
        form.addRow("Day", self.date)
        form.addRow("Start", self.start)
        form.addRow("End", self.end)
        form.addRow("Working hours", hours)
        form.addRow("", self.lunch)

        self.stops = QTableWidget(0, len(STOP_COLUMNS))
        self.stops.setObjectName("route_stops_input")
        self.stops.setHorizontalHeaderLabels(STOP_COLUMNS)
        self.stops.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.stops.horizontalHeader().setSectionResizeMode(
            1, QHeaderView.ResizeMode.ResizeToContents
        )
        appointment = QTableWidgetItem(STOP_COLUMNS[1])
        appointment.setToolTip("A fixed appointment, e.g. 14:00-14:30; empty: any time")
        self.stops.setHorizontalHeaderItem(1, appointment)
        self.stops.verticalHeader().setVisible(False)
        self.stops.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.remove_button = QPushButton("Remove stop")
        self.remove_button.clicked.connect(self.remove_selected_stops)
        self.optimise_button = QPushButton("Optimise")
        self.optimise_button.setDefault(True)
        self.optimise_button.clicked.connect(self.optimise)
        stop_buttons = QHBoxLayout()
        stop_buttons.addWidget(self.remove_button)
        stop_buttons.addStretch(1)
        stop_buttons.addWidget(self.optimise_button)

        self.result = QTableWidget(0, len(PLAN_COLUMNS))
        self.result.setObjectName("route_plan")
        self.result.setHorizontalHeaderLabels(PLAN_COLUMNS)
        header = self.result.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.result.verticalHeader().setVisible(False)
        self.result.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.result.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.summary = QLabel("Lasso accounts on the map, then Optimise.")
        self.summary.setWordWrap(True)
        self.up_button = QPushButton("Earlier")
        self.down_button = QPushButton("Later")
        self.reopt_button = QPushButton("Re-optimise after this stop")
        self.save_button = QPushButton("Save plan")
        self.ics_button = QPushButton("Calendar (.ics)…")
        self.gpx_button = QPushButton("Navigation (.gpx)…")
        self.up_button.clicked.connect(lambda: self.move_selected(-1))
        self.down_button.clicked.connect(lambda: self.move_selected(+1))
        self.reopt_button.clicked.connect(self.reoptimise_after_selected)
        self.save_button.clicked.connect(self.save)
        self.ics_button.clicked.connect(lambda: self.export("ics"))
        self.gpx_button.clicked.connect(lambda: self.export("gpx"))
        plan_buttons = QHBoxLayout()
        for button in (self.up_button, self.down_button, self.reopt_button):
            plan_buttons.addWidget(button)
        files = QHBoxLayout()
        for button in (self.save_button, self.ics_button, self.gpx_button):
            files.addWidget(button)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("Stops"))
        layout.addWidget(self.stops, 1)
        layout.addLayout(stop_buttons)
        layout.addWidget(self.summary)
        layout.addWidget(self.result, 2)
        layout.addLayout(plan_buttons)
        layout.addLayout(files)
        self._enable_plan_actions()
        # Start the solver's process now (a low-priority background job), so the
        # first Optimise does not wait for its imports.
        self.ctx.bg.read(lambda _session: solver_process.child_pid(), priority=-1, owner=self)

    # --- stops ---------------------------------------------------------------------------

    def add_accounts(self, account_ids: list[str]) -> None:
        """Add these accounts as stops (names are looked up in the background)."""
        new = [a for a in dict.fromkeys(account_ids) if a not in self.stop_ids]
        if not new:
            return

        def names(session: Session) -> dict[str, str]:
            points = planner.account_points(session, ids=new)
            return {p.id: p.name for p in points}

        self.ctx.bg.read(names, lambda found: self._add_rows(new, found), owner=self)

    def _add_rows(self, ids: list[str], names: dict[str, str]) -> None:
        for account_id in ids:
            if account_id in self.stop_ids or account_id not in names:
                continue
            self.stop_ids.append(account_id)
            self._names[account_id] = names[account_id]
            row = self.stops.rowCount()
            self.stops.insertRow(row)
            name = QTableWidgetItem(names[account_id])
            name.setFlags(name.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.stops.setItem(row, 0, name)
            self.stops.setItem(row, 1, QTableWidgetItem(""))
        self.summary.setText(f"{len(self.stop_ids)} stop(s). Press Optimise to plan the day.")

    def set_window(self, account_id: str, text: str) -> None:
        self.stops.setItem(self.stop_ids.index(account_id), 1, QTableWidgetItem(text))

    def remove_selected_stops(self) -> None:
        for row in sorted({i.row() for i in self.stops.selectedIndexes()}, reverse=True):
            self.stops.removeRow(row)
            del self.stop_ids[row]

    # --- planning ------------------------------------------------------------------------

    def _request_parts(self) -> tuple[dict[str, tuple[int, int]], LatLon | None, LatLon | None]:
        windows = {}
        for row, account_id in enumerate(self.stop_ids):
            item = self.stops.item(row, 1)
            window = parse_window(item.text() if item is not None else "")
            if window is not None:
                windows[account_id] = window
        start = parse_point(self.start.text()) if self.start.text().strip() else None
        end = parse_point(self.end.text()) if self.end.text().strip() else None
        return windows, start, end

    def optimise(self) -> None:
        if not self.stop_ids:
            self.ctx.tell("Add stops first: lasso accounts on the map.")
            return
        try:
            windows, start, end = self._request_parts()
        except ValueError as exc:
            self.summary.setText(f"Cannot plan: {exc}")
            return
        ids = list(self.stop_ids)
        picked = self.date.date()
        day = date(picked.year(), picked.month(), picked.day())
        day_start = QTime(0, 0).secsTo(self.day_start.time())
        day_end = QTime(0, 0).secsTo(self.day_end.time())
        breaks = (BreakRequest(12 * 3600, 13 * 3600, 30 * 60),) if self.lunch.isChecked() else ()
        provider = self.provider
        timezone = self.settings.timezone

        def plan(session: Session) -> DayPlan:
            stops = planner.stop_requests(session, ids, windows=windows)
            located = [(s.lat, s.lon) for s in stops if s.lat is not None and s.lon is not None]
            origin = start or (located[0] if located else None)
            if origin is None:
                raise ValueError("none of the stops has a location; geocode them first")
            request = RouteRequest(
                plan_date=day,
                start=origin,
                stops=tuple(stops),
                end=end,
                day_start=day_start,
                day_end=day_end,
                breaks=breaks,
                timezone=timezone,
            )
            return optimise(request, provider, solver=solver_process.solve)

        self.optimise_button.setEnabled(False)
        self.summary.setText("Optimising…")
        self.ctx.bg.read(plan, self._planned, on_error=self._failed, owner=self)

    def _failed(self, exc: BaseException) -> None:
        self.optimise_button.setEnabled(True)
        self._enable_plan_actions()
        self.summary.setText(f"Cannot plan: {user_message(exc)}")

    def _planned(self, plan: DayPlan) -> None:
        self.optimise_button.setEnabled(True)
        self.show_plan(plan)

    def show_plan(self, plan: DayPlan, new_route: bool = True) -> None:
        self.plan = plan
        self.result.setRowCount(0)
        # A break shows where it is taken: otherwise arrival and visit start differ by
        # half an hour with nothing to say why.
        breaks = {b.before_position: b for b in plan.breaks}
        for stop in plan.stops:
            row = self.result.rowCount()
            self.result.insertRow(row)
            window = f" ({hhmm(stop.window[0])}-{hhmm(stop.window[1])})" if stop.window else ""
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
                self.result.setItem(row, col, QTableWidgetItem(text))
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
        self.summary.setText("\n".join(lines))
        self._enable_plan_actions()
        self.plan_changed.emit(plan, new_route)

    def _enable_plan_actions(self) -> None:
        has_plan = self.plan is not None and bool(self.plan.stops)
        for button in (
            self.up_button,
            self.down_button,
            self.reopt_button,
            self.save_button,
            self.ics_button,
            self.gpx_button,
        ):
            button.setEnabled(has_plan)

    def _selected_row(self) -> int | None:
        rows = {i.row() for i in self.result.selectedIndexes()}
        return min(rows) if rows else None

    def move_selected(self, step: int) -> None:
        """Move the selected stop earlier or later; times are recomputed at once."""
        row = self._selected_row()
        if self.plan is None or row is None:
            return
        order = [s.account_id for s in self.plan.stops]
        target = row + step
        if not 0 <= target < len(order):
            return
        order[row], order[target] = order[target], order[row]
        self.show_plan(retime(self.plan, order, self.provider), new_route=False)
        self.result.selectRow(target)

    def reoptimise_after_selected(self) -> None:
        row = self._selected_row()
        if self.plan is None or row is None:
            self.ctx.tell("Select the stop you are at, then re-optimise the rest of the day.")
            return
        plan, provider = self.plan, self.provider
        # Off the GUI thread like Optimise: the solver may use its whole time budget.
        self.reopt_button.setEnabled(False)
        self.optimise_button.setEnabled(False)
        self.summary.setText("Re-optimising the rest of the day…")
        self.ctx.bg.read(
            lambda _session: reoptimise_from(
                plan, row + 1, provider=provider, solver=solver_process.solve
            ),
            self._planned,
            on_error=self._failed,
            owner=self,
        )

    # --- keeping the plan ----------------------------------------------------------------

    def save(self) -> None:
        plan = self.plan
        if plan is None:
            return
        self.ctx.bg.write(
            lambda s: planner.save_plan(s, plan),
            {"route_plans", "route_stops"},
            lambda _id: self.ctx.tell(f"Route for {fmt.fmt_date(plan.request.plan_date)} saved."),
            on_error=lambda e: self.ctx.tell(f"Route not saved: {user_message(e)}"),
            owner=self,
        )

    def export(self, kind: str, path: str | None = None) -> None:
        """Write the plan as .ics or .gpx (``path`` given: no dialog, for scripts and tests)."""
        plan = self.plan
        if plan is None:
            return
        if path is None:
            suggested = str(Path.home() / f"route-{plan.request.plan_date}.{kind}")
            path, _ = QFileDialog.getSaveFileName(self, "Export route", suggested)
            if not path:
                return
        render: Callable[[DayPlan], str] = exports.to_ics if kind == "ics" else exports.to_gpx
        try:
            with atomic_text(path) as out:
                out.write(render(plan))
        except OSError as exc:
            self.ctx.tell(f"Could not write {path}: {exc.strerror or exc}")
            return
        self.ctx.tell(f"Route written to {path}.")
