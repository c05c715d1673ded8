"""The Team panel's right side: the team's map and the selected rep's route.

Each is built the first time its tab is shown while the panel is: the map starts
QtWebEngine and folium (~0.8 s), the route planner needs VROOM, which the panel imports
on a worker beforehand (:data:`ROUTE_MODULE`). Lassoing accounts on the map adds them to
the route being planned.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from fieldapp.ui.panel import AppContext

if TYPE_CHECKING:
    from fieldapp.ui.map_panel import MapPanel
    from fieldapp.ui.team_route import RepRoutePlanner

ROUTE_MODULE = "fieldapp.ui.team_route"


def _page() -> tuple[QWidget, QVBoxLayout]:
    page = QWidget()
    layout = QVBoxLayout(page)
    layout.setContentsMargins(0, 0, 0, 0)
    return page, layout


class TeamTabs(QTabWidget):
    def __init__(self, ctx: AppContext, color_by: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.color_by = color_by
        self.map: MapPanel | None = None
        self.route: RepRoutePlanner | None = None
        self.setObjectName("team_tabs")
        self.map_page, self._map_layout = _page()
        self.route_page, self._route_layout = _page()
        self.addTab(self.map_page, self.tr("Map"))
        self.addTab(self.route_page, self.tr("Route"))
        self.currentChanged.connect(lambda _i: self.build_current())

    def build_current(self) -> None:
        """Build the tab shown, if the panel is (and, for the route, its modules are in)."""
        if not self.isVisible():
            return
        if self.currentWidget() is self.map_page:
            self._build_map()
        elif ROUTE_MODULE in sys.modules:
            self.route_planner()
        # else: built when the panel's worker has imported the planner

    def _build_map(self) -> None:
        if self.map is not None:
            return
        from fieldapp.ui.map_panel import MapPanel  # QtWebEngine + folium: ~0.8 s, once

        def reader(job: Any, done: Any) -> None:
            self.ctx.bg.read(job, done, owner=self)

        self.map = MapPanel(self.ctx.data_dir, self.map_page, color_by=self.color_by, reader=reader)
        self.map.account_activated.connect(self.ctx.open_account)
        self.map.selection_changed.connect(self._lassoed)
        self._map_layout.addWidget(self.map)
        if self.route is not None:
            self.route.plan_changed.connect(self.map.show_plan)

    def route_planner(self) -> RepRoutePlanner:
        """The route tab's planner, built now if it was not yet."""
        if self.route is None:
            from fieldapp.ui.team_route import RepRoutePlanner  # VROOM

            self.route = RepRoutePlanner(self.ctx, self.route_page)
            self._route_layout.addWidget(self.route)
            if self.map is not None:
                self.route.plan_changed.connect(self.map.show_plan)
        return self.route

    def show_route(self) -> RepRoutePlanner:
        """Bring the route tab forward and return its planner."""
        route = self.route_planner()
        self.setCurrentWidget(self.route_page)
        return route

    def reload_map(self) -> None:
        if self.map is not None:
            self.map.reload()

    def set_color_by(self, key: str) -> None:
        self.color_by = key
        if self.map is not None:
            self.map.set_color_by(key)

    def _lassoed(self, ids: list[str]) -> None:
        self.show_route().add_accounts(ids)
        self.ctx.tell(self.tr("%1 account(s) added to the route").replace("%1", str(len(ids))))

    def close_map(self) -> None:
        """Release the web view's workers and files (the window calls this on close)."""
        if self.map is not None:
            self.map.close_panel()
