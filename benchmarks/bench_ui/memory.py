"""Memory after opening every panel, for ``bench_ui`` (issue 15: ≤ 400 MB together).

Opens the main window on the replica, shows every panel the role may use in sidebar
order (waiting for each one's background work, and for the map's markers), then
reads the proportional set size (PSS, from ``/proc/PID/smaps_rollup``) of this
process and of every process it started: QtWebEngine's and the route solver's
(``ui/solver_process.py``, started with the Map panel's planner). PSS shares each
shared page among the processes mapping it, so the sum does not count the Qt
libraries twice. The app's share is broken down by what is mapped.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from benchmarks.bench_ui.common import open_window, wait


def pss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    return 0.0


def pss_by_mapping(pid: int) -> dict[str, float]:
    """PSS in MB by what is mapped: the replica's file (SQLite's mmap), anonymous memory
    (Python's heap, SQLite's page caches, Qt's), shared libraries, and the rest."""
    kinds: dict[str, float] = {}
    kind = "other"
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        head = line.split(maxsplit=5)
        if len(head) >= 5 and "-" in head[0] and not head[0].endswith(":"):
            name = head[5] if len(head) > 5 else ""
            if name.endswith((".sqlite3", ".sqlite3-shm", ".mbtiles")):
                kind = "replica and caches (mmap)"
            elif name in ("", "[heap]") or name.startswith("[anon"):
                kind = "anonymous (heap)"
            elif ".so" in name:
                kind = "shared libraries"
            else:
                kind = "other"
        elif line.startswith("Pss:"):
            kinds[kind] = kinds.get(kind, 0.0) + int(line.split()[1]) / 1024
    return kinds


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (the web engine's zygote, renderer and GPU ones)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def memory_after_panels(data_dir: Path) -> dict[str, Any]:
    from PySide6.QtWidgets import QApplication

    import fieldapp.ui.map_panel  # noqa: F401  (registers the map's URL scheme before the app)
    from fieldapp.store.db import open_replica
    from fieldapp.ui.map_screen import MapScreen

    _app = QApplication.instance() or QApplication([])
    replica = open_replica(data_dir)
    window = open_window(replica)
    wait(lambda: window.bg.pending() == 0, 120)
    started = time.perf_counter()
    for spec in window.specs:
        if not window.allowed(spec):
            continue
        panel = window.show_panel(spec.key)
        if isinstance(panel, MapScreen):
            # Connected as soon as the map exists: its markers may arrive within seconds.
            ready: list[int] = []
            wait(lambda screen=panel: screen.map is not None, 180)
            assert panel.map is not None
            panel.map.map_ready.connect(ready.append)
            wait(lambda shown=ready: bool(shown), 600)
        wait(lambda: window.bg.pending() == 0, 180)
    wait(lambda: window.bg.pending() == 0, 180)
    elapsed = time.perf_counter() - started
    app_mb = pss_mb(os.getpid())
    app_kinds = pss_by_mapping(os.getpid())
    web_mb = child_mb = 0.0
    for pid in descendants(os.getpid()):
        try:
            web = "QtWebEngineProcess" in Path(f"/proc/{pid}/cmdline").read_text()
            mb = pss_mb(pid)
        except OSError:
            continue  # exited meanwhile
        # The rest: the route solver's process (ui/solver_process.py).
        web_mb += mb if web else 0.0
        child_mb += 0.0 if web else mb
    window.shutdown()
    replica.close()
    return {
        "memory_app_mb": app_mb,
        "memory_app_kinds": app_kinds,
        "memory_web_mb": web_mb,
        "memory_child_mb": child_mb,
        "memory_panels_s": elapsed,
    }


def rows(f: dict[str, Any]) -> list[tuple[str, str, str]]:
    child = f.get("memory_child_mb", 0.0)
    total = f["memory_app_mb"] + f["memory_web_mb"] + child
    return [
        (
            "memory after opening every panel (PSS, app + web engine + solver)",
            "≤ 400 MB",
            f"{total:.0f} MB = {f['memory_app_mb']:.0f} + {f['memory_web_mb']:.0f} + {child:.0f}",
        ),
    ] + [
        (f"  … app: {kind}", "", f"{mb:.0f} MB")
        for kind, mb in sorted(f["memory_app_kinds"].items(), key=lambda km: -km[1])
    ]
