"""The benchmark's own parts work (the full run is `python -m benchmarks.bench_routes`)."""

from __future__ import annotations

import itertools
import json
import math

import pytest

from benchmarks import bench_routes as bench


def test_synthetic_instances_and_baselines_are_sound() -> None:
    inst = bench.synthetic(20, windows=True)
    assert sum(1 for s in inst.request.stops if s.window) == 10
    base = bench.run_nn_2opt(inst)
    assert base["ok"] and base["served"] == 20
    ours = bench.run_vroom(inst)
    # VROOM has a time budget; on a busy machine allow it a little slack.
    assert ours["ok"] and ours["served"] == 20 and ours["cost"] <= base["cost"] * 1.03


@pytest.mark.skipif(not bench.DATA.exists(), reason="shared routing benchmark data not present")
def test_reference_instances_parse_and_solve_near_best_known() -> None:
    pts = bench.read_tsplib(bench.DATA / "TSPLIB/berlin52.tsp")
    assert len(pts) == 52
    m = [[int(math.hypot(a[0] - b[0], a[1] - b[1]) + 0.5) for b in pts] for a in pts]
    tour, _ = bench.solve_matrix_tsp(m, level=3)
    assert sorted(tour[:-1]) == list(range(52)) and tour[0] == tour[-1] == 0
    cost = sum(m[a][b] for a, b in itertools.pairwise(tour))
    assert cost <= 7542 * 1.03
    vehicles, capacity, rows = bench.read_solomon(bench.DATA / "solomon/C101.txt")
    assert (vehicles, capacity, len(rows)) == (25, 200, 101)
    total, unassigned, _, _ = bench.solve_solomon(bench.DATA / "solomon/C101.txt", 1, 2, 1.0)
    best = json.loads((bench.DATA / "solomon/BKS.json").read_text())["C101"]["best_known_cost"]
    assert unassigned == 0 and total <= best * 1.05
