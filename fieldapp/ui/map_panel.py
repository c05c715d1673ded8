"""The Map panel: accounts, territories and the day's route in a QWebEngineView.

Everything the page needs comes through the app's own ``fieldapp://`` URL scheme:
the page itself, Leaflet and markercluster (from the XStatic packages), Qt's
``qwebchannel.js`` and the map tiles (from the MBTiles cache; fetched and cached
when tiles are online, on a worker thread, never on the GUI thread). Nothing is
loaded from a CDN, so the map works the same with the network unplugged: cached
tiles show, missing ones leave the plain background.

:func:`register_scheme` must run before the QApplication is created; importing this
module does it when no application exists yet.

Signals:
    account_activated(str): a marker was clicked; the account's id.
    selection_changed(list): the lasso selected these account ids.
    location_corrected(str, float, float): a pin was dragged; saved as ``manual``.
    pin_moved(str, object): the same, with the position before it (for Undo).
    map_loaded(bool): the page finished loading.
    map_ready(int): Leaflet is up and this many markers are on the map.
    download_progress(int, int): tiles done and total of a "download this area".
    download_finished(object): its PrefetchReport, or the error message (str).
"""

from __future__ import annotations

import json
import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QCoreApplication,
    QFile,
    QIODevice,
    QObject,
    QUrl,
    Signal,
    Slot,
)
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineCore import (
    QWebEnginePage,
    QWebEngineProfile,
    QWebEngineUrlRequestJob,
    QWebEngineUrlSchemeHandler,
)
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QVBoxLayout, QWidget

from fieldapp.maps import assets, geocode, page
from fieldapp.maps.geo import Place, select_in_polygon
from fieldapp.maps.routing import DayPlan
from fieldapp.maps.settings import MapSettings
from fieldapp.maps.tiles import BBox, Estimate, TileError, Tiles, open_tiles
from fieldapp.store.db import Replica, open_replica
from fieldapp.ui.web_scheme import ORIGIN, SCHEME, register_scheme

# Runs a job over a read session and hands its result to a callback on the GUI thread
# (e.g. ``Background.read``): how a map over a large replica builds its page off the
# GUI thread.
Reader = Callable[[Callable[[Any], Any], Callable[[Any], None]], None]

log = logging.getLogger(__name__)

TILE_URL = ORIGIN + "/tiles/{z}/{x}/{y}.png"

