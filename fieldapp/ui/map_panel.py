"""The Map panel: accounts, territories and the day's route in a QWebEngineView.

Everything the page needs comes through the app's own ``fieldapp://`` URL scheme
(:mod:`fieldapp.ui.map_scheme`): the page, Leaflet and markercluster, Qt's
``qwebchannel.js``, the markers and the map tiles. Nothing is loaded from a CDN, so
the map works the same with the network unplugged: cached tiles show, missing ones
leave the plain background.

A page opens with the base map at once and its markers stream in (see
:mod:`fieldapp.maps.feed`): a worker reads them in batches, the page adds each batch
and asks for the next, and the map pans and answers clicks meanwhile. The page's
frame is built once (:mod:`fieldapp.maps.shell`) and the last markers are kept on
disk, so a restart on the map shows them without reading the replica again.

:func:`register_scheme` must run before the QApplication is created; importing this
module does it when no application exists yet.

Signals:
    account_activated(str): a marker was clicked; the account's id.
    selection_changed(list): the lasso selected these account ids.
    location_corrected(str, float, float): a pin was dragged; saved as ``manual``.
    pin_moved(str, object): the same, with the position before it (for Undo).
    map_loaded(bool): the page finished loading.
    markers_loaded(int, int): a batch of markers is on the map: so many of so many.
    map_ready(int): every marker is on the map; how many.
    download_progress(int, int): tiles done and total of a "download this area".
    download_finished(object): its PrefetchReport, or the error message (str).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QUrl, Signal
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineProfile
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QVBoxLayout, QWidget

from fieldapp.maps import feed as feeds
from fieldapp.maps import geocode, page, shell
from fieldapp.maps.feed_cache import FeedCache
from fieldapp.maps.routing import DayPlan
from fieldapp.maps.settings import MapSettings
from fieldapp.maps.tiles import BBox, Estimate, TileError, open_tiles
from fieldapp.store.db import Replica, open_replica
from fieldapp.ui.background import Background
from fieldapp.ui.map_bridge import CHANNEL_SCRIPT, MapBridge
from fieldapp.ui.map_scheme import AppSchemeHandler
from fieldapp.ui.web_scheme import ORIGIN, SCHEME, register_scheme

# Runs a job over a read session and hands its result to a callback on the GUI thread
# (e.g. ``Background.read``): the window's own workers, shared with its other panels.
Reader = Callable[[Callable[[Any], Any], Callable[[Any], None]], None]

log = logging.getLogger(__name__)

TILE_URL = ORIGIN + "/tiles/{z}/{x}/{y}.png"
ASSET_BASE = ORIGIN + "/assets"


if QCoreApplication.instance() is None:
    register_scheme()


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
    markers_loaded = Signal(int, int)
    map_ready = Signal(int)
    # Emitted by the worker filling the feed (any thread); delivered on the GUI thread.
    _feed_changed = Signal()
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
        batch: int = feeds.BATCH,
    ) -> None:
        super().__init__(parent)
        if isinstance(replica, Replica):
            self.replica, self._owns_replica = replica, False
        else:
            self.replica, self._owns_replica = open_replica(Path(replica)), True
        # Without the window's workers (a map on its own), workers of the panel's own.
        self._own_bg = None if reader is not None else Background(self.replica, self)
        self.reader: Reader = reader or self._read_own
        self.batch = batch
        self.feed: feeds.MarkerFeed | None = None
        self.feed_cache = FeedCache(self.replica.data_dir, self.replica.sealer("map-markers"))
        self._shell: str | None = None
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
        self.bridge.lassoed.connect(self._on_lasso)
        self.bridge.moved.connect(self._on_moved)
        self.bridge.ready.connect(self.map_ready)
        self.bridge.loaded.connect(self.markers_loaded)
        self._feed_changed.connect(self.handler.feed_changed)
        self.bridge.view.connect(self._on_view)
        self.web_page.loadFinished.connect(self.map_loaded)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self.reload()

    # --- what the rest of the app calls -------------------------------------------

    def reload(self) -> None:
        """Show the replica's accounts again (after edits, or a new colour or route).

        The new page opens where the user left the old one, or on a new route. Its
        markers are read off the GUI thread and stream in; a page being filled for an
        older request stops.
        """
        self._generation += 1
        view: dict[str, Any] = {"generation": self._generation}
        if self._fit is not None:
            view["fit"] = self._fit
        elif self._view is not None:
            view.update(center=self._view["center"], zoom=self._view["zoom"])
        if self.feed is not None:
            self.feed.cancel()
        feed = feeds.MarkerFeed(self._generation, self._feed_changed.emit)
        self.feed = self.handler.feed = feed
        self.handler.feed_changed()  # requests of the replaced page are let go
        request = feeds.FeedRequest(
            color_by=self.color_by,
            territory=self.territory,
            plan=self.plan,
            draggable=True,
            view=view,
            batch=self.batch,
        )
        cache = self.feed_cache
        self.reader(lambda s: feeds.fill(s, feed, request, cache), lambda _done: None)
        self._show_shell(feed.generation)

    def _show_shell(self, generation: int) -> None:
        tiles = page.TileConfig(
            TILE_URL, self.settings.tile_attribution, self.settings.tile_max_zoom
        )
        data_dir = self.replica.data_dir
        if self._shell is not None:
            self._show_page(generation, self._shell)
            return

        def built(html: str) -> None:
            self._shell = html
            self._show_page(generation, html)

        # Off the GUI thread even when stored: checking the stored frame's key reads
        # package metadata and hashes the scripts (~50 ms).
        self.reader(
            lambda _s: (
                shell.stored(data_dir, tiles, ASSET_BASE, CHANNEL_SCRIPT)
                or shell.build(data_dir, tiles, ASSET_BASE, CHANNEL_SCRIPT)
            ),
            built,
        )

    def _show_page(self, generation: int, html: str) -> None:
        if generation != self._generation:
            return  # a newer page is on its way
        self.handler.page_html = shell.page(html, f"{ORIGIN}/feed/{generation}/")
        self.view.load(QUrl(ORIGIN + "/map.html"))

    def _read_own(self, job: Callable[[Any], Any], done: Callable[[Any], None]) -> None:
        assert self._own_bg is not None
        self._own_bg.read(job, done, owner=self)

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
        if self.feed is not None:
            self.feed.cancel()
        if self._own_bg is not None:
            self._own_bg.shutdown()
        self.handler.shutdown()
        self.tiles.cache.close()
        if self._owns_replica:
            self.replica.close()

    # --- from the page ---------------------------------------------------------------

    def _on_lasso(self, ids_json: str) -> None:
        # The page picked the markers inside the lasso (those shown so far, while the
        # rest stream in) and highlighted them.
        try:
            ids = json.loads(ids_json)
        except ValueError:
            ids = None
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            log.warning("ignoring a malformed lasso selection from the page")
            return
        self.selected = ids
        self.selection_changed.emit(list(ids))

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
