"""Team (managers and admins): the reps' figures, their map, their agenda, their day.

The table has one line per rep (:func:`fieldapp.reports.team.team`: visits this week,
last week and in 30 days, accounts overdue for a visit, open pipeline and weighted
forecast per currency, win rate), computed in the background whenever visits,
accounts or deals change while the panel is shown. Beside it
(:mod:`fieldapp.ui.team_tabs`):

- **Map**: the team's accounts coloured by rep or by days since the last visit (the
  Map panel's page, built off the GUI thread). QtWebEngine starts the first time the
  tab is shown; lassoing accounts adds them to the route being planned.
- **Route**: the day planner for the selected rep (:mod:`fieldapp.ui.team_route`).

Enter (or double-click, or **Open agenda**) opens the rep's week in the Agenda;
Ctrl+R plans a route for them; **Home…** sets where their day starts.

Signals:
    loaded(): the table shows a fresh computation.
"""

from __future__ import annotations

import importlib
from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from fieldapp.domain.reports import RepSummary
from fieldapp.reports.team import team
from fieldapp.ui import fmt, style
from fieldapp.ui.background import user_message
from fieldapp.ui.column_fit import ColumnFit
from fieldapp.ui.empty_state import EmptyHint
from fieldapp.ui.headers import record_table
from fieldapp.ui.panel import AppContext, Panel
from fieldapp.ui.team_model import COL_REP, ELIDED, TeamModel
from fieldapp.ui.team_tabs import ROUTE_MODULE, TeamTabs

if TYPE_CHECKING:
    from fieldapp.maps.team_homes import Home
    from fieldapp.ui.map_panel import MapPanel
    from fieldapp.ui.team_route import RepRoutePlanner

# Change notices in quick succession (a sync applying thousands of records) run once.
SETTLE_MS = 200
MAP_COLOURS = (("rep", "Rep"), ("last_visit", "Days since last visit"))


def compute(session: Session, today: date | None = None) -> list[RepSummary]:
    """Runs on a worker: the table's rows (and babel's money formats, loaded once)."""
    fmt.prepare_money()
    return team(session, today=today)


def _import_route_planner(_session: Session) -> None:
    importlib.import_module(ROUTE_MODULE)


