"""Map tiles: a configurable tile server, an MBTiles cache and offline pre-fetching.

The cache is an MBTiles 1.3 file (SQLite) in the data dir, so other tools can read
it. Rows are stored TMS-style (``tile_row = 2**z - 1 - y``) as the spec says. A tile
that is neither cached nor fetchable is simply missing: the map shows its plain
background there and keeps working.

The OpenStreetMap tile servers are run by volunteers: their usage policy asks for a
real user agent, caching, and no bulk downloads, so pre-fetching from them is capped
(:data:`OSM_PREFETCH_LIMIT` tiles, zoom ≤ :data:`OSM_PREFETCH_MAX_ZOOM`).
"""

from __future__ import annotations

import logging
import math
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import requests

from fieldapp.errors import FieldappError
from fieldapp.maps.settings import TILE_CACHE_FILE, MapSettings
from fieldapp.store.private import private_file

log = logging.getLogger(__name__)

OSM_PREFETCH_LIMIT = 2500
OSM_PREFETCH_MAX_ZOOM = 16
DEFAULT_TILE_BYTES = 15_000  # typical OSM tile, for estimates before the cache knows better

BBox = tuple[float, float, float, float]  # south, west, north, east


def tile_xy(lat: float, lon: float, z: int) -> tuple[int, int]:
    """The slippy-map tile containing a point."""
    lat = max(-85.0511, min(85.0511, lat))
    n = 2**z
    x = int((lon + 180.0) / 360.0 * n)
    rad = math.radians(lat)
    y = int((1.0 - math.asinh(math.tan(rad)) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def tile_ranges(box: BBox, zoom: int) -> tuple[range, range]:
    south, west, north, east = box
    x0, y0 = tile_xy(north, west, zoom)
    x1, y1 = tile_xy(south, east, zoom)
    return range(x0, x1 + 1), range(y0, y1 + 1)


def tiles_in(box: BBox, zooms: Sequence[int]) -> Iterator[tuple[int, int, int]]:
    for z in zooms:
        xs, ys = tile_ranges(box, z)
        for x in xs:
            for y in ys:
                yield z, x, y


def count_tiles(box: BBox, zooms: Sequence[int]) -> int:
    total = 0
    for z in zooms:
        xs, ys = tile_ranges(box, z)
        total += len(xs) * len(ys)
    return total


class MBTiles:
    """A tile cache in one MBTiles file; safe to use from several threads."""

    def __init__(self, path: Path, *, name: str = "fieldapp tile cache") -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        private_file(self.path)  # the areas a rep works in: as private as the replica
        self._db = sqlite3.connect(self.path, check_same_thread=False)
        with self._lock:
            self._db.executescript(
                "CREATE TABLE IF NOT EXISTS metadata (name TEXT PRIMARY KEY, value TEXT);"
                "CREATE TABLE IF NOT EXISTS tiles (zoom_level INTEGER, tile_column INTEGER,"
                " tile_row INTEGER, tile_data BLOB);"
                "CREATE UNIQUE INDEX IF NOT EXISTS tile_index ON tiles"
                " (zoom_level, tile_column, tile_row);"
            )
            self._db.executemany(
                "INSERT OR IGNORE INTO metadata VALUES (?, ?)",
                [("name", name), ("format", "png"), ("type", "baselayer"), ("version", "1.3")],
            )
            self._db.commit()

    def get(self, z: int, x: int, y: int) -> bytes | None:
        with self._lock:
            row = self._db.execute(
                "SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
                (z, x, (1 << z) - 1 - y),
            ).fetchone()
        return bytes(row[0]) if row else None

    def has(self, z: int, x: int, y: int) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
                (z, x, (1 << z) - 1 - y),
            ).fetchone()
        return row is not None

    def put(self, z: int, x: int, y: int, data: bytes) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO tiles VALUES (?, ?, ?, ?)",
                (z, x, (1 << z) - 1 - y, sqlite3.Binary(data)),
            )
            self._db.commit()

    def stats(self) -> tuple[int, int]:
        """(tiles, bytes) in the cache."""
        with self._lock:
            n, size = self._db.execute(
                "SELECT count(*), coalesce(sum(length(tile_data)), 0) FROM tiles"
            ).fetchone()
        return int(n), int(size)

    def close(self) -> None:
        with self._lock:
            self._db.close()


class TileError(FieldappError):
    pass


