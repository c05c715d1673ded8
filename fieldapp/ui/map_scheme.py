"""The app's ``fieldapp://app/...`` answers for the map page: page, assets, data, tiles.

- ``/map.html``: the page (:attr:`AppSchemeHandler.page_html`);
- ``/assets/...``: Leaflet and markercluster (XStatic packages) and our script;
- ``/qwebchannel.js``: Qt's, from its resources;
- ``/feed/<generation>/meta`` and ``/feed/<generation>/<n>``: the page's legend and its
  marker batches from the current :class:`~fieldapp.maps.feed.MarkerFeed`. A part the
  worker has not made yet is answered when it arrives (:meth:`feed_changed`);
- ``/tiles/z/x/y.png``: from the MBTiles cache, or fetched on a worker thread when
  tiles are online. The GUI thread never waits on the network or the replica.
"""

from __future__ import annotations

import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor

from PySide6.QtCore import QBuffer, QByteArray, QFile, QIODevice, QObject, Signal, Slot
from PySide6.QtWebEngineCore import QWebEngineUrlRequestJob, QWebEngineUrlSchemeHandler

from fieldapp.maps import assets
from fieldapp.maps.feed import MarkerFeed
from fieldapp.maps.tiles import Tiles


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
        self.feed: MarkerFeed | None = None
        # Feed requests waiting for their part: (job, generation, part name).
        self._parked: list[tuple[QWebEngineUrlRequestJob, int, str]] = []
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
        elif path.startswith("/feed/"):
            self._feed_part(job, path)
        elif path.startswith("/tiles/"):
            self._tile(job, path)
        else:
            self.served.append((path, "missing"))
            job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)

    def _feed_part(self, job: QWebEngineUrlRequestJob, path: str) -> None:
        try:
            generation_text, name = path.removeprefix("/feed/").split("/")
            generation = int(generation_text)
            if name != "meta":
                int(name)
        except ValueError:
            job.fail(QWebEngineUrlRequestJob.Error.UrlInvalid)
            return
        feed = self.feed
        if feed is None or feed.generation != generation:
            self.served.append((path, "missing"))  # a replaced page's late request
            job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
            return
        data = feed.part(name)
        if data is None:
            job.destroyed.connect(lambda *_: self._unpark(job))
            self._parked.append((job, generation, name))
            return
        self._send_part(job, feed, name, data)

    def _send_part(
        self, job: QWebEngineUrlRequestJob, feed: MarkerFeed, name: str, data: bytes
    ) -> None:
        self.served.append((f"/feed/{feed.generation}/{name}", "ok"))
        self._reply(job, "application/json", data)
        if name != "meta" and data.startswith(b'{"more":false'):
            feed.release()  # the page has every batch (~8 MB at 100k accounts)

    def _unpark(self, job: QWebEngineUrlRequestJob) -> None:
        self._parked = [p for p in self._parked if p[0] is not job]

    @Slot()
    def feed_changed(self) -> None:
        """A part arrived (or the feed was replaced): answer who waits for it."""
        feed, waiting, self._parked = self.feed, self._parked, []
        for job, generation, name in waiting:
            if feed is None or feed.generation != generation:
                job.fail(QWebEngineUrlRequestJob.Error.RequestAborted)
                continue
            data = feed.part(name)
            if data is None:
                self._parked.append((job, generation, name))
            else:
                self._send_part(job, feed, name, data)

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