class TeamPanel(Panel):
    title = "Team"
    watches = frozenset({"visits", "accounts", "opportunities", "users", "territories"})
    loaded = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.generation = 0
        # The day the figures are for ("this week"); None: today.
        self.today: date | None = None
        self._stale = True
        self._map_stale = False  # the map is built fresh
        self._warmed = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SETTLE_MS)
        self._timer.timeout.connect(self._run)

        self.heading = QLabel(self.tr("Team"))
        style.set_role(self.heading, "heading")
        self.status = QLabel(self.tr("Loading the team's figures…"))
        self.status.setObjectName("team_status")
        self.colour = QComboBox()
        self.colour.setObjectName("team_map_colour")
        for key, label in MAP_COLOURS:
            self.colour.addItem(self.tr(label), key)
        top = QHBoxLayout()
        top.addWidget(self.heading)
        top.addWidget(self.status, 1)
        top.addWidget(QLabel(self.tr("Colour the map by")))
        top.addWidget(self.colour)

        self.model = TeamModel()
        self.table = record_table(self.model)
        self.table.setObjectName("team_table")
        self.table.setWordWrap(False)
        # Nine columns beside the map: the numbers keep their width, names and money
        # are elided (in full in their tooltips) rather than scrolled out of sight.
        self.columns = ColumnFit(self.table, ELIDED, fill=COL_REP)
        self.hint = EmptyHint(self.table)
        self.table.activated.connect(lambda _i: self.open_agenda())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._enable())
        self.agenda_button = QPushButton(self.tr("Open agenda"))
        self.agenda_button.setToolTip(self.tr("The rep's week in the Agenda (Enter)"))
        self.route_button = QPushButton(self.tr("Plan route…"))
        self.route_button.setToolTip(self.tr("Plan a day for the rep (Ctrl+R)"))
        self.home_button = QPushButton(self.tr("Home…"))
        self.home_button.setToolTip(self.tr("Where the rep's day starts"))
        self.agenda_button.clicked.connect(lambda: self.open_agenda())
        self.route_button.clicked.connect(lambda: self.plan_route())
        self.home_button.clicked.connect(lambda: self.ask_home())
        QShortcut(QKeySequence("Ctrl+R"), self, self.plan_route)
        buttons = QHBoxLayout()
        buttons.addWidget(self.agenda_button)
        buttons.addWidget(self.route_button)
        buttons.addWidget(self.home_button)
        buttons.addStretch(1)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table, 1)
        left_layout.addLayout(buttons)

        self.tabs = TeamTabs(ctx, self.colour.currentData())
        self.colour.currentIndexChanged.connect(
            lambda _i: self.tabs.set_color_by(self.colour.currentData())
        )

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.tabs)
        # The map and the route planner need the room; the table's columns fit in less.
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([560, 640])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)
        self._enable()

    # --- the table ------------------------------------------------------------------------

    def refresh(self) -> None:
        # Hidden, the panel only notes that it is behind; it catches up when shown.
        self._stale = self._map_stale = True
        if self.isVisible():
            self._timer.start()
            self._reload_map()

    def _reload_map(self) -> None:
        if self.map is not None and self._map_stale:
            self._map_stale = False
            self.tabs.reload_map()

    @property
    def map(self) -> MapPanel | None:
        """The team map, once its tab has been shown."""
        return self.tabs.map

    @property
    def route(self) -> RepRoutePlanner | None:
        """The route planner, once it has been needed."""
        return self.tabs.route

    def run_now(self) -> None:
        self._timer.stop()
        self._run()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._warmed:
            # The route planner's modules (VROOM, PyVRP, NumPy) load on a worker while
            # the table computes: importing them when Plan route is pressed held the GUI
            # thread for seconds.
            self._warmed = True
            self.ctx.bg.read(
                _import_route_planner, lambda _r: self.tabs.build_current(), priority=-1, owner=self
            )
        if self._stale:
            self._timer.start(0)
        self._reload_map()
        self.tabs.build_current()

    def _run(self) -> None:
        self._stale = False
        self.generation += 1
        generation, today = self.generation, self.today
        self.ctx.bg.read(
            lambda s: compute(s, today),
            lambda rows: self._show(generation, rows),
            on_error=lambda e: self.status.setText(user_message(e)),
            owner=self,
        )

    def _show(self, generation: int, rows: list[RepSummary]) -> None:
        if generation != self.generation:
            return  # the figures changed again meanwhile
        selected = self.selected_rep()
        self.model.set_rows(rows)
        self.columns.fit()
        self.hint.show_hint(
            None
            if rows
            else self.tr(
                "No reps yet: your team's accounts, visits and deals arrive with a sync (F9)."
            )
        )
        if selected is not None and (row := self.model.row_of(selected.rep_id or "")) is not None:
            self.table.selectRow(row)
        elif rows and rows[0].rep_id is not None:
            self.table.selectRow(0)
        overdue = sum(r.overdue for r in rows)
        self.status.setText(
            self.tr("%1 reps · %2 accounts overdue for a visit")
            .replace("%1", str(sum(1 for r in rows if r.rep_id is not None)))
            .replace("%2", f"{overdue:,}")
        )
        self._enable()
        self.loaded.emit()

    def selected_rep(self) -> RepSummary | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.rep_at(rows[0].row()) if rows else None

    def select_rep(self, rep_id: str) -> None:
        row = self.model.row_of(rep_id)
        if row is not None:
            self.table.selectRow(row)

    def _enable(self) -> None:
        rep = self.selected_rep()
        for button in (self.agenda_button, self.route_button, self.home_button):
            button.setEnabled(rep is not None and rep.rep_id is not None)

    def _chosen(self) -> RepSummary | None:
        rep = self.selected_rep()
        if rep is None or rep.rep_id is None:
            self.ctx.tell(self.tr("Pick a rep in the table first."))
            return None
        return rep

    # --- drilling in ----------------------------------------------------------------------

    def open_agenda(self) -> None:
        rep = self._chosen()
        if rep is not None and rep.rep_id is not None:
            self.ctx.open_agenda.emit(rep.rep_id, rep.label)

    # --- the route -----------------------------------------------------------------------

    def plan_route(self, day: date | None = None) -> None:
        """A new day for the selected rep: their start, their accounts due for a visit."""
        rep = self._chosen()
        if rep is None or rep.rep_id is None:
            return
        rep_id, name, data_dir = rep.rep_id, rep.label, self.ctx.data_dir
        route = self.tabs.route_planner()
        if day is not None:
            route.date.setDate(fmt.qdate(day))
        self.tabs.setCurrentWidget(self.tabs.route_page)

        def start(session: Session) -> tuple[Home | None, list[str]]:
            # Routing and geocoding load on first use, not with the window.
            from fieldapp.maps import team_homes, team_routes

            home = team_homes.rep_start(session, data_dir, rep_id)
            return home, team_routes.rep_stops(session, rep_id)

        self.ctx.bg.read(start, lambda found: route.plan_for(rep_id, name, *found), owner=self)

    # --- homes ----------------------------------------------------------------------------

    def ask_home(self) -> None:
        """Ask where the selected rep's day starts (showing what is known)."""
        rep = self._chosen()
        if rep is None or rep.rep_id is None:
            return
        rep_id, name, data_dir = rep.rep_id, rep.label, self.ctx.data_dir

        def known(_session: Session) -> Home | None:
            from fieldapp.maps import team_homes

            return team_homes.load_homes(data_dir).get(rep_id)

        self.ctx.bg.read(known, lambda home: self._ask_home(rep_id, name, home), owner=self)

    def _ask_home(self, rep_id: str, name: str, known: Home | None) -> None:
        text, ok = QInputDialog.getText(
            self,
            self.tr("Home of %1").replace("%1", name),
            self.tr(
                "Where %1's day starts: an address, or LAT, LON (empty: the territory's centre)"
            ).replace("%1", name),
            text=known.text if known else "",
        )
        if ok:
            self.set_home(rep_id, name, text)

    def set_home(self, rep_id: str, name: str, text: str) -> None:
        """Keep ``text`` (an address, looked up in the background, or LAT, LON) as the
        rep's home on this device; empty forgets it."""
        data_dir = self.ctx.data_dir

        def keep(_session: Session) -> Home | None:
            from fieldapp.maps import team_homes

            return team_homes.set_home(data_dir, rep_id, text)

        def done(home: Home | None) -> None:
            if home is None:
                self.ctx.tell(
                    self.tr("%1's day starts at their territory's centre.").replace("%1", name)
                )
            else:
                self.ctx.tell(
                    self.tr("%1's day starts at %2.").replace("%1", name).replace("%2", home.text)
                )

        self.ctx.bg.read(
            keep,
            done,
            on_error=lambda e: self.ctx.tell(
                self.tr("Home not set: %1").replace("%1", user_message(e))
            ),
            owner=self,
        )

    def close_map(self) -> None:
        """Release the web view's workers and files (the window calls this on close)."""
        self.tabs.close_map()

    # --- layout memory --------------------------------------------------------------------

    def save_state(self, settings: QSettings) -> None:
        settings.setValue("team/splitter", self.splitter.saveState())
        settings.setValue("team/colour", self.colour.currentData())

    def restore_state(self, settings: QSettings) -> None:
        state = settings.value("team/splitter")
        if state is not None:
            self.splitter.restoreState(state)
        index = self.colour.findData(settings.value("team/colour", "rep"))
        if index >= 0:
            self.colour.setCurrentIndex(index)
