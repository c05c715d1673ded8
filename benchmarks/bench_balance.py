"""The Admin panel's balance at 100k accounts in 50 territories, one rep each.

    python -m benchmarks.bench_balance [--accounts N] [--territories T] [--rounds R]

Accounts spread over a 90 × 80 km square, each in the territory of its nearest of T
seed points (so every territory is one piece), the seeds' territories uneven in size.
Times, off the GUI thread as the Proposals tab runs them: the neighbour graph of the
adjacency rule (``domain.balance.neighbours``), the balance figures of one measure
(``reports.workload.balance_view``, a pass over every account) and a suggestion of at
most R rounds (``domain.balance.suggest``), with wall and CPU time; and checks that the
score fell and no territory ends in more pieces; prints how many accounts move against
the lower bounds (the excess over the mean, and over the tolerance's band). Target
(issue 13): the score down substantially (≤ 0.2) in ≤ ~10 s of CPU at 100k, in the
background with progress, moving few accounts.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections.abc import Callable
from typing import Any

from fieldapp.domain.balance import Spot, neighbours, pieces, suggest, territories_after
from fieldapp.reports.workload import AccountLoad, balance_view


def scene(accounts: int, territories: int, seed: int = 5) -> list[AccountLoad]:
    rng = random.Random(seed)
    seeds = [
        (50.9 + rng.uniform(-0.4, 0.4), 6.9 + rng.uniform(-0.6, 0.6)) for _ in range(territories)
    ]
    out = []
    for i in range(accounts):
        lat, lon = 50.9 + rng.uniform(-0.4, 0.4), 6.9 + rng.uniform(-0.6, 0.6)
        near = min(
            range(territories),
            key=lambda k: (seeds[k][0] - lat) ** 2 + ((seeds[k][1] - lon) * 0.63) ** 2,
        )
        out.append(AccountLoad(f"a{i:06d}", f"Account {i}", f"T{near:02d}", lat, lon))
    return out


def timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--territories", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=12)
    args = parser.parse_args()
    loads = scene(args.accounts, args.territories)
    reps = {f"T{k:02d}": [f"rep{k:02d}"] for k in range(args.territories)}
    spots = [Spot(a.id, a.territory_id, a.lat, a.lon, 1.0) for a in loads]
    points = [(a.lat, a.lon) for a in loads]
    graph, graph_s, graph_cpu = timed(lambda: neighbours(points))  # type: ignore[arg-type]
    _, view_s, view_cpu = timed(lambda: balance_view(loads, "accounts", reps, {}, reps))
    rounds: list[tuple[int, float]] = []

    def progress(done: int, _total: int) -> None:
        rounds.append((done, time.process_time()))

    result, suggest_s, suggest_cpu = timed(
        lambda: suggest(spots, reps, max_rounds=args.rounds, progress=progress)
    )

    def pieces_by_territory(where: dict[str, str | None]) -> dict[str, int]:
        members: dict[str, set[int]] = {}
        for i, s in enumerate(spots):
            members.setdefault(str(where[s.id]), set()).add(i)
        return {t: pieces(m, graph) for t, m in members.items()}

    before = pieces_by_territory({s.id: s.territory for s in spots})
    after = pieces_by_territory(territories_after(spots, result.moves))
    worse = [t for t in after if after[t] > before.get(t, 1)]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{args.accounts:,} accounts, {args.territories} territories, one rep each")
    print(f"neighbour graph (k=6): {graph_s:.2f} s wall, {graph_cpu:.2f} s CPU")
    print(
        f"balance figures, one measure: {view_s * 1000:.0f} ms wall, {view_cpu * 1000:.0f} ms CPU"
    )
    mean = sum(result.before.values()) / len(result.before)
    band = mean * (1 + result.tolerance)
    excess = sum(max(0.0, v - mean) for v in result.before.values())
    beyond = sum(max(0.0, v - band) for v in result.before.values())
    print(
        f"lower bounds on the accounts moved: the excess over the mean {excess:,.0f}, "
        f"over the band (mean + {result.tolerance:.0%}) {beyond:,.0f}"
    )
    print(
        f"suggestion (every rep within ±{result.tolerance:.0%} of the mean), "
        f"{len(result.moves):,} accounts move in {len(rounds)} rounds "
        f"(at most {args.rounds}), its own graph included: {suggest_s:.1f} s wall, "
        f"{suggest_cpu:.1f} s CPU"
    )
    print(
        f"balance score {result.score_before:.3f} → {result.score_after:.3f}, farthest rep "
        f"from the mean {result.spread_after:.1%}; pieces of all "
        f"territories {sum(before.values())} → {sum(after.values())}, "
        f"territories in more pieces than before: {len(worse)}"
    )
    print(f"{os.cpu_count()} CPUs, load average {load:.1f} when measured")


if __name__ == "__main__":
    main()
