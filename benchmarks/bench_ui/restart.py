"""The app restarted on the Map panel, timed in CPU as well as wall (``--only restart``).

Each run is a fresh process whose window opens on the Map panel with the markers of an
earlier run cached (a first, untimed run makes the cache). It reports, from the spawn:
the window shown, the first batch of markers on the map and the last, each as wall
time and as the CPU time the app had used by then (every thread of the process; the
web engine's processes apart). On a loaded machine the wall times mostly measure the
wait for a core; the CPU times hardly depend on the load.

Children run with their bytecode cached, as an installed app has it
(:mod:`benchmarks.bytecode`).
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

from benchmarks.bench_ui.common import run_child, wait

RUNS = 5


def restart_child(data_dir: Path, spawned: float) -> None:
    """Runs in a fresh process: the window opens on the Map panel."""
    from benchmarks.bench_ui.map_panel import _settings, _watch, cpu_now
    from fieldapp.store.db import open_replica
    from fieldapp.ui.app import application
    from fieldapp.ui.main_window import MainWindow
    from fieldapp.ui.map_screen import MapScreen

    application()
    replica = open_replica(data_dir)
    window = MainWindow(replica, settings=_settings("map"))
    window.resize(1280, 800)
    window.show()
    shown, shown_cpu = time.time(), time.process_time()
    screen = window.panel("map")
    assert isinstance(screen, MapScreen)
    wait(lambda: screen.map is not None, 60)
    assert screen.map is not None
    first, ready = _watch(screen.map, time.time)
    first_cpu: list[tuple[float, float]] = []

    def loaded(*_: object) -> None:
        if not first_cpu:
            first_cpu.append(cpu_now())

    screen.map.markers_loaded.connect(loaded)
    wait(lambda: bool(ready), 300)
    ready_cpu = cpu_now()
    assert screen.map.feed is not None
    print(
        json.dumps(
            {
                "shown": shown - spawned,
                "shown_cpu": shown_cpu,
                "first": first[0] - spawned,
                "first_cpu": first_cpu[0][0],
                "first_web_cpu": first_cpu[0][1],
                "ready": ready[0] - spawned,
                "ready_cpu": ready_cpu[0],
                "ready_web_cpu": ready_cpu[1],
                "cached": screen.map.feed.from_cache,
                "panels_built": sorted(window.panels),
            }
        )
    )
    window.shutdown()
    replica.close()


def restarts(data_dir: Path, runs: int = RUNS) -> list[dict[str, Any]]:
    """One untimed run (it caches the markers if no earlier run did), then ``runs``."""
    run_child("--restart-child", data_dir)
    return [run_child("--restart-child", data_dir) for _ in range(runs)]


def rows(results: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    def fig(key: str) -> str:
        values = [r[key] for r in results]
        return f"{statistics.median(values):.2f} s (best {min(values):.2f})"

    cached = all(r["cached"] for r in results)
    return [
        (f"app restarted on the Map: markers ({len(results)} runs)", "≤ 2 s", fig("first")),
        ("  … CPU by then: app; web engine", "", f"{fig('first_cpu')}; {fig('first_web_cpu')}"),
        ("  … window shown", "", fig("shown")),
        ("  … CPU by then", "", fig("shown_cpu")),
        (f"  … all markers (cache used: {'yes' if cached else 'no'})", "", fig("ready")),
        ("  … CPU by then: app; web engine", "", f"{fig('ready_cpu')}; {fig('ready_web_cpu')}"),
        ("  … panels built by then", "", ", ".join(results[-1]["panels_built"])),
    ]