class TileSource:
    """Fetches ``{z}/{x}/{y}`` tiles from the configured server with our user agent."""

    def __init__(self, url_template: str, user_agent: str, *, timeout: float = 10.0) -> None:
        if not all(part in url_template for part in ("{z}", "{x}", "{y}")):
            raise TileError(f"a tile URL needs {{z}}, {{x}} and {{y}}: {url_template}")
        self.url_template = url_template
        self.timeout = timeout
        self._local = threading.local()
        self.user_agent = user_agent

    @property
    def is_osm(self) -> bool:
        return "tile.openstreetmap.org" in self.url_template

    def _session(self) -> requests.Session:
        s: requests.Session | None = getattr(self._local, "session", None)
        if s is None:
            s = requests.Session()
            s.headers["User-Agent"] = self.user_agent
            self._local.session = s
        return s

    def fetch(self, z: int, x: int, y: int) -> bytes | None:
        """The tile's bytes; None when the server has no such tile; TileError when down."""
        url = (
            self.url_template.replace("{s}", "abc"[(x + y) % 3])
            .replace("{z}", str(z))
            .replace("{x}", str(x))
            .replace("{y}", str(y))
        )
        try:
            reply = self._session().get(url, timeout=self.timeout)
        except requests.RequestException as exc:
            raise TileError(f"tile server unreachable: {exc}") from exc
        if reply.status_code == 404:
            return None
        if reply.status_code != 200 or not reply.content:
            raise TileError(f"tile server answered {reply.status_code}")
        return reply.content


class Tiles:
    """Cache first, then (when online) the server; what it fetches it keeps."""

    def __init__(self, cache: MBTiles, source: TileSource | None) -> None:
        self.cache = cache
        self.source = source

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        data = self.cache.get(z, x, y)
        if data is not None or self.source is None:
            return data
        try:
            data = self.source.fetch(z, x, y)
        except TileError:
            log.info("tile %s/%s/%s unavailable", z, x, y, exc_info=True)
            return None
        if data is not None:
            self.cache.put(z, x, y, data)
        return data

    def estimate(self, box: BBox, zooms: Sequence[int]) -> Estimate:
        total = count_tiles(box, zooms)
        cached = sum(1 for t in tiles_in(box, zooms) if self.cache.has(*t)) if total < 50_000 else 0
        n, size = self.cache.stats()
        avg = size // n if n >= 20 else DEFAULT_TILE_BYTES
        return Estimate(total, cached, (total - cached) * avg)

    def prefetch(
        self,
        box: BBox,
        zooms: Sequence[int],
        *,
        progress: Callable[[int, int], None] | None = None,
        cancel: threading.Event | None = None,
        limit: int | None = None,
        delay_s: float = 0.0,
    ) -> PrefetchReport:
        """Download every missing tile of ``box`` at ``zooms`` ("this area, offline")."""
        if self.source is None:
            raise TileError("tiles are set to offline; switch them on to download an area")
        total = count_tiles(box, zooms)
        cap = limit
        if self.source.is_osm:
            if max(zooms) > OSM_PREFETCH_MAX_ZOOM:
                raise TileError(
                    f"the OpenStreetMap tile policy does not allow bulk downloads beyond zoom "
                    f"{OSM_PREFETCH_MAX_ZOOM}; choose lower zoom levels or another tile server"
                )
            cap = min(cap or OSM_PREFETCH_LIMIT, OSM_PREFETCH_LIMIT)
        if cap is not None and total > cap:
            raise TileError(
                f"{total} tiles is more than the {cap} allowed at once; "
                "choose a smaller area or fewer zoom levels"
            )
        report = PrefetchReport(total=total)
        for i, (z, x, y) in enumerate(tiles_in(box, zooms), start=1):
            if cancel is not None and cancel.is_set():
                report.cancelled = True
                break
            if self.cache.has(z, x, y):
                report.cached += 1
            else:
                try:
                    data = self.source.fetch(z, x, y)
                except TileError as exc:
                    report.failed += 1
                    report.last_error = str(exc)
                    if report.failed >= 5 and report.fetched == 0:
                        break  # the server is down; do not hammer it
                    data = None
                if data is not None:
                    self.cache.put(z, x, y, data)
                    report.fetched += 1
                    report.bytes += len(data)
                    if delay_s:
                        time.sleep(delay_s)
            if progress is not None:
                progress(i, total)
        return report


@dataclass(frozen=True)
class Estimate:
    tiles: int
    cached: int
    bytes_to_fetch: int


@dataclass
class PrefetchReport:
    total: int
    fetched: int = 0
    cached: int = 0
    failed: int = 0
    bytes: int = 0
    cancelled: bool = False
    last_error: str | None = None


def open_tiles(data_dir: Path, settings: MapSettings | None = None) -> Tiles:
    settings = settings or MapSettings.load(data_dir)
    cache = MBTiles(Path(data_dir) / TILE_CACHE_FILE)
    source = TileSource(settings.tile_url, settings.user_agent) if settings.tiles_online else None
    return Tiles(cache, source)
