"""The Team panel of a manager of 50 reps: table, a route planned and saved, the team map."""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

from benchmarks.bench_ui.common import Heartbeat, open_window, qt_app, wait

TEAM_REPS = 50


def prepare_team(data_dir: Path, seed: int = 2) -> None:
    """Make the replica a manager's: 50 reps owning every account, each account located.

    Benchmark data only: owners and positions are set with one SQL UPDATE each, past the
    outbox (what a manager's replica receives from a sync has no outbox entries either).
    """
    from fieldapp.store import services
    from fieldapp.store.db import open_replica
    from fieldapp.sync import state

    replica = open_replica(data_dir)
    try:
        with replica.read_session() as s:
            if services.count(s, "users") >= TEAM_REPS:
                return
        with replica.session() as s:
            reps = [
                services.create(
                    s, "users", {"username": f"rep{i:02d}", "display_name": f"Rep {i:02d}"}
                )
                for i in range(TEAM_REPS)
            ]
        rng = random.Random(seed)
        with replica.engine.begin() as conn:
            ids = [r[0] for r in conn.exec_driver_sql("SELECT id FROM accounts ORDER BY id")]
            rows = [
                (
                    reps[i % TEAM_REPS],
                    50.9 + rng.uniform(-0.4, 0.4),
                    6.9 + rng.uniform(-0.6, 0.6),
                    aid,
                )
                for i, aid in enumerate(ids)
            ]
            conn.exec_driver_sql(
                "UPDATE accounts SET owner_id = ?, latitude = ?, longitude = ? WHERE id = ?", rows
            )
            conn.exec_driver_sql(
                "UPDATE visits SET owner_id = (SELECT owner_id FROM accounts"
                " WHERE accounts.id = visits.account_id)"
            )
            state.put(conn, "role", "manager")
    finally:
        replica.close()


def team_stall(data_dir: Path) -> dict[str, Any]:
    """The Team panel's work at 100k accounts under a heartbeat (see the module doc)."""

    from fieldapp.store.db import open_replica
    from fieldapp.ui.team_panel import TeamPanel

    qt_app()
    prepare_team(data_dir)
    replica = open_replica(data_dir)
    window = open_window(replica)
    # Every panel the manager sees is built and has loaded (one per event-loop turn after
    # the window shows): what is measured below is the Team panel's work, not theirs.
    shown = [spec.key for spec in window.specs if window.allowed(spec)]

    def settled() -> bool:
        return window.role == "manager" and set(shown) <= set(window.panels)

    wait(settled, timeout=120)
    wait(lambda: window.bg.pending() == 0, timeout=120)
    panel = window.panel("team")
    assert isinstance(panel, TeamPanel)
    panel.tabs.setCurrentWidget(panel.tabs.route_page)
    loads = [0]
    panel.loaded.connect(lambda: loads.__setitem__(0, loads[0] + 1))
    steps: dict[str, tuple[int, int, int]] = {}  # stall, GUI thread's and app's CPU (ms)
    heartbeat = Heartbeat()
    started = time.perf_counter()
    window.show_panel("team")
    wait(lambda: loads[0] == 1 and window.bg.pending() == 0, timeout=120)
    table_s = time.perf_counter() - started
    steps["table"] = heartbeat.lap_busy()
    panel.table.selectRow(0)
    panel.plan_route()
    route = panel.route
    assert route is not None
    wait(lambda: len(route.stop_ids) > 0 and window.bg.pending() == 0, timeout=120)
    steps["route"] = heartbeat.lap_busy()
    planned: list[object] = []
    route.plan_changed.connect(lambda plan, _new: planned.append(plan))
    route.optimise()
    wait(lambda: bool(planned) and window.bg.pending() == 0, timeout=120)
    steps["optimise"] = heartbeat.lap_busy()
    saved: list[object] = []
    route.saved.connect(saved.append)
    route.save()
    wait(lambda: bool(saved) and loads[0] >= 2 and window.bg.pending() == 0, timeout=120)
    steps["save"] = heartbeat.lap_busy()
    heartbeat.stop()
    worst_step = max(steps, key=lambda k: steps[k][0])
    worst, worst_gui, worst_app = steps[worst_step]
    print("team panel, per step: longest stall, GUI thread's and app's CPU in it (ms):", steps)

    start_view = time.perf_counter()
    panel.tabs.setCurrentWidget(panel.tabs.map_page)  # makes the first web view
    webengine_s = time.perf_counter() - start_view
    assert panel.map is not None
    ready: list[int] = []
    panel.map.map_ready.connect(ready.append)
    heartbeat = Heartbeat()
    map_started = time.perf_counter()
    wait(lambda: bool(ready), timeout=180)
    map_s = time.perf_counter() - map_started
    panel.colour.setCurrentIndex(panel.colour.findData("last_visit"))
    wait(lambda: len(ready) >= 2, timeout=180)
    map_worst = heartbeat.stop()
    map_gui, map_app = heartbeat.worst_cpu_ms, heartbeat.worst_app_ms
    window.shutdown()
    replica.close()
    return {
        "team_reps": len(panel.model.rows),
        "team_table_s": table_s,
        "team_stops": len(route.stop_ids),
        "team_worst_stall_ms": worst,
        "team_worst_step": worst_step,
        "team_worst_busy_ms": (worst_gui, worst_app),
        "team_webengine_s": webengine_s,
        "team_map_markers": ready[0],
        "team_map_s": map_s,
        "team_map_worst_stall_ms": map_worst,
        "team_map_worst_busy_ms": (map_gui, map_app),
    }


def rows(f: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (
            "longest GUI-thread stall, Team panel",
            "≤ 100 ms",
            f"{f['team_worst_stall_ms']} ms ({f['team_worst_step']})",
        ),
        ("  … GUI thread's CPU in it (whole app)", "", _busy(f["team_worst_busy_ms"])),
        (
            f"  … {f['team_reps']} reps' table; route of {f['team_stops']} stops",
            "",
            f"table {f['team_table_s']:.1f} s",
        ),
        ("longest GUI-thread stall, team map", "≤ 100 ms", f"{f['team_map_worst_stall_ms']} ms"),
        ("  … GUI thread's CPU in it (whole app)", "", _busy(f["team_map_worst_busy_ms"])),
        (
            f"  … {f['team_map_markers']:,} markers on the map in",
            "",
            f"{f['team_map_s']:.1f} s",
        ),
        ("  … QtWebEngine start (first web view)", "", f"{f['team_webengine_s']:.2f} s"),
    ]


def _busy(cpu: tuple[int, int]) -> str:
    return f"{cpu[0]} ms ({cpu[1]} ms)"
