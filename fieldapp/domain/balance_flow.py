"""How much of the measure each boundary between two territories should carry.

The loads are the reps'; a territory's accounts count for each of its reps (a shared
territory in full for each). Carrying an amount ``f`` from territory A to B takes it off
the reps of A who do not hold B and gives it to the reps of B who do not hold A. The
schedule is the smallest flow (sum of squares over the boundaries) that makes the
reps' loads as even as the boundaries allow: a least-squares problem over the
territories' adjacency graph, solved in one go. With one rep per territory it is the
flow of diffusion load balancing, which is optimal in that norm (Hu and Blake, "An
improved diffusion algorithm for dynamic load balancing", 1999); carrying it out moves
load along chains of territories, not only between the two most uneven neighbours.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def edge_flows(
    loads: Sequence[float],
    edges: Sequence[tuple[Sequence[int], Sequence[int]]],
) -> list[float]:
    """The amount each edge should carry (positive: from its A to its B).

    ``loads`` holds each rep's load; ``edges`` holds, per pair of neighbouring
    territories A–B, the reps that lose what goes from A to B and those that gain it
    (index into ``loads``). The flow minimises the variance of the loads after it, and
    among the flows that do, the sum of their squares.
    """
    if not edges or len(loads) < 2:
        return [0.0] * len(edges)
    effect = np.zeros((len(loads), len(edges)))
    for e, (losers, gainers) in enumerate(edges):
        effect[list(losers), e] = -1.0
        effect[list(gainers), e] = 1.0
    now = np.asarray(loads, dtype=float)
    # Variance is about differences from the mean: centre both sides, so a flow that
    # moves every rep's load alike (a territory held by all) counts for nothing.
    centred = effect - effect.mean(axis=0)
    wanted = -(now - now.mean())
    flow, *_ = np.linalg.lstsq(centred, wanted, rcond=None)  # least norm among the best
    return [float(f) for f in flow]
