"""The Map panel at 100k accounts: first open, panning, restart (``--only map``).

- first open: the window on Today with its start-up work done, the Map panel opened
  with no cached markers; the time until the first batch of markers is on the map
  and until the last one is, and the longest GUI-thread stall meanwhile. Making the
  first web view (QtWebEngine's one-time start) is timed apart, as in the Team figures.
- panning: once every marker is in, the map is panned by script every frame for a
  few seconds, zoomed out (clusters) and in (single pins); the page's longest frame
  (requestAnimationFrame gaps, in the renderer) and the GUI thread's longest stall.
- restart: a fresh process whose window opens on the Map panel (the cache from the
  first open valid); spawn to the first markers and to the last.

The accounts need positions: nine in ten get one (as ``--only places`` gives them).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.bench_ui.common import Heartbeat, qt_app, run_child, wait
from benchmarks.bench_ui.replica import locate

PAN_SECONDS = 3.0


def _locate(data_dir: Path) -> None:
    from fieldapp.store.db import open_replica

    replica = open_replica(data_dir)
    with replica.session() as s:
        locate(s)
    replica.close()


def _settings(panel: str) -> Any:
    from PySide6.QtCore import QSettings

    settings = QSettings(str(Path(tempfile.mkdtemp()) / "ui.ini"), QSettings.Format.IniFormat)
    settings.setValue("window/panel", panel)
    return settings


def _js(page: Any, script: str, timeout: float = 60) -> Any:
    box: dict[str, Any] = {}
    page.runJavaScript(script, 0, lambda r: box.setdefault("r", r))
    wait(lambda: "r" in box, timeout)
    return box["r"]


PAN_SCRIPT = """
(function (zoom, seconds) {
  var map = fieldappState.map, frames = [], last = null, end = null, step = 0;
  map.setView(map.getCenter(), zoom, {animate: false});
  window.__pan = null;
  function frame(t) {
    // The first frames draw the new zoom level's clusters: panning is what is timed.
    if (last !== null && step > 10) { frames.push(t - last); }
    last = t;
    if (end === null) { end = t + seconds * 1000; }
    if (t > end) {
      frames.sort(function (a, b) { return a - b; });
      window.__pan = JSON.stringify({
        frames: frames.length, worst: frames[frames.length - 1],
        p95: frames[Math.floor(frames.length * 0.95)]
      });
      return;
    }
    step += 1;
    // Back and forth so the view stays over the accounts.
    map.panBy([(Math.floor(step / 60) % 2 ? -1 : 1) * 12, 4 * Math.sin(step / 10)],
              {animate: false});
    requestAnimationFrame(frame);
  }
  requestAnimationFrame(frame);
  return 1;
})(ZOOM, SECONDS)
"""


def _pan(page: Any, zoom: int) -> dict[str, float]:
    _js(page, PAN_SCRIPT.replace("ZOOM", str(zoom)).replace("SECONDS", str(PAN_SECONDS)))
    wait(lambda: bool(_js(page, "window.__pan || ''")), 60)
    result: dict[str, float] = json.loads(_js(page, "window.__pan"))
    # A renderer too busy to draw a frame after the first few (a loaded machine) times none.
    result.setdefault("worst", float("nan"))
    result.setdefault("p95", float("nan"))
    return result


def cpu_now() -> tuple[float, float]:
    """CPU seconds so far of this process (every thread) and of its web engine processes."""
    from benchmarks.bench_ui.memory import descendants

    web = 0.0
    for pid in descendants(os.getpid()):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # exited meanwhile
        web += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return time.process_time(), web


def _watch(panel: Any, clock: Any) -> tuple[list[float], list[float]]:
    """When the first batch of markers and the last were on the map (filled in later)."""
    first: list[float] = []
    ready: list[float] = []

    def loaded(*_: object) -> None:
        if not first:
            first.append(clock())

    panel.markers_loaded.connect(loaded)
    panel.map_ready.connect(lambda _n: ready.append(clock()))
    return first, ready


def first_open(data_dir: Path) -> dict[str, Any]:
    from fieldapp.maps import feed_cache, shell
    from fieldapp.store.db import open_replica
    from fieldapp.ui.main_window import MainWindow
    from fieldapp.ui.map_screen import MapScreen

    qt_app()
    _locate(data_dir)
    # A first open in a session after the replica changed: no markers cached. The page
    # frame is built once per install (timed apart, off the GUI thread as in the app).
    (data_dir / feed_cache.FILENAME).unlink(missing_ok=True)
    (data_dir / shell.FILENAME).unlink(missing_ok=True)
    from fieldapp.maps.page import TileConfig
    from fieldapp.maps.settings import MapSettings
    from fieldapp.ui.map_bridge import CHANNEL_SCRIPT
    from fieldapp.ui.map_panel import ASSET_BASE, TILE_URL

    tiles = MapSettings.load(data_dir)
    frame_started = time.perf_counter()
    shell.build(
        data_dir,
        TileConfig(TILE_URL, tiles.tile_attribution, tiles.tile_max_zoom),
        ASSET_BASE,
        CHANNEL_SCRIPT,
    )
    frame_s = time.perf_counter() - frame_started
    replica = open_replica(data_dir)
    window = MainWindow(replica, settings=_settings("today"))
    window.resize(1280, 800)
    window.show()
    # Every other panel built (one per event-loop turn after start-up) and loaded:
    # their building is start-up, not the map's.
    others = [s.key for s in window.specs if window.allowed(s) and s.key != "map"]
    wait(lambda: all(k in window.panels for k in others) and window.bg.pending() == 0, 300)
    screen = window.panel("map")
    assert isinstance(screen, MapScreen)
    heartbeat = Heartbeat()
    cpu_start = cpu_now()
    started = time.perf_counter()
    window.show_panel("map")  # makes the web view: QtWebEngine's one-time start
    webengine_s = time.perf_counter() - started
    heartbeat.lap()
    assert screen.map is not None
    first, ready = _watch(screen.map, time.perf_counter)
    cpu_first: list[tuple[float, float]] = []

    def first_cpu(*_: object) -> None:
        if not cpu_first:
            cpu_first.append(cpu_now())

    screen.map.markers_loaded.connect(first_cpu)
    wait(lambda: bool(ready), 600)
    cpu_ready = cpu_now()
    stall = heartbeat.lap_busy()
    print(f"map: first markers {first[0] - started:.2f} s, all {ready[0] - started:.1f} s")
    markers = int(_js(screen.map.web_page, "fieldappState.markerCount"))
    pans = {str(zoom): _pan(screen.map.web_page, zoom) for zoom in (10, 16)}
    pan_stall = heartbeat.lap_busy()
    heartbeat.stop()
    wait(lambda: window.bg.pending() == 0, 120)
    window.save_layout()
    window.shutdown()
    replica.close()
    return {
        "map_webengine_s": webengine_s,
        "map_frame_s": frame_s,
        "map_first_markers_s": first[0] - started,
        "map_first_cpu": [b - a for a, b in zip(cpu_start, cpu_first[0], strict=True)],
        "map_all_cpu": [b - a for a, b in zip(cpu_start, cpu_ready, strict=True)],
        "map_all_markers_s": ready[0] - started,
        "map_markers": markers,
        "map_open_worst_stall_ms": stall,
        "map_pan": pans,
        "map_pan_worst_stall_ms": pan_stall,
    }


def restart_child(data_dir: Path, spawned: float) -> None:
    """Runs in a fresh process: the window opens on the Map panel."""
    from fieldapp.store.db import open_replica
    from fieldapp.ui.app import application
    from fieldapp.ui.main_window import MainWindow
    from fieldapp.ui.map_screen import MapScreen

    application()
    replica = open_replica(data_dir)
    window = MainWindow(replica, settings=_settings("map"))
    window.resize(1280, 800)
    window.show()
    shown = time.time()
    screen = window.panel("map")
    assert isinstance(screen, MapScreen)
    wait(lambda: screen.map is not None, 60)
    assert screen.map is not None
    first, ready = _watch(screen.map, time.time)
    wait(lambda: bool(ready), 300)
    cpu = cpu_now()
    assert screen.map.feed is not None
    print(
        json.dumps(
            {
                "shown": shown - spawned,
                "first": first[0] - spawned,
                "ready": ready[0] - spawned,
                "cpu": cpu[0],
                "web_cpu": cpu[1],
                "cached": screen.map.feed.from_cache,
            }
        )
    )
    window.shutdown()
    replica.close()


def restart(data_dir: Path) -> dict[str, Any]:
    return run_child("--map-restart-child", data_dir)


def map_figures(data_dir: Path) -> dict[str, Any]:
    figures = first_open(data_dir)
    figures["map_restart"] = restart(data_dir)
    return figures


def rows(f: dict[str, Any]) -> list[tuple[str, str, str]]:
    r = f["map_restart"]
    pan = f["map_pan"]
    return [
        ("Map panel, first open: first markers", "≤ 1.5 s", f"{f['map_first_markers_s']:.2f} s"),
        (
            f"  … all {f['map_markers']:,} markers on the map",
            "",
            f"{f['map_all_markers_s']:.1f} s",
        ),
        (
            "  … CPU to the first / all: app, web engine",
            "",
            f"{_cpu(f['map_first_cpu'])} / {_cpu(f['map_all_cpu'])}",
        ),
        ("  … QtWebEngine start (first web view)", "", f"{f['map_webengine_s']:.2f} s"),
        ("  … the page frame, built once per install", "", f"{f['map_frame_s']:.2f} s"),
        (
            "longest GUI-thread stall, Map first open",
            "≤ 100 ms",
            f"{f['map_open_worst_stall_ms'][0]} ms",
        ),
        ("  … of which on the CPU: GUI thread, app", "", _busy(f["map_open_worst_stall_ms"])),
        ("app restarted on the Map panel: markers", "≤ 2 s", f"{r['first']:.2f} s"),
        ("  … of which before the window was shown", "", f"{r['shown']:.2f} s"),
        (
            f"  … all markers (cache used: {'yes' if r['cached'] else 'no'}); CPU app, web",
            "",
            f"{r['ready']:.1f} s; {_cpu([r['cpu'], r['web_cpu']])}",
        ),
        (
            "page's longest frame panning, zoom 10 / 16",
            "",
            f"{pan['10']['worst']:.0f} / {pan['16']['worst']:.0f} ms",
        ),
        (
            "  … 95th percentile frame, zoom 10 / 16",
            "",
            f"{pan['10']['p95']:.0f} / {pan['16']['p95']:.0f} ms",
        ),
        (
            "longest GUI-thread stall while panning",
            "≤ 100 ms",
            f"{f['map_pan_worst_stall_ms'][0]} ms",
        ),
        ("  … of which on the CPU: GUI thread, app", "", _busy(f["map_pan_worst_stall_ms"])),
    ]


def _busy(lap: tuple[int, int, int]) -> str:
    return f"{lap[1]} ms, {lap[2]} ms"


def _cpu(pair: list[float]) -> str:
    return f"{pair[0]:.1f} + {pair[1]:.1f} s"
