from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from fieldapp.cli.main import main
from fieldapp.maps.settings import MapSettings
from fieldapp.maps.tiles import (
    MBTiles,
    TileError,
    Tiles,
    TileSource,
    count_tiles,
    open_tiles,
    tile_xy,
    tiles_in,
)

from .servers import serve, tile_server

COLOGNE_BOX = (50.85, 6.85, 51.05, 7.10)


def test_tile_math() -> None:
    assert tile_xy(0, 0, 1) == (1, 1)
    assert tile_xy(50.9375, 6.9603, 12) == (2127, 1372)  # Cologne on the OSM grid
    assert count_tiles(COLOGNE_BOX, [10]) == len(list(tiles_in(COLOGNE_BOX, [10])))
    assert count_tiles(COLOGNE_BOX, [10, 11]) > count_tiles(COLOGNE_BOX, [10])


def test_mbtiles_stores_tms_rows(tmp_path: Path) -> None:
    cache = MBTiles(tmp_path / "t.mbtiles")
    cache.put(3, 2, 1, b"png-bytes")
    assert cache.get(3, 2, 1) == b"png-bytes" and cache.get(3, 2, 2) is None
    assert cache.stats() == (1, 9)
    cache.close()
    db = sqlite3.connect(tmp_path / "t.mbtiles")
    assert db.execute("SELECT zoom_level, tile_column, tile_row FROM tiles").fetchall() == [
        (3, 2, 6)
    ]
    meta = dict(db.execute("SELECT name, value FROM metadata").fetchall())
    assert meta["format"] == "png"
    db.close()


def test_online_tiles_are_cached_and_served_offline(tmp_path: Path) -> None:
    with serve(tile_server()) as server:
        source = TileSource(server.url + "/{z}/{x}/{y}.png", "fieldapp-test/3")
        tiles = Tiles(MBTiles(tmp_path / "t.mbtiles"), source)
        first = tiles.tile(12, 2127, 1373)
        assert first and first.startswith(b"\x89PNG")
        assert tiles.tile(12, 2127, 1373) == first
        assert len(server.seen) == 1  # the second came from the cache
        assert server.seen[0].headers["User-Agent"] == "fieldapp-test/3"
        assert tiles.tile(1, 5, 5) is None  # 404: no such tile
        server.failing = True
        assert tiles.tile(12, 2127, 1373) == first  # cached tile, server down
        assert tiles.tile(12, 2128, 1373) is None  # missing and down: plain background
    offline = Tiles(tiles.cache, None)
    assert offline.tile(12, 2127, 1373) == first
    tiles.cache.close()


def test_prefetch_area_with_estimate_progress_and_cancel(tmp_path: Path) -> None:
    with serve(tile_server()) as server:
        tiles = Tiles(
            MBTiles(tmp_path / "t.mbtiles"), TileSource(server.url + "/{z}/{x}/{y}.png", "t")
        )
        zooms = [9, 10, 11]
        est = tiles.estimate(COLOGNE_BOX, zooms)
        assert est.tiles == count_tiles(COLOGNE_BOX, zooms) and est.cached == 0
        assert est.bytes_to_fetch == est.tiles * 15_000
        seen: list[tuple[int, int]] = []
        cancel = threading.Event()

        def progress(done: int, total: int) -> None:
            seen.append((done, total))
            if done == 3:
                cancel.set()

        report = tiles.prefetch(COLOGNE_BOX, zooms, progress=progress, cancel=cancel)
        assert report.cancelled and report.fetched == 3 and seen[-1] == (3, est.tiles)
        report = tiles.prefetch(COLOGNE_BOX, zooms)
        assert report.fetched == est.tiles - 3 and report.cached == 3 and not report.cancelled
        assert tiles.estimate(COLOGNE_BOX, zooms).cached == est.tiles
        n_requests = len(server.seen)
        assert n_requests == est.tiles
        # Everything is local now: the server may go away.
        server.failing = True
        for z, x, y in tiles_in(COLOGNE_BOX, zooms):
            assert tiles.tile(z, x, y)
        assert len(server.seen) == n_requests
        with pytest.raises(TileError, match="more than the 2 allowed"):
            tiles.prefetch(COLOGNE_BOX, zooms, limit=2)
    tiles.cache.close()


def test_osm_policy_limits_bulk_download(tmp_path: Path) -> None:
    tiles = Tiles(MBTiles(tmp_path / "t.mbtiles"), TileSource(MapSettings().tile_url, "t"))
    with pytest.raises(TileError, match="tile policy"):
        tiles.prefetch(COLOGNE_BOX, [17])
    with pytest.raises(TileError, match="more than the 2500"):
        tiles.prefetch((47.0, 5.0, 55.0, 15.0), [10, 11, 12])
    with pytest.raises(TileError):
        TileSource("https://example.invalid/tiles.png", "t")
    tiles.cache.close()


def test_prefetch_command(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with serve(tile_server()) as server:
        data_dir.mkdir(parents=True)
        MapSettings(tile_url=server.url + "/{z}/{x}/{y}.png").save(data_dir)
        base = ["--data-dir", str(data_dir), "map", "prefetch", "--bbox", "50.85,6.85,51.05,7.10"]
        assert main([*base, "--zoom", "9-10", "--estimate"]) == 0
        out = capsys.readouterr().out
        n = count_tiles(COLOGNE_BOX, [9, 10])
        assert f"{n} tiles at zoom 9-10, 0 already cached" in out
        assert not server.seen
        assert main([*base, "--zoom", "9-10"]) == 0
        assert f"downloaded {n} tiles" in capsys.readouterr().out
        assert len(server.seen) == n
    tiles = open_tiles(data_dir)
    assert tiles.cache.stats()[0] == n
    tiles.cache.close()
    assert main(["--data-dir", str(data_dir), "map", "prefetch", "--bbox", "1,2,0,3"]) == 1
