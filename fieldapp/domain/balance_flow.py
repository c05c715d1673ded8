"""How much of the measure each boundary between two territories should carry.

The loads are the reps'; a territory's accounts count for each of its reps (a shared
territory in full for each). Carrying an amount ``f`` from territory A to B takes it off
the reps of A who do not hold B and gives it to the reps of B who do not hold A.

The schedule is the **least total carried** (the sum of ``|f|`` over the boundaries, so
each unit of the measure moved counts once per boundary it crosses) that brings every
rep's load within ``tolerance`` of the mean: a min-cost flow over the territories'
adjacency graph, written as a linear programme because a shared territory makes a
boundary's flow change several reps at once (not a plain network flow). The L1 norm
sends load along the shortest chains of territories; the least-squares flow it replaces
spread it over every parallel chain and moved almost three times the accounts needed
(issue 13). Solved by HiGHS through SciPy, imported here only, when a suggestion is
worked out: the CLI's commands never load SciPy.

Where no flow over these boundaries reaches the band (a rep whose territories cannot
trade), each rep's excess beyond it is allowed at a price far above any chain's cost,
so the flow gets as close as the boundaries allow and still carries the least.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def edge_flows(
    loads: Sequence[float],
    edges: Sequence[tuple[Sequence[int], Sequence[int]]],
    tolerance: float = 0.0,
) -> list[float]:
    """The amount each edge should carry (positive: from its A to its B).

    ``loads`` holds each rep's load; ``edges`` holds, per pair of neighbouring
    territories A–B, the reps that lose what goes from A to B and those that gain it
    (index into ``loads``). ``tolerance`` is the band round the mean, as a share of it,
    that every rep's load should end in (0: all equal). The flow carries the least in
    total among those that do, or that come closest (see the module docstring).
    """
    now = np.asarray(loads, dtype=float)
    mean = float(now.mean()) if len(now) else 0.0
    if not edges or len(now) < 2 or mean <= 0:
        return [0.0] * len(edges)
    from scipy.optimize import linprog  # heavy (~0.2 s): only when a suggestion runs

    reps, count = len(now), len(edges)
    effect = np.zeros((reps, count))
    for e, (losers, gainers) in enumerate(edges):
        effect[list(losers), e] = -1.0
        effect[list(gainers), e] = 1.0
    # In units of the mean, so pipeline in euros and accounts in ones solve alike.
    off = now / mean - 1.0
    # A flow into a shared territory raises the mean too (its load counts for each rep):
    # a rep's deviation after the flow f is off + (effect - its mean over reps) @ f,
    # and the band is tolerance × the mean after, 1 + shift @ f.
    shift = effect.mean(axis=0)
    centred = effect - shift
    over = centred - tolerance * shift  # deviation - band, per unit of f
    under = -centred - tolerance * shift
    # Variables: f = push - pull (both ≥ 0), then each rep's excess beyond the band.
    slack = -np.eye(reps)
    a_ub = np.block([[over, -over, slack], [under, -under, slack]])
    b_ub = np.concatenate([tolerance - off, tolerance + off])
    # A unit of excess costs more than carrying a unit across every territory boundary.
    price = 10.0 * (count + 1)
    cost = np.concatenate([np.ones(2 * count), np.full(reps, price)])
    answer = linprog(cost, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
    if answer.status != 0:  # f = 0 is always feasible; only a solver failure gets here
        return [0.0] * count
    x = answer.x
    return [float(f) * mean for f in x[:count] - x[count : 2 * count]]


def upstream_first(
    flows: Sequence[float], pairs: Sequence[tuple[int, int]], least: float
) -> list[tuple[float, int, int]]:
    """The flows of at least ``least`` as (amount, from, to), each territory's inflows
    before its outflows, larger amounts first among those ready.

    A territory that passes load on (A → B → C) then gives C a strip after it has
    gained A's: giving first would have to carry more than it holds. A least-total flow
    has no cycles (a cycle could be taken off and carry less); should rounding leave
    one, its edges follow, largest first.
    """
    todo = [
        (abs(f), a, b) if f > 0 else (abs(f), b, a)
        for f, (a, b) in zip(flows, pairs, strict=True)
        if abs(f) >= least
    ]
    waiting: dict[int, int] = {}  # territory -> inflows not yet carried
    for _, _, dst in todo:
        waiting[dst] = waiting.get(dst, 0) + 1
    left = sorted(todo, reverse=True)
    order: list[tuple[float, int, int]] = []
    while left:
        ready = [t for t in left if waiting.get(t[1], 0) == 0]
        step = ready[0] if ready else left[0]
        left.remove(step)
        order.append(step)
        waiting[step[2]] -= 1
    return order
