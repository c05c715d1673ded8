"""The map page's way back to the app: the ``fieldappBridge`` object over QWebChannel.

The page calls these slots (a marker clicked, a lasso drawn and the markers it caught,
a pin dragged, markers loaded, the view moved); each becomes a Qt signal the Map panel handles.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, Slot

from fieldapp.ui.web_scheme import ORIGIN

# Connects the page to the bridge; a page that finished before the channel was up
# reports its view and markers once it is.
CHANNEL_SCRIPT = f"""
<script src="{ORIGIN}/qwebchannel.js"></script>
<script>
  new QWebChannel(qt.webChannelTransport, function (channel) {{
    window.fieldappBridge = channel.objects.bridge;
    if (window.fieldappState && window.fieldappState.ready) {{
      window.fieldappReportView();
      window.fieldappBridge.mapReady(window.fieldappState.markerCount);
    }}
  }});
</script>
"""


class MapBridge(QObject):
    """The object the page sees as ``fieldappBridge`` (QWebChannel)."""

    activated = Signal(str)
    lasso = Signal(str)
    lassoed = Signal(str)
    moved = Signal(str, float, float)
    ready = Signal(int)
    loaded = Signal(int, int)
    view = Signal(str)
    route = Signal(str)
    check_in = Signal(str)

    @Slot(str)
    def accountActivated(self, account_id: str) -> None:
        self.activated.emit(account_id)

    @Slot(str)
    def addToRoute(self, account_id: str) -> None:
        self.route.emit(account_id)

    @Slot(str)
    def checkInAt(self, account_id: str) -> None:
        self.check_in.emit(account_id)

    @Slot(str)
    def lassoFinished(self, ring_json: str) -> None:
        self.lasso.emit(ring_json)

    @Slot(str)
    def lassoSelected(self, ids_json: str) -> None:
        self.lassoed.emit(ids_json)

    @Slot(str, float, float)
    def markerMoved(self, account_id: str, lat: float, lon: float) -> None:
        self.moved.emit(account_id, lat, lon)

    @Slot(int)
    def mapReady(self, markers: int) -> None:
        self.ready.emit(markers)

    @Slot(int, int)
    def markersLoaded(self, loaded: int, total: int) -> None:
        self.loaded.emit(loaded, total)

    @Slot(str)
    def viewChanged(self, view_json: str) -> None:
        self.view.emit(view_json)
