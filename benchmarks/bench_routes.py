"""Route planning and map benchmarks: ``python -m benchmarks.bench_routes``.

Prints, in this order:

1. Day plans of 25, 60 and 150 stops, without and with time windows: ours (the
   planner the app uses, :func:`fieldapp.maps.routing.optimise`: VROOM, then PyVRP) against
   OR-Tools (guided local search, 10 s) and a nearest-neighbour + 2-opt baseline.
   Cost is the total driving time; every plan is checked for feasibility.
2. TSPLIB instances: VROOM's tour length (VROOM alone) against the proven optimum.
3. Solomon VRPTW instances: the product's solver (:func:`fieldapp.maps.vrp.solve`,
   VROOM then PyVRP) against the best-known total distance; every answer is checked.
4. The map at 20,000 accounts: page build, and load in QtWebEngine until every
   marker is in the cluster layer.

Options: ``--quick`` (fewer instances, OR-Tools 2 s), ``--ortools-seconds N``,
``--no-map``, ``--only synthetic|tsplib|solomon|map``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import vroom

from fieldapp.maps import vrp
from fieldapp.maps.matrix import StraightLine
from fieldapp.maps.routing import RouteRequest, StopRequest, optimise, violations
from fieldapp.maps.timeline import points

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("FIELDAPP_BENCH_DATA", ROOT.parent / "shared/data/routing-benchmarks"))
if not DATA.exists():
    DATA = Path("/work/shared/data/routing-benchmarks")
COLOGNE = (50.9375, 6.9603)
DAY = date(2026, 11, 24)
H = 3600

try:  # OR-Tools is optional (the "bench" extra)
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    HAVE_ORTOOLS = True
except ImportError:  # pragma: no cover - depends on the environment
    HAVE_ORTOOLS = False


# --- synthetic day plans -----------------------------------------------------------


@dataclass
class DayInstance:
    name: str
    request: RouteRequest
    durations: list[list[int]]  # 0 start, 1 end, 2.. stops

    @property
    def n(self) -> int:
        return len(self.request.stops)


def _simulate(inst: DayInstance, order: Sequence[int]) -> tuple[bool, int]:
    """(feasible, driving seconds) of visiting stop indexes ``order`` (0-based)."""
    req, d = inst.request, inst.durations
    t, here, travel = req.day_start, 0, 0
    for k in order:
        s = req.stops[k]
        drive = d[here][k + 2]
        t += drive
        travel += drive
        if s.window:
            if t > s.window[1]:
                return False, travel
            t = max(t, s.window[0])
        t += s.service_s
        here = k + 2
    travel += d[here][1]
    return t + d[here][1] <= req.day_end, travel


def synthetic(n: int, windows: bool, seed: int = 7) -> DayInstance:
    """``n`` stops in a 20 x 20 km square, visits short enough for one day.

    With windows, every other stop is an appointment: a 90-minute window centred on
    its time in a nearest-neighbour tour, so a plan serving every stop exists.
    """
    rng = random.Random(seed * 1000 + n)
    minutes = [3, 4, 5, 6] if n <= 60 else [2, 3]
    stops = [
        StopRequest(
            f"s{i}",
            COLOGNE[0] + rng.uniform(-0.09, 0.09),
            COLOGNE[1] + rng.uniform(-0.14, 0.14),
            f"Stop {i}",
            rng.choice(minutes) * 60,
        )
        for i in range(n)
    ]
    req = RouteRequest(DAY, COLOGNE, tuple(stops), day_start=6 * H, day_end=22 * H)
    provider = StraightLine(speed_kmh=30, road_factor=1.3)
    d = provider.matrix(points(req, stops)).durations
    inst = DayInstance(f"{n} stops {'with' if windows else 'no'} windows", req, d)
    if windows:
        t, here, times, left = req.day_start, 0, {}, set(range(n))
        while left:
            k = min(left, key=lambda k: d[here][k + 2])
            left.discard(k)
            t += d[here][k + 2]
            times[k] = t
            t += stops[k].service_s
            here = k + 2
        end = max(req.day_end, t + d[here][1] + 1800)
        new = [
            StopRequest(
                s.account_id,
                s.lat,
                s.lon,
                s.name,
                s.service_s,
                (max(req.day_start, times[k] - 45 * 60), times[k] + 45 * 60)
                if k % 2 == 0
                else None,
            )
            for k, s in enumerate(stops)
        ]
        inst.request = RouteRequest(DAY, COLOGNE, tuple(new), day_start=6 * H, day_end=end)
    return inst


def run_vroom(inst: DayInstance) -> dict[str, Any]:
    provider = StraightLine(speed_kmh=30, road_factor=1.3)
    t0 = time.perf_counter()
    plan = optimise(inst.request, provider)
    elapsed = time.perf_counter() - t0
    ok = plan.feasible and not violations(plan)
    return {"cost": plan.total_travel_s, "served": len(plan.stops), "time": elapsed, "ok": ok}


def run_ortools(inst: DayInstance, seconds: float) -> dict[str, Any]:
    req, d = inst.request, inst.durations
    n = inst.n + 2
    manager = pywrapcp.RoutingIndexManager(n, 1, [0], [1])
    model = pywrapcp.RoutingModel(manager)
    service = [0, 0] + [s.service_s for s in req.stops]

    def cost(i: int, j: int) -> int:
        return d[manager.IndexToNode(i)][manager.IndexToNode(j)]

    def transit(i: int, j: int) -> int:
        a = manager.IndexToNode(i)
        return d[a][manager.IndexToNode(j)] + service[a]

    model.SetArcCostEvaluatorOfAllVehicles(model.RegisterTransitCallback(cost))
    time_cb = model.RegisterTransitCallback(transit)
    horizon = req.day_end
    model.AddDimension(time_cb, horizon, horizon, False, "time")
    dim = model.GetDimensionOrDie("time")
    dim.CumulVar(model.Start(0)).SetRange(req.day_start, req.day_end)
    dim.CumulVar(model.End(0)).SetRange(req.day_start, req.day_end)
    for k, s in enumerate(req.stops):
        idx = manager.NodeToIndex(k + 2)
        if s.window:
            dim.CumulVar(idx).SetRange(s.window[0], s.window[1])
        model.AddDisjunction([idx], 10**7)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(int(seconds * 1000))
    t0 = time.perf_counter()
    sol = model.SolveWithParameters(params)
    elapsed = time.perf_counter() - t0
    if sol is None:
        return {"cost": None, "served": 0, "time": elapsed, "ok": False}
    order = []
    idx = model.Start(0)
    while not model.IsEnd(idx):
        node = manager.IndexToNode(idx)
        if node >= 2:
            order.append(node - 2)
        idx = sol.Value(model.NextVar(idx))
    ok, travel = _simulate(inst, order)
    return {"cost": travel, "served": len(order), "time": elapsed, "ok": ok}


def run_nn_2opt(inst: DayInstance) -> dict[str, Any]:
    """Nearest feasible neighbour, then 2-opt moves that keep every window."""
    req, d = inst.request, inst.durations
    t0 = time.perf_counter()
    left = set(range(inst.n))
    order: list[int] = []
    t, here = req.day_start, 0
    while left:
        best = None
        for k in sorted(left, key=lambda k: d[here][k + 2]):
            s = req.stops[k]
            arrive = t + d[here][k + 2]
            if s.window and arrive > s.window[1]:
                continue
            start = max(arrive, s.window[0]) if s.window else arrive
            if start + s.service_s + d[k + 2][1] > req.day_end:
                continue
            best = (k, start + s.service_s)
            break
        if best is None:
            break
        k, t = best
        order.append(k)
        left.discard(k)
        here = k + 2
    windows = any(s.window for s in req.stops)
    _, cost = _simulate(inst, order)
    improved = True
    while improved:
        improved = False
        m = len(order)
        for i in range(m - 1):
            for j in range(i + 1, m):
                a = order[i - 1] + 2 if i > 0 else 0
                b = order[i] + 2
                c = order[j] + 2
                e = order[j + 1] + 2 if j + 1 < m else 1
                delta = d[a][c] + d[b][e] - d[a][b] - d[c][e]
                if delta >= 0 and not windows:
                    continue
                candidate = order[:i] + order[i : j + 1][::-1] + order[j + 1 :]
                if windows:
                    ok, new_cost = _simulate(inst, candidate)
                    if not ok or new_cost >= cost:
                        continue
                else:
                    new_cost = cost + delta
                order, cost, improved = candidate, new_cost, True
    elapsed = time.perf_counter() - t0
    ok, cost = _simulate(inst, order)
    return {"cost": cost, "served": len(order), "time": elapsed, "ok": ok}


def bench_synthetic(ortools_seconds: float, sizes: Sequence[int]) -> list[dict[str, Any]]:
    print("\n## Day plans (cost = driving minutes; served = stops in the plan)\n")
    if not HAVE_ORTOOLS:
        print(
            "OR-Tools is not installed: its column is skipped "
            "(pip install -e '.[bench]' to include it)\n"
        )
    head = f"| instance | ours min / served / s | OR-Tools GLS {ortools_seconds:g} s min / served"
    print(head + " | NN+2-opt min / served / s | ours vs best |")
    print("|---|---|---|---|---|")
    rows = []
    for n in sizes:
        for windows in (False, True):
            inst = synthetic(n, windows)
            v = run_vroom(inst)
            o = run_ortools(inst, ortools_seconds) if HAVE_ORTOOLS else None
            b = run_nn_2opt(inst)
            cands = [r for r in (v, o) if r and r["ok"] and r["cost"] is not None]
            most = max(r["served"] for r in cands)
            best = min(r["cost"] for r in cands if r["served"] == most)
            ratio = v["cost"] / best if v["served"] == most else None

            def cell(r: dict[str, Any] | None, with_time: bool = True) -> str:
                if r is None:
                    return "skipped (no ortools)"
                mark = "" if r["ok"] else " INFEASIBLE"
                tail = f" / {r['time']:.2f}" if with_time else ""
                return f"{r['cost'] / 60:.1f} / {r['served']}{tail}{mark}"

            versus = f"{ratio:.4f}×" if ratio is not None else "fewer served"
            print(f"| {inst.name} | {cell(v)} | {cell(o, False)} | {cell(b)} | {versus} |")
            rows.append(
                {"instance": inst.name, "vroom": v, "ortools": o, "nn2opt": b, "ratio": ratio}
            )
            sys.stdout.flush()
    return rows


# --- TSPLIB ----------------------------------------------------------------------------


def read_tsplib(path: Path) -> list[tuple[float, float]]:
    coords = []
    reading = False
    for line in path.read_text().splitlines():
        line = line.strip()
        if line.startswith("NODE_COORD_SECTION"):
            reading = True
            continue
        if line.startswith("EOF"):
            break
        if reading and line:
            _, x, y = line.split()[:3]
            coords.append((float(x), float(y)))
    return coords


def solve_matrix_tsp(
    matrix: list[list[int]], level: int = 5, seconds: float | None = None
) -> tuple[list[int], float]:
    problem = vroom.Input()
    problem.set_durations_matrix("car", matrix)
    problem.add_vehicle(vroom.Vehicle(1, start=0, end=0))
    problem.add_job([vroom.Job(i, location=i) for i in range(1, len(matrix))])
    t0 = time.perf_counter()
    sol = problem.solve(
        exploration_level=level,
        nb_threads=os.cpu_count() or 2,
        timeout=timedelta(seconds=seconds) if seconds else None,
    ).to_dict()
    elapsed = time.perf_counter() - t0
    steps = sol["routes"][0]["steps"]
    tour = [s["location_index"] for s in steps]
    return tour, elapsed


def bench_tsplib(names: Sequence[str] | None = None) -> list[dict[str, Any]]:
    print("\n## TSPLIB (tour length vs proven optimum; VROOM -x 5, at most n/25 s)\n")
    bks = json.loads((DATA / "TSPLIB/BKS.json").read_text())
    files = sorted((DATA / "TSPLIB").glob("*.tsp"), key=lambda p: len(read_tsplib(p)))
    print("| instance | n | optimum | VROOM | gap | s |")
    print("|---|---|---|---|---|---|")
    rows = []
    for path in files:
        name = path.stem
        if names and name not in names:
            continue
        pts = read_tsplib(path)
        m = [[int(math.hypot(a[0] - b[0], a[1] - b[1]) + 0.5) for b in pts] for a in pts]
        tour, elapsed = solve_matrix_tsp(m, 5, max(2.0, len(pts) / 25))
        cost = sum(m[a][b] for a, b in itertools.pairwise(tour))
        best = bks[name]["best_known_cost"]
        gap = (cost - best) / best * 100
        print(f"| {name} | {len(pts)} | {best} | {cost} | {gap:.2f}% | {elapsed:.2f} |")
        rows.append({"instance": name, "gap": gap, "time": elapsed})
        sys.stdout.flush()
    if rows:
        print(
            f"\nTSPLIB mean gap {statistics.mean(r['gap'] for r in rows):.2f}%, "
            f"max time {max(r['time'] for r in rows):.2f} s"
        )
    return rows


# --- Solomon ---------------------------------------------------------------------------


def read_solomon(path: Path) -> tuple[int, int, list[list[float]]]:
    lines = path.read_text().splitlines()
    vehicles = capacity = 0
    rows: list[list[float]] = []
    for i, line in enumerate(lines):
        if line.strip().startswith("NUMBER"):
            vehicles, capacity = (int(v) for v in lines[i + 1].split())
        parts = line.split()
        if len(parts) == 7 and all(p.replace(".", "").isdigit() for p in parts):
            rows.append([float(p) for p in parts])
    return vehicles, capacity, rows


def solomon_problem(path: Path, scale: int = 100) -> tuple[vrp.Problem, list[list[float]]]:
    """The instance as the product's solver sees it, and its exact distances.

    Travel time equals distance; times are scaled ×``scale`` to integers.
    """
    vehicles, capacity, rows = read_solomon(path)
    pts = [(r[1], r[2]) for r in rows]
    dist = [[math.hypot(a[0] - b[0], a[1] - b[1]) for b in pts] for a in pts]
    problem = vrp.Problem(
        durations=[[int(x * scale + 0.5) for x in row] for row in dist],
        jobs=[
            vrp.Job(
                location=i,
                service=int(r[6] * scale),
                window=(int(r[4] * scale), int(r[5] * scale)),
                demand=int(r[3]),
            )
            for i, r in enumerate(rows)
            if i > 0
        ],
        vehicles=[
            vrp.Vehicle(0, 0, (0, int(rows[0][5] * scale)), capacity=capacity)
            for _ in range(vehicles)
        ],
    )
    return problem, dist


def solve_solomon(
    path: Path, level: int, threads: int, seconds: float = math.inf
) -> tuple[float, int, float, str]:
    """(total distance, unassigned, seconds, whose routes) with the product's solver.

    Raises AssertionError when the answer breaks a window, a capacity or the depot's
    hours (:func:`vrp.check`).
    """
    problem, dist = solomon_problem(path)
    t0 = time.perf_counter()
    sol = vrp.solve(problem, budget_s=seconds, exploration_level=level, threads=threads)
    elapsed = time.perf_counter() - t0
    broken = vrp.check(problem, sol)
    assert not broken, f"{path.stem}: infeasible answer: {broken}"
    total = 0.0
    for route in sol.routes:
        locs = [0, *(problem.jobs[j].location for j in route.jobs), 0]
        total += sum(dist[a][b] for a, b in itertools.pairwise(locs))
    return total, len(sol.unassigned), elapsed, sol.solver


def bench_solomon(
    level: int, seconds: float, names: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    threads = os.cpu_count() or 2
    print(
        f"\n## Solomon VRPTW (distance vs best known; fieldapp's solver: VROOM -x {level}, "
        f"{threads} threads, then PyVRP; budget {seconds:g} s)\n"
    )
    bks = json.loads((DATA / "solomon/BKS.json").read_text())
    print("| instance | best known | ours | gap | unassigned | routes by | s |")
    print("|---|---|---|---|---|---|---|")
    rows = []
    for path in sorted((DATA / "solomon").glob("*.txt")):
        name = path.stem
        if names and name not in names:
            continue
        best = bks.get(f"{name}_distance", bks.get(name, {})).get("best_known_cost")
        if best is None:
            continue
        cost, unassigned, elapsed, solver = solve_solomon(path, level, threads, seconds)
        gap = (cost - best) / best * 100
        print(
            f"| {name} | {best} | {cost:.2f} | {gap:.2f}% | {unassigned} | {solver} "
            f"| {elapsed:.2f} |"
        )
        rows.append({"instance": name, "gap": gap, "time": elapsed, "unassigned": unassigned})
        sys.stdout.flush()
    if rows:
        print(
            f"\nSolomon: {len(rows)} instances, mean gap "
            f"{statistics.mean(r['gap'] for r in rows):.2f}%, mean time "
            f"{statistics.mean(r['time'] for r in rows):.2f} s, max time "
            f"{max(r['time'] for r in rows):.2f} s, unassigned "
            f"{sum(r['unassigned'] for r in rows)}"
        )
        classes: dict[str, list[float]] = {}
        for r in rows:
            classes.setdefault(r["instance"][:-2], []).append(r["gap"])
        print(
            "by class: "
            + ", ".join(f"{c} {statistics.mean(g):.2f}%" for c, g in sorted(classes.items()))
        )
    return rows


# --- map at 20k accounts -----------------------------------------------------------------


def bench_map(n: int = 20_000) -> dict[str, float] | None:
    print(f"\n## Map with {n} accounts\n")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox --disable-gpu")
    from fieldapp.maps.page import replica_map_data
    from fieldapp.maps.page_html import build_html
    from fieldapp.maps.settings import MapSettings
    from fieldapp.store import services
    from fieldapp.store.db import open_replica

    try:
        from PySide6.QtCore import QEventLoop, QTimer
        from PySide6.QtWidgets import QApplication

        from fieldapp.ui import map_panel  # registers the scheme before the app exists
    except ImportError as exc:  # pragma: no cover
        print(f"QtWebEngine not available ({exc}); load time skipped")
        map_panel = None  # type: ignore[assignment]

    rng = random.Random(3)
    with tempfile.TemporaryDirectory() as tmp:
        replica = open_replica(Path(tmp))
        rows = [
            {
                "name": f"Account {i}",
                "latitude": 50.0 + rng.random() * 2.5,
                "longitude": 6.0 + rng.random() * 4.0,
                "type": rng.choice(["customer", "prospect", "partner"]),
                "status": "active",
            }
            for i in range(n)
        ]
        with replica.session() as session:
            services.bulk_create(session, "accounts", rows)
        t0 = time.perf_counter()
        with replica.read_session() as session:
            data = replica_map_data(session)
        html = build_html(data, asset_base="fieldapp://app/assets")
        build = time.perf_counter() - t0
        print(f"build (query + page, {len(html) / 1e6:.1f} MB): {build:.3f} s")
        result = {"build": build}
        if map_panel is not None:
            app = QApplication.instance() or QApplication([])
            panel = map_panel.MapPanel(replica, settings=MapSettings(tiles_online=False))
            panel.resize(1200, 800)
            panel.show()

            def load_once() -> float:
                """From rebuilding the page to every marker in the cluster layer."""
                loop = QEventLoop()
                done: list[bool] = []

                def poll() -> None:
                    panel.run_js(
                        "!!(window.fieldappState && fieldappState.ready && "
                        f"fieldappState.cluster.getLayers().length === {n})",
                        lambda r: (done.append(True), loop.quit()) if r else None,
                    )

                timer = QTimer()
                timer.timeout.connect(poll)
                t = time.perf_counter()
                panel.reload()
                timer.start(20)
                QTimer.singleShot(60_000, loop.quit)
                loop.exec()
                elapsed = time.perf_counter() - t
                timer.stop()
                assert done, "the map did not finish loading"
                return elapsed

            cold = load_once()
            warm = [load_once() for _ in range(3)]
            result.update(cold=cold, warm=statistics.median(warm))
            timings: dict[str, Any] = {}
            panel.run_js("JSON.stringify(fieldappState.timings)", lambda r: timings.update(t=r))
            loop = QEventLoop()
            QTimer.singleShot(500, loop.quit)
            loop.exec()
            print(f"in the page (ms): {timings.get('t')}")
            print(f"build + load in QtWebEngine, first load (starts Chromium): {cold:.3f} s")
            print(f"build + load in QtWebEngine, median of 3 reloads: {result['warm']:.3f} s")
            panel.close_panel()
            panel.close()
            del app
        replica.close()
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_routes")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--ortools-seconds", type=float, default=10.0)
    # VROOM's part of the budget is short: -x 3 finishes inside it where -x 5 is cut off.
    parser.add_argument("--solomon-level", type=int, default=3)
    parser.add_argument("--solomon-seconds", type=float, default=1.9)
    parser.add_argument("--no-map", action="store_true")
    parser.add_argument("--only", choices=["synthetic", "tsplib", "solomon", "map"])
    args = parser.parse_args(argv)
    seconds = 2.0 if args.quick and args.ortools_seconds == 10.0 else args.ortools_seconds
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"# fieldapp route benchmarks ({os.cpu_count()} CPUs, load average {load:.1f})")
    if args.only in (None, "synthetic"):
        bench_synthetic(seconds, [25, 60] if args.quick else [25, 60, 150])
    if args.only in (None, "tsplib"):
        bench_tsplib(["berlin52", "eil76", "kroA100"] if args.quick else None)
    if args.only in (None, "solomon"):
        quick = ["C101", "R101", "RC101", "C201", "R201", "RC201"]
        bench_solomon(args.solomon_level, args.solomon_seconds, quick if args.quick else None)
    if args.only in (None, "map") and not args.no_map:
        bench_map()
    return 0


if __name__ == "__main__":
    sys.exit(main())
