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

from datetime import date

from PySide6.QtCore import QDate, Qt, QTime, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDateEdit,
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

from fieldapp.errors import FieldappError
from fieldapp.maps import day_context, planner, route_ends
from fieldapp.maps.geo import LatLon
from fieldapp.maps.geocode import open_geocoder
from fieldapp.maps.matrix import provider_for
from fieldapp.maps.routing import (
    BreakRequest,
    DayPlan,
    RouteRequest,
    optimise,
    reoptimise_from,
    retime,
)
from fieldapp.maps.settings import MapSettings
from fieldapp.ui import fmt, solver_process
from fieldapp.ui.background import user_message
from fieldapp.ui.panel import AppContext
from fieldapp.ui.route_extras import HomeOfficeDialog
from fieldapp.ui.route_keeping import PlanKeeping
from fieldapp.ui.route_table import fill_plan, parse_window, read_only_table, summary_lines
from fieldapp.ui.solver_use import SolverUse

STOP_COLUMNS = ("Account", "Appointment")
PLAN_COLUMNS = ("#", "Account", "Arrive", "Visit", "Leave", "Drive", "Wait", "Problem")


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
        # The configured OSRM table service when there is one (falling back to straight
        # lines offline), as for `fieldapp route plan`.
        self.provider = provider_for(self.settings)
        self.plan: DayPlan | None = None
        # The saved plan shown (saved or reopened): Save then updates it in place.
        self.plan_id: str | None = None
        self._ends_note: list[str] = []
        self.keeping = PlanKeeping(self)
        self.stop_ids: list[str] = []
        self._names: dict[str, str] = {}

        self.date = QDateEdit(QDate.currentDate())
        self.date.setCalendarPopup(True)
        # The weekday matters when planning a day; the date as the locale writes it.
        self.date.setDisplayFormat(f"ddd {fmt.date_format()}")
        self.start = QLineEdit()
        self.start.setPlaceholderText("home, office, here, an address or LAT, LON")
        self.start.setToolTip(
            "home / office: saved under Home and office…; here: your last check-in today;"
            " empty: the first stop"
        )
        self.end = QLineEdit()
        self.end.setPlaceholderText("as the start (default: back to the start)")
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
        self.day_visits_button = QPushButton("Add the day's visits")
        self.day_visits_button.setToolTip(
            "The day's planned visits from the agenda, at their times"
        )
        self.day_visits_button.clicked.connect(self.keeping.add_day_visits)
        self.places_button = QPushButton("Home and office…")
        self.places_button.clicked.connect(lambda: HomeOfficeDialog(self.ctx, self).open())
        self.saved_button = QPushButton("Saved routes…")
        self.saved_button.setShortcut("Ctrl+Shift+O")
        self.saved_button.clicked.connect(self.keeping.show_saved)
        self.optimise_button = QPushButton("Optimise")
        self.optimise_button.setDefault(True)
        self.optimise_button.clicked.connect(self.optimise)
        sources = QHBoxLayout()
        for button in (self.day_visits_button, self.places_button, self.saved_button):
            sources.addWidget(button)
        sources.addStretch(1)
        stop_buttons = QHBoxLayout()
        stop_buttons.addWidget(self.remove_button)
        stop_buttons.addStretch(1)
        stop_buttons.addWidget(self.optimise_button)

        self.result = read_only_table("route_plan", PLAN_COLUMNS)
        self.summary = QLabel("Lasso accounts on the map, then Optimise.")
        self.summary.setWordWrap(True)
        self.up_button = QPushButton("Earlier")
        self.down_button = QPushButton("Later")
        self.reopt_button = QPushButton("Re-optimise after this stop")
        self.save_button = QPushButton("Save plan")
        self.save_button.setShortcut("Ctrl+S")
        self.visits_button = QPushButton("Plan visits")
        self.visits_button.setToolTip("Save, then put every stop in the agenda as a planned visit")
        self.navigate_button = QPushButton("Navigate")
        self.navigate_button.setToolTip("Directions through every stop in your browser or maps app")
        self.ics_button = QPushButton("Calendar (.ics)…")
        self.gpx_button = QPushButton("Navigation (.gpx)…")
        self.up_button.clicked.connect(lambda: self.move_selected(-1))
        self.down_button.clicked.connect(lambda: self.move_selected(+1))
        self.reopt_button.clicked.connect(self.reoptimise_after_selected)
        self.save_button.clicked.connect(self.keeping.save)
        self.visits_button.clicked.connect(self.keeping.plan_visits)
        self.navigate_button.clicked.connect(self.keeping.navigate)
        self.ics_button.clicked.connect(lambda: self.keeping.export("ics"))
        self.gpx_button.clicked.connect(lambda: self.keeping.export("gpx"))
        plan_buttons = QHBoxLayout()
        for button in (self.up_button, self.down_button, self.reopt_button):
            plan_buttons.addWidget(button)
        files = QHBoxLayout()
        for button in (
            self.save_button,
            self.visits_button,
            self.navigate_button,
            self.ics_button,
            self.gpx_button,
        ):
            files.addWidget(button)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(sources)
        layout.addWidget(QLabel("Stops"))
        layout.addWidget(self.stops, 1)
        layout.addLayout(stop_buttons)
        layout.addWidget(self.summary)
        layout.addWidget(self.result, 2)
        layout.addLayout(plan_buttons)
        layout.addLayout(files)
        self._enable_plan_actions()
        self.solver = SolverUse(ctx.bg, self)

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
        if self.stop_ids:
            self.solver.warm_up()

    def set_window(self, account_id: str, text: str) -> None:
        self.stops.setItem(self.stop_ids.index(account_id), 1, QTableWidgetItem(text))

    def remove_selected_stops(self) -> None:
        for row in sorted({i.row() for i in self.stops.selectedIndexes()}, reverse=True):
            self.stops.removeRow(row)
            del self.stop_ids[row]

    # --- planning ------------------------------------------------------------------------

    def _windows(self) -> dict[str, tuple[int, int]]:
        windows = {}
        for row, account_id in enumerate(self.stop_ids):
            item = self.stops.item(row, 1)
            window = parse_window(item.text() if item is not None else "")
            if window is not None:
                windows[account_id] = window
        return windows

    def _day(self) -> date:
        picked = self.date.date()
        return date(picked.year(), picked.month(), picked.day())

    def optimise(self) -> None:
        if not self.stop_ids:
            self.ctx.tell("Add stops first: lasso accounts on the map.")
            return
        try:
            windows = self._windows()
        except ValueError as exc:
            self.summary.setText(f"Cannot plan: {exc}")
            return
        ids = list(self.stop_ids)
        day = self._day()
        start_text, end_text = self.start.text(), self.end.text()
        day_start = QTime(0, 0).secsTo(self.day_start.time())
        day_end = QTime(0, 0).secsTo(self.day_end.time())
        breaks = (BreakRequest(12 * 3600, 13 * 3600, 30 * 60),) if self.lunch.isChecked() else ()
        provider, data_dir = self.provider, self.ctx.data_dir
        timezone = self.settings.timezone

        def plan(session: Session) -> tuple[DayPlan, list[str]]:
            stops = planner.stop_requests(session, ids, windows=windows)
            # Home and office may have been saved since the planner opened.
            settings = MapSettings.load(data_dir)

            def here() -> LatLon | None:
                last = day_context.last_check_in(session, day, timezone)
                return last.point if last is not None else None

            geocoder = open_geocoder(data_dir, settings)
            try:
                start = route_ends.resolve(start_text, settings, geocoder=geocoder, here=here)
                end = route_ends.resolve(end_text, settings, geocoder=geocoder, here=here)
            finally:
                geocoder.cache.close()
            located = [(s.lat, s.lon) for s in stops if s.lat is not None and s.lon is not None]
            origin = start.point if start else (located[0] if located else None)
            if origin is None:
                raise FieldappError("none of the stops has a location; geocode them first")
            notes = [
                f"{what} {e.label} is approximate (the town's centre)."
                for what, e in (("Start", start), ("End", end))
                if e is not None and e.approximate
            ]
            request = RouteRequest(
                plan_date=day,
                start=origin,
                stops=tuple(stops),
                end=end.point if end else None,
                day_start=day_start,
                day_end=day_end,
                breaks=breaks,
                timezone=timezone,
            )
            return optimise(request, provider, solver=solver_process.solve), notes

        self.optimise_button.setEnabled(False)
        self.summary.setText("Optimising…")
        self.ctx.bg.read(plan, self._planned_with_notes, on_error=self._failed, owner=self)

    def _failed(self, exc: BaseException) -> None:
        self.optimise_button.setEnabled(True)
        self._enable_plan_actions()
        self.summary.setText(f"Cannot plan: {user_message(exc)}")

    def _planned_with_notes(self, result: tuple[DayPlan, list[str]]) -> None:
        self._ends_note = result[1]
        self._planned(result[0])

    def _planned(self, plan: DayPlan) -> None:
        self.optimise_button.setEnabled(True)
        self.solver.used()
        self.show_plan(plan)

    def show_plan(self, plan: DayPlan, new_route: bool = True) -> None:
        self.plan = plan
        fill_plan(self.result, plan)
        self.summary.setText("\n".join(summary_lines(plan) + self._ends_note))
        self._enable_plan_actions()
        self.plan_changed.emit(plan, new_route)

    def _enable_plan_actions(self) -> None:
        has_plan = self.plan is not None and bool(self.plan.stops)
        for button in (
            self.up_button,
            self.down_button,
            self.reopt_button,
            self.save_button,
            self.visits_button,
            self.navigate_button,
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
        """Re-plan the rest of the day from the selected stop, or from the last check-in.

        On the plan's own day the rest starts now (the actual time), not at the planned
        departure: a rep running late sees what still fits.
        """
        if self.plan is None:
            return
        row = self._selected_row()
        plan, provider = self.plan, self.provider
        ids = [s.account_id for s in plan.stops]
        today = date.today() == plan.request.plan_date
        now = QTime(0, 0).secsTo(QTime.currentTime()) if today else None

        def replan(session: Session) -> DayPlan:
            position = None if row is None else row + 1
            if position is None:
                last = day_context.last_check_in(
                    session, plan.request.plan_date, plan.request.timezone
                )
                if last is None or last.account_id not in ids:
                    raise FieldappError(
                        "select the stop you are at (no stop of this route is checked in today)"
                    )
                position = ids.index(last.account_id) + 1
            leave = None
            if now is not None:
                leave = max(now, plan.stops[position - 1].start)
            return reoptimise_from(
                plan, position, now=leave, provider=provider, solver=solver_process.solve
            )

        # Off the GUI thread like Optimise: the solver may use its whole time budget.
        self.reopt_button.setEnabled(False)
        self.optimise_button.setEnabled(False)
        self.summary.setText("Re-optimising the rest of the day…")
        self.ctx.bg.read(replan, self._planned, on_error=self._failed, owner=self)
