"""python -m benchmarks.bench_ui: see the package doc for what it prints."""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.bench_ui import (
    accounts,
    admin,
    map_panel,
    memory,
    pipeline,
    places,
    reports,
    restart,
    startup,
    sync,
    team,
)
from benchmarks.bench_ui.common import print_rows
from benchmarks.bench_ui.replica import build

Rows = list[tuple[str, str, str]]
# --only NAME: one measurement and its printed rows.
ONLY: dict[str, Callable[[Path], Rows]] = {
    "team": lambda d: team.rows(team.team_stall(d)),
    "sync": lambda d: sync.rows(sync.sync_stall(d)),
    "pipeline": lambda d: pipeline.rows(pipeline.pipeline_open(d)),
    "memory": lambda d: memory.rows(memory.memory_after_panels(d)),
    "places": lambda d: places.rows(places.places_stall(d)),
    "reports": lambda d: reports.rows(reports.reports_stall(d)),
    "map": lambda d: map_panel.rows(map_panel.map_figures(d)),
    "admin": lambda d: admin.rows(admin.admin_stall(d)),
    "restart": lambda d: restart.rows(restart.restarts(d)),
    "cold": lambda d: startup.rows([startup.cold_start(d) for _ in range(startup.RUNS)]),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Desktop app figures on a 100k-account replica.")
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--data-dir", type=Path, help="reuse (or fill) this data dir")
    parser.add_argument("--runs", type=int, default=3, help="cold starts to time")
    parser.add_argument("--only", choices=list(ONLY), help="run only this measurement")
    parser.add_argument("--cold-start-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--map-restart-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--restart-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--spawned", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.cold_start_child:
        startup.cold_start_child(args.cold_start_child, args.spawned)
        return 0
    if args.map_restart_child:
        map_panel.restart_child(args.map_restart_child, args.spawned)
        return 0
    if args.restart_child:
        restart.restart_child(args.restart_child, args.spawned)
        return 0
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="fieldapp-bench-ui-"))
    t0 = time.perf_counter()
    build(data_dir, args.accounts)
    print(
        f"replica: {data_dir} ({args.accounts:,} accounts, ready in "
        f"{time.perf_counter() - t0:.1f} s)"
    )
    deals = pipeline.prepare_deals(data_dir)
    if args.only:
        print_rows(ONLY[args.only](data_dir))
        if args.only == "pipeline":
            print(f"({deals:,} deals)")
        return 0
    starts = [startup.cold_start(data_dir) for _ in range(args.runs)]
    figures = accounts.search_and_scroll(data_dir)
    print_rows(
        startup.rows(starts)
        + accounts.rows(figures)
        + reports.rows(reports.reports_stall(data_dir))
        + team.rows(team.team_stall(data_dir))
        + sync.rows(sync.sync_stall(data_dir))
        + pipeline.rows(pipeline.pipeline_open(data_dir))
        + memory.rows(memory.memory_after_panels(data_dir))
        + places.rows(places.places_stall(data_dir))
        + map_panel.rows(map_panel.map_figures(data_dir))
        + admin.rows(admin.admin_stall(data_dir))
    )
    print(
        f"({figures['accounts']:,} rows, {figures['keystrokes']} keystrokes, "
        f"{figures['scroll_steps']} scroll steps)"
    )
    return 0
