"""The territory map of the Admin panel: accounts coloured by territory, the shapes, drawing.

The map is the app's own (:class:`fieldapp.ui.map_panel.MapPanel`, offline assets, the
lasso), built the first time it is shown. A territory's shape is drawn with the lasso:
the gesture is cut down to the corners that matter (:mod:`fieldapp.maps.drawing`) and
shown with a handle on each corner to drag (``static/fieldapp-draw.js``); a selected
territory's polygon can be loaded the same way to edit it. Shapes of changes still
waiting as drafts are outlined. Everything works without the network.

Signals:
    drawn(int): a shape is ready to be used (this many corners; 0: cleared).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from fieldapp.maps.drawing import polygon_of, polygon_ring, ring_polygon, simplify
from fieldapp.sync.admin_drafts import Draft
from fieldapp.ui import style
from fieldapp.ui.panel import AppContext

if TYPE_CHECKING:
    from fieldapp.ui.map_panel import MapPanel

log = logging.getLogger(__name__)


class AdminMap(QWidget):
    drawn = Signal(int)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.map: MapPanel | None = None
        self.build_s = 0.0
        self._building = False
        self._corners = 0
        # The corners last put on (or read from) the page: a rebuilt page gets them back.
        self._ring: list[tuple[float, float]] = []
        self._drafts: list[dict[str, Any]] = []
        self._territory: tuple[str, dict[str, Any] | None] | None = None
        self.hint = QLabel("◯ lasso: draw a territory's shape; drag its corners to edit.")
        self.hint.setWordWrap(True)
        style.set_role(self.hint, "hint")
        self.edit_button = QPushButton("Edit &shape")
        self.edit_button.setToolTip("Put the selected territory's polygon on the map to edit it")
        self.edit_button.clicked.connect(lambda _c=False: self.edit_selected_shape())
        self.clear_button = QPushButton("Clear dra&wing")
        self.clear_button.clicked.connect(lambda _c=False: self.clear_drawing())
        bar = QHBoxLayout()
        bar.addWidget(self.hint, 1)
        bar.addWidget(self.edit_button)
        bar.addWidget(self.clear_button)
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.layout_.addLayout(bar)
        self._enable()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.map is None and not self._building:
            self._building = True  # making the web view processes events
            self._build()

    def _build(self) -> None:
        started = time.perf_counter()
        from fieldapp.ui.map_panel import MapPanel  # QtWebEngine + folium: ~0.8 s, once

        def reader(job: Any, done: Any) -> None:
            self.ctx.bg.read(job, done, owner=self)

        self.map = MapPanel(self.ctx.data_dir, self, color_by="territory", reader=reader)
        self.map.bridge.lasso.connect(self._lassoed)
        self.map.map_ready.connect(lambda _n: self._redraw())
        self.map.account_activated.connect(self.ctx.open_account)
        self.layout_.addWidget(self.map, 1)
        # The web view is made on the GUI thread (Qt's rule); benchmarks report it apart.
        self.build_s = time.perf_counter() - started

    # --- drawing -------------------------------------------------------------------------

    def _lassoed(self, ring_json: str) -> None:
        try:
            ring = [(float(p[0]), float(p[1])) for p in json.loads(ring_json)]
            corners = simplify(ring)
        except (ValueError, TypeError, IndexError):
            self.ctx.tell("That shape is too small to be a territory; draw a larger one.")
            return
        self._edit(corners, fit=False)
        self.ctx.tell(
            f"Shape drawn ({len(corners)} corners): drag its corners to adjust, then "
            "From drawing… makes a territory of it, or Reshape gives it to the selected one."
        )

    def _edit(self, corners: list[tuple[float, float]], fit: bool) -> None:
        self._corners = len(corners)
        self._ring = list(corners)
        if self.map is not None:
            ring = json.dumps([list(c) for c in corners])
            self.map.run_js(f"window.fieldappDraw.edit({ring}, {json.dumps(fit)})")
        self._enable()
        self.drawn.emit(self._corners)

    def has_drawing(self) -> bool:
        return self._corners > 0

    def drawing(self, callback: Callable[[dict[str, Any] | None], None]) -> None:
        """Calls back with the shape as it is now on the map (GeoJSON), or None."""
        if self.map is None or not self._corners:
            callback(None)
            return

        def got(result: Any) -> None:
            try:
                ring = [(float(p[0]), float(p[1])) for p in json.loads(result)]
            except (TypeError, ValueError, IndexError):
                callback(None)
                return
            if len(ring) >= 3:
                self._ring = ring
            callback(ring_polygon(ring) if len(ring) >= 3 else None)

        self.map.run_js("window.fieldappDraw ? window.fieldappDraw.ring() : null", got)

    def clear_drawing(self) -> None:
        self._corners = 0
        self._ring = []
        if self.map is not None:
            self.map.run_js("window.fieldappDraw && window.fieldappDraw.clear()")
        self._enable()
        self.drawn.emit(0)

    # --- territories -------------------------------------------------------------------------

    def show_territory(self, name: str, draft_polygon: dict[str, Any] | None) -> None:
        """The territory selected in the list (its draft shape, if a draft gives one):
        the map shows its polygon, when it has one."""
        self._territory = (name, draft_polygon)
        self._enable()
        if self.map is None:
            return
        if draft_polygon is not None:
            self._fit(draft_polygon)
        else:
            self.ctx.bg.read(lambda s: polygon_of(s, name), self._fit, owner=self)

    def _fit(self, polygon: dict[str, Any] | None) -> None:
        ring = polygon_ring(polygon)
        if self.map is not None and len(ring) >= 3:
            corners = json.dumps([list(c) for c in ring])
            self.map.run_js(f"window.fieldappDraw && window.fieldappDraw.fit({corners})")

    def edit_selected_shape(self) -> None:
        if self._territory is None:
            return
        name, draft_polygon = self._territory
        if draft_polygon is not None:
            self._edit(polygon_ring(draft_polygon), fit=True)
            return

        def got(polygon: dict[str, Any] | None) -> None:
            ring = polygon_ring(polygon)
            if len(ring) < 3:
                self.ctx.tell(
                    f"{name} has no polygon on this laptop (yet: a sync brings it); "
                    "draw one with the lasso."
                )
                return
            self._edit(ring, fit=True)

        self.ctx.bg.read(lambda s: polygon_of(s, name), got, owner=self)

    def show_drafts(self, drafts: list[Draft]) -> None:
        """Outline the shapes that waiting drafts give territories."""
        self._drafts = [
            {"name": d.fields.get("name") or d.territory, "ring": polygon_ring(d.fields["polygon"])}
            for d in drafts
            if d.fields.get("polygon") and not d.refused
        ]
        self._redraw()

    def _redraw(self) -> None:
        if self.map is not None:
            if self._ring:
                self._edit(self._ring, fit=False)
            self.map.run_js(
                f"window.fieldappDraw && window.fieldappDraw.drafts({json.dumps(self._drafts)})"
            )

    def reload(self) -> None:
        """New shapes or placements in the replica (after a sync): rebuild the page."""
        if self.map is not None:
            self.map.reload()

    def _enable(self) -> None:
        self.clear_button.setEnabled(self._corners > 0)
        self.edit_button.setEnabled(self._territory is not None)

    def close_map(self) -> None:
        if self.map is not None:
            self.map.close_panel()