_CHANNEL_SCRIPT = f"""
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


if QCoreApplication.instance() is None:
    register_scheme()


class AppSchemeHandler(QWebEngineUrlSchemeHandler):
    """Answers ``fieldapp://app/...``: the page, assets, qwebchannel.js and tiles.

    Tiles missing from the cache are fetched on a worker thread (when tiles are
    online) and the request is answered when they arrive; the GUI thread never
    waits on the network.
    """

    _tile_done = Signal(object, object)

    def __init__(self, tiles: Tiles, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tiles = tiles
        self.page_html = b""
        # Recent answers, (path, "ok" | "cache" | "net" | "missing"): for tests and logs.
        self.served: deque[tuple[str, str]] = deque(maxlen=2000)
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="tiles")
        self._pending: dict[int, QWebEngineUrlRequestJob] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._tile_done.connect(self._finish_tile)

    def shutdown(self) -> None:
        # Requests still arriving from a page being torn down get an abort, not a
        # closed tile cache.
        self._closed = True
        self._pool.shutdown(wait=True, cancel_futures=True)

    @staticmethod
    def _reply(job: QWebEngineUrlRequestJob, mime: str, data: bytes) -> None:
        buf = QBuffer(job)
        buf.setData(QByteArray(data))
        buf.open(QIODevice.OpenModeFlag.ReadOnly)
        job.reply(mime.encode(), buf)

    def requestStarted(self, job: QWebEngineUrlRequestJob) -> None:
        url = job.requestUrl()
        path = url.path()
        if self._closed:
            job.fail(QWebEngineUrlRequestJob.Error.RequestAborted)
            return
        if url.host() != "app":
            job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
            return
        if path == "/map.html":
            self.served.append((path, "ok"))
            self._reply(job, "text/html; charset=utf-8", self.page_html)
        elif path == "/qwebchannel.js":
            f = QFile(":/qtwebchannel/qwebchannel.js")
            f.open(QIODevice.OpenModeFlag.ReadOnly)
            self.served.append((path, "ok"))
            self._reply(job, "application/javascript", bytes(f.readAll().data()))
        elif path.startswith("/assets/"):
            found = assets.read_asset(path.removeprefix("/assets/"))
            if found is None:
                self.served.append((path, "missing"))
                job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
                return
            self.served.append((path, "ok"))
            self._reply(job, found[1], found[0])
        elif path.startswith("/tiles/"):
            self._tile(job, path)
        else:
            self.served.append((path, "missing"))
            job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)

    def _tile(self, job: QWebEngineUrlRequestJob, path: str) -> None:
        try:
            z, x, y = (int(p) for p in path.removeprefix("/tiles/").removesuffix(".png").split("/"))
        except ValueError:
            job.fail(QWebEngineUrlRequestJob.Error.UrlInvalid)
            return
        data = self.tiles.cache.get(z, x, y)
        if data is not None:
            self.served.append((path, "cache"))
            self._reply(job, "image/png", data)
            return
        if self.tiles.source is None:
            self.served.append((path, "missing"))
            job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
            return
        key = id(job)
        with self._lock:
            self._pending[key] = job
        job.destroyed.connect(lambda *_: self._forget(key))
        future = self._pool.submit(self.tiles.tile, z, x, y)
        future.add_done_callback(lambda f: self._tile_done.emit((key, path), f))

    def _forget(self, key: int) -> None:
        with self._lock:
            self._pending.pop(key, None)

    @Slot(object, object)
    def _finish_tile(self, key_path: tuple[int, str], future: Future[bytes | None]) -> None:
        key, path = key_path
        with self._lock:
            job = self._pending.pop(key, None)
        if job is None:
            return  # the page went away meanwhile
        data = None if future.cancelled() or future.exception() else future.result()
        if data is None:
            self.served.append((path, "missing"))
            job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
        else:
            self.served.append((path, "net"))
            self._reply(job, "image/png", data)


class MapBridge(QObject):
    """The object the page sees as ``fieldappBridge`` (QWebChannel)."""

    activated = Signal(str)
    lasso = Signal(str)
    moved = Signal(str, float, float)
    ready = Signal(int)
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

    @Slot(str, float, float)
    def markerMoved(self, account_id: str, lat: float, lon: float) -> None:
        self.moved.emit(account_id, lat, lon)

    @Slot(int)
    def mapReady(self, markers: int) -> None:
        self.ready.emit(markers)

    @Slot(str)
    def viewChanged(self, view_json: str) -> None:
        self.view.emit(view_json)


class MapPanel(QWidget):
    """The map of the replica's accounts. See the module docstring for signals."""

    account_activated = Signal(str)
    add_to_route = Signal(str)
    check_in_requested = Signal(str)
    selection_changed = Signal(list)
    location_corrected = Signal(str, float, float)
    # The account and its position before the drag ({latitude, longitude,
    # geocode_precision}), so the screen can offer Undo.
    pin_moved = Signal(str, object)
    map_loaded = Signal(bool)
    map_ready = Signal(int)
    download_progress = Signal(int, int)
    download_finished = Signal(object)

    def __init__(
        self,
        replica: Replica | Path,
        parent: QWidget | None = None,
        *,
        color_by: str = "last_visit",
        territory: str | None = None,
        settings: MapSettings | None = None,
        profile: QWebEngineProfile | None = None,
        reader: Reader | None = None,
    ) -> None:
        super().__init__(parent)
        self.reader = reader
        if isinstance(replica, Replica):
            self.replica, self._owns_replica = replica, False
        else:
            self.replica, self._owns_replica = open_replica(Path(replica)), True
        self.settings = settings or MapSettings.load(self.replica.data_dir)
        self.color_by = color_by
        self.territory = territory
        self.plan: DayPlan | None = None
        self.selected: list[str] = []
        # Where the next page opens. _view: the last view the page reported (the
        # user's panning survives a reload); _fit: bounds of a new route, shown until
        # the page reports that it shows them. Reports carry the page's generation.
        self._view: dict[str, Any] | None = None
        self._fit: list[list[float]] | None = None
        self._generation = 0
        self._places: list[Place] = []
        self.tiles = open_tiles(self.replica.data_dir, self.settings)
        self._downloads = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tile-download")
        self._cancel = threading.Event()
        # An off-the-record profile of our own: no disk cache, no cookies, our scheme.
        # It is parented after the view so that Qt deletes the page before it.
        own_profile = profile is None
        self.profile = profile or QWebEngineProfile()
        self.handler = AppSchemeHandler(self.tiles, self)
        self.profile.installUrlSchemeHandler(SCHEME, self.handler)
        self.view = QWebEngineView(self)
        self.web_page = QWebEnginePage(self.profile, self.view)
        self.view.setPage(self.web_page)
        if own_profile:
            self.profile.setParent(self)
        self.bridge = MapBridge(self)
        self.channel = QWebChannel(self.web_page)
        self.channel.registerObject("bridge", self.bridge)
        self.web_page.setWebChannel(self.channel)
        self.bridge.activated.connect(self.account_activated)
        self.bridge.route.connect(self.add_to_route)
        self.bridge.check_in.connect(self.check_in_requested)
        self.bridge.lasso.connect(self._on_lasso)
        self.bridge.moved.connect(self._on_moved)
        self.bridge.ready.connect(self.map_ready)
        self.bridge.view.connect(self._on_view)
        self.web_page.loadFinished.connect(self.map_loaded)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self.reload()

    # --- what the rest of the app calls -------------------------------------------

    def reload(self) -> None:
        """Rebuild the page from the replica (after edits, or a new colour or route).

        The new page opens where the user left the old one, or on a new route. With a
        ``reader``, the page is built by it (off the GUI thread) and shown when done.
        """
        self._generation += 1
        view: dict[str, Any] = {"generation": self._generation}
        if self._fit is not None:
            view["fit"] = self._fit
        elif self._view is not None:
            view.update(center=self._view["center"], zoom=self._view["zoom"])
        territory, color_by, plan = self.territory, self.color_by, self.plan
        tiles = page.TileConfig(
            TILE_URL, self.settings.tile_attribution, self.settings.tile_max_zoom
        )

        def build(session: Any) -> tuple[int, bytes, list[Place]]:
            data = page.replica_map_data(
                session,
                territory=territory,
                color_by=color_by,
                plan=plan,
                draggable=True,
                view=view,
            )
            html = page.build_html(
                data, tiles=tiles, asset_base=ORIGIN + "/assets", extra_head=_CHANNEL_SCRIPT
            )
            places = [Place(m[0], m[1], m[2]) for m in data["markers"]]
            return view["generation"], html.encode("utf-8"), places

        if self.reader is not None:
            self.reader(build, self._show_page)
            return
        with self.replica.read_session() as session:
            self._show_page(build(session))

    def _show_page(self, built: tuple[int, bytes, list[Place]]) -> None:
        generation, html, places = built
        if generation != self._generation:
            return  # a newer page is being built
        self._places = places
        self.handler.page_html = html
        self.view.load(QUrl(ORIGIN + "/map.html"))

    def set_color_by(self, field: str) -> None:
        self.color_by = field
        self.reload()

    def set_territory(self, name: str | None) -> None:
        self.territory = name
        self._view = self._fit = None  # other accounts: open on all of them
        self.reload()

    def show_plan(self, plan: DayPlan | None, new_route: bool = True) -> None:
        """Draw ``plan``; a new route (just optimised) is brought into view.

        The same stops in another order (``new_route=False``) keep the user's view.
        """
        self.plan = plan
        if new_route and plan is not None:
            self._fit = page.route_bounds(plan)
        self.reload()

    def focus_account(self, account_id: str) -> None:
        self.run_js(f"window.fieldappFocus({_js_str(account_id)})")

    def run_js(self, script: str, callback: Callable[[Any], None] | None = None) -> None:
        if callback is None:
            self.web_page.runJavaScript(script, 0)
        else:
            self.web_page.runJavaScript(script, 0, callback)

    def visible_area(self, callback: Callable[[BBox, int], None]) -> None:
        """Calls back with the map's visible (south, west, north, east) and zoom."""

        def got(result: Any) -> None:
            # Arrays do not survive runJavaScript's conversion in PySide; JSON does.
            try:
                s, w, n, e, z = json.loads(result)
            except (TypeError, ValueError):
                log.warning("the map did not report its view: %r", result)
                return
            callback((float(s), float(w), float(n), float(e)), int(z))

        self.run_js("JSON.stringify(window.fieldappView ? window.fieldappView() : null)", got)

    def estimate_area(self, box: BBox, zooms: Sequence[int]) -> Estimate:
        """How many tiles (and roughly how many bytes) downloading ``box`` would take."""
        return self.tiles.estimate(box, zooms)

    def download_area(self, box: BBox, zooms: Sequence[int]) -> None:
        """ "Download this area for offline use", on a worker thread.

        Reports through ``download_progress`` and ``download_finished``; stop it
        with :meth:`cancel_download`.
        """
        self._cancel = threading.Event()
        cancel = self._cancel

        def work() -> None:
            try:
                report: object = self.tiles.prefetch(
                    box, list(zooms), progress=self.download_progress.emit, cancel=cancel
                )
            except TileError as exc:
                report = str(exc)
            self.download_finished.emit(report)

        self._downloads.submit(work)

    def cancel_download(self) -> None:
        self._cancel.set()

    def close_panel(self) -> None:
        """Release the tile workers, the cache file and (if opened here) the replica."""
        self.view.stop()
        self._cancel.set()
        self._downloads.shutdown(wait=True)
        self.handler.shutdown()
        self.tiles.cache.close()
        if self._owns_replica:
            self.replica.close()

    # --- from the page ---------------------------------------------------------------

    def _on_lasso(self, ring_json: str) -> None:
        try:
            ring = [(float(p[0]), float(p[1])) for p in json.loads(ring_json)]
        except (ValueError, TypeError, IndexError):
            log.warning("ignoring a malformed lasso from the page")
            return
        self.selected = select_in_polygon(self._places, ring)
        self.run_js(f"window.fieldappHighlight({json.dumps(self.selected)})")
        self.selection_changed.emit(list(self.selected))

    def _on_view(self, view_json: str) -> None:
        try:
            view = json.loads(view_json)
            generation = int(view["generation"])
            center = [float(view["center"][0]), float(view["center"][1])]
            zoom = int(view["zoom"])
        except (ValueError, TypeError, KeyError, IndexError):
            log.warning("ignoring a malformed view from the page: %r", view_json)
            return
        if generation != self._generation:
            return  # from a page that has been replaced since
        self._view = {"center": center, "zoom": zoom}
        self._fit = None

    def _on_moved(self, account_id: str, lat: float, lon: float) -> None:
        before = geocode.location_of(self.replica, account_id)
        geocode.set_location(self.replica, account_id, lat, lon)
        self.location_corrected.emit(account_id, lat, lon)
        self.pin_moved.emit(account_id, before)


def _js_str(text: str) -> str:
    return json.dumps(text)
