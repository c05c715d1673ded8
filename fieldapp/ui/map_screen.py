"""The Map entry of the main window: the map panel, built the first time it is shown.

QtWebEngine starts a Chromium process; doing that at start-up would cost the
landing page its one-second budget, so the web view is only made when the user
opens the map. Marker clicks open the account's 360° view; a lasso selection is
reported in the status bar.
"""

from __future__ import annotations

import linecache
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSplitter, QVBoxLayout, QWidget

from fieldapp.maps.settings import COLOR_FIELDS
from fieldapp.ui import locating
from fieldapp.ui.panel import AppContext, Panel

if TYPE_CHECKING:
    from fieldapp.ui.map_panel import MapPanel
    from fieldapp.ui.route_planner import RoutePlanner


class MapScreen(Panel):
    title = "Map"
    watches = frozenset({"accounts", "visits"})

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.map: MapPanel | None = None
        self.planner: RoutePlanner | None = None
        self._building = False
        self.color = QComboBox()
        self.color.setObjectName("map_color_by")
        for key, label in COLOR_FIELDS.items():
            self.color.addItem(label, key)
        self.color.currentIndexChanged.connect(self._recolour)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Colour by"))
        bar.addWidget(self.color)
        bar.addStretch(1)
        self.hint = QLabel(
            "Click a marker to open the account; the ◯ button draws a lasso around accounts."
        )
        bar.addWidget(self.hint)
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(4, 4, 4, 4)
        self.layout_.addLayout(bar)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.map is None and not self._building:
            # Making the web view processes events, which can show this panel again.
            self._building = True
            from fieldapp.ui.map_panel import MapPanel  # QtWebEngine + folium: ~0.8 s
            from fieldapp.ui.route_planner import RoutePlanner

            # PySide6's import hook reads the source of every module imported after it
            # (inspect.getsource, to look for its __feature__ switches), and linecache
            # keeps it all: ~30 MB of text by now that nothing reads again (a traceback
            # reads its files anew).
            linecache.clearcache()
            self.map = MapPanel(
                self.ctx.data_dir, self, color_by=self.color.currentData(), reader=self._read
            )
            self.map.account_activated.connect(self.ctx.open_account)
            self.map.selection_changed.connect(self._selected)
            self.map.pin_moved.connect(self._pin_moved)
            self.planner = RoutePlanner(self.ctx, self)
            self.planner.plan_changed.connect(self.map.show_plan)
            # The pin's popup: Add to route and Check in stay on the map.
            self.map.add_to_route.connect(
                lambda account_id: self.planner.add_accounts([account_id])
            )
            self.map.check_in_requested.connect(self._check_in)
            splitter = QSplitter()
            splitter.addWidget(self.map)
            splitter.addWidget(self.planner)
            splitter.setStretchFactor(0, 3)
            splitter.setStretchFactor(1, 2)
            splitter.setSizes([3 * self.width() // 5, 2 * self.width() // 5])
            self.layout_.addWidget(splitter, 1)

    def _read(self, job: Any, done: Any) -> None:
        # Before the other panels' loads: the map is what the user is looking at (at
        # a start on the Map panel, the window's start-up reads are queued too).
        self.ctx.bg.read(job, done, owner=self, priority=1)

    def refresh(self) -> None:
        if self.map is not None:
            self.map.reload()

    def _recolour(self) -> None:
        if self.map is not None:
            self.map.set_color_by(self.color.currentData())

    def _add_to_route(self, account_id: str) -> None:
        if self.planner is not None:
            self.planner.add_accounts([account_id])

    def _check_in(self, account_id: str) -> None:
        from fieldapp.ui import visits

        visits.check_in(self.ctx, self, account_id)

    def _selected(self, ids: list[str]) -> None:
        if self.planner is not None:
            self.planner.add_accounts(ids)
        self.ctx.tell(f"{len(ids)} account(s) selected on the map; added to the day's stops")

    def _pin_moved(self, account_id: str, before: dict[str, Any]) -> None:
        # The map saved the new position already; the message offers to put it back.
        locating.undo_offer(self.ctx, account_id, before, "Pin moved on the map.")

    def close_map(self) -> None:
        """Release the web view's workers and files (the window calls this on close)."""
        if self.map is not None:
            self.map.close_panel()
