"""The route planner's companions: home and office, and the list of saved plans.

Both dialogs only collect what the user chose; the geocoding and every read and write
run in the background (ctx.bg), so neither waits on the network or the replica.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from fieldapp.maps import route_ends, saved_plans
from fieldapp.maps.geocode import open_geocoder
from fieldapp.maps.settings import MapSettings
from fieldapp.ui import fmt
from fieldapp.ui.background import user_message
from fieldapp.ui.panel import AppContext
from fieldapp.ui.route_table import read_only_table

PLAN_LIST_COLUMNS = ("Day", "Name", "Stops", "Distance", "Leave", "Back", "Visits planned")


class HomeOfficeDialog(QDialog):
    """Type home and office once; they are found (geocoded) and kept in the map settings."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Home and office")
        settings = MapSettings.load(ctx.data_dir)
        self.home = QLineEdit(settings.home or "")
        self.office = QLineEdit(settings.office or "")
        for edit in (self.home, self.office):
            edit.setPlaceholderText("street, postcode town — or LAT, LON")
            edit.setMinimumWidth(360)
        self.status = QLabel("Routes can then start or end at “home” or “office”.")
        self.status.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Home", self.home)
        form.addRow("Office", self.office)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

    def save(self) -> None:
        home, office = self.home.text().strip(), self.office.text().strip()
        data_dir = self.ctx.data_dir

        def find(_session: Session) -> MapSettings:
            settings = MapSettings.load(data_dir)
            geocoder = open_geocoder(data_dir, settings, online=settings.tiles_online)
            try:
                for which, text in (("home", home), ("office", office)):
                    point = None
                    if text:
                        end = route_ends.point_or_address(text, geocoder)
                        point = [end.point[0], end.point[1]]
                    setattr(settings, which, text or None)
                    setattr(settings, f"{which}_point", point)
            finally:
                geocoder.cache.close()
            settings.save(data_dir)
            return settings

        self.buttons.setEnabled(False)
        self.status.setText("Finding the addresses…")
        self.ctx.bg.read(find, self._saved, on_error=self._failed, owner=self)

    def _saved(self, _settings: MapSettings) -> None:
        self.ctx.tell("Home and office saved: routes can start or end there.")
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.buttons.setEnabled(True)
        self.status.setText(f"Not saved: {user_message(exc)}")


class SavedPlansDialog(QDialog):
    """Saved routes, latest first: open one in the planner, plan its visits, delete it."""

    def __init__(
        self,
        ctx: AppContext,
        on_open: Callable[[saved_plans.Reopened], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.on_open = on_open
        self.plans: list[saved_plans.SavedPlan] = []
        self.setWindowTitle("Saved routes")
        self.resize(760, 420)
        self.table = read_only_table("saved_routes", PLAN_LIST_COLUMNS)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.doubleClicked.connect(lambda _i: self.open_selected())
        self.empty = QLabel("No saved routes yet: plan a day and press Save plan.")
        self.open_button = QPushButton("Open")
        self.open_button.setDefault(True)
        self.visits_button = QPushButton("Plan visits")
        self.visits_button.setToolTip("Put every stop in the agenda as a planned visit")
        self.delete_button = QPushButton("Delete")
        self.open_button.clicked.connect(self.open_selected)
        self.visits_button.clicked.connect(self.plan_visits_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        for button in (self.open_button, self.visits_button, self.delete_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        layout.addLayout(buttons)
        self.reload()

    def reload(self) -> None:
        self.ctx.bg.read(saved_plans.list_plans, self._show, owner=self, latest="plans")

    def _show(self, plans: list[saved_plans.SavedPlan]) -> None:
        self.plans = plans
        self.table.setRowCount(len(plans))
        for row, plan in enumerate(plans):
            distance = "" if plan.distance_km is None else f"{plan.distance_km:.1f} km"
            values = (
                fmt.fmt_date(plan.plan_date),
                plan.name,
                str(plan.stops),
                distance,
                plan.leave or "",
                plan.back or "",
                f"{plan.visits_planned} of {plan.stops}",
            )
            for col, text in enumerate(values):
                item = QTableWidgetItem(text)
                if col in (2, 3, 6):
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(row, col, item)
        if plans and not self.table.selectedIndexes():
            self.table.selectRow(0)
        self.empty.setVisible(not plans)
        for button in (self.open_button, self.visits_button, self.delete_button):
            button.setEnabled(bool(plans))

    def selected(self) -> saved_plans.SavedPlan | None:
        rows = {i.row() for i in self.table.selectedIndexes()}
        return self.plans[min(rows)] if rows else None

    def open_selected(self) -> None:
        plan = self.selected()
        if plan is None:
            return
        plan_id = plan.id

        def opened(reopened: saved_plans.Reopened) -> None:
            self.on_open(reopened)
            self.accept()

        self.ctx.bg.read(
            lambda s: saved_plans.reopen(s, plan_id),
            opened,
            on_error=lambda e: self.ctx.tell(f"Cannot open the route: {user_message(e)}"),
            owner=self,
        )

    def plan_visits_selected(self) -> None:
        plan = self.selected()
        if plan is None:
            return
        plan_id, name = plan.id, plan.name

        def done(made: list[str]) -> None:
            if made:
                self.ctx.tell(f"{len(made)} visit(s) of {name} are now in the agenda.")
            else:
                self.ctx.tell(f"Every stop of {name} already has a planned visit.")
            self.reload()

        self.ctx.bg.write(
            lambda s: saved_plans.plan_visits(s, plan_id),
            {"visits", "route_stops"},
            done,
            on_error=lambda e: self.ctx.tell(f"Visits not planned: {user_message(e)}"),
            owner=self,
        )

    def delete_selected(self) -> None:
        plan = self.selected()
        if plan is None:
            return
        plan_id, name = plan.id, plan.name
        bg = self.ctx.bg

        def undo() -> None:
            bg.write(lambda s: saved_plans.restore_plan(s, plan_id), {"route_plans", "route_stops"})

        def done(_result: object) -> None:
            # Undo rather than a question: deleting a plan keeps its planned visits.
            self.ctx.tell(f"Route {name} deleted.", undo)
            self.reload()

        bg.write(
            lambda s: saved_plans.delete_plan(s, plan_id),
            {"route_plans", "route_stops"},
            done,
            on_error=lambda e: self.ctx.tell(f"Route not deleted: {user_message(e)}"),
            owner=self,
        )
