"""The balance's adjacency rule: which accounts are neighbours, and a group's pieces.

Two accounts are neighbours when either is among the other's ``K`` nearest placed
accounts (straight-line distance on an equirectangular projection, good enough inside a
country). A territory is *contiguous* when its placed accounts form one connected group
of neighbours; two territories are neighbours when a pair of neighbouring accounts joins
them.
"""

from __future__ import annotations

import math

import numpy as np

K = 6  # neighbours per account


def neighbours(points: list[tuple[float, float]], k: int = K) -> list[set[int]]:
    """The adjacency rule's graph over ``points`` (lat, lon): symmetric k nearest.

    Points go into square cells holding about ``k`` each; a point's nearest are looked
    for in the block of cells around its own, widened until the k-th nearest found lies
    closer than the block's edge (so they are exact), which keeps 100k points in seconds.
    """
    n = len(points)
    graph: list[set[int]] = [set() for _ in range(n)]
    if n < 2:
        return graph
    lat = np.array([p[0] for p in points], dtype=float)
    lon = np.array([p[1] for p in points], dtype=float)
    xy = np.column_stack([lon * math.cos(math.radians(float(lat.mean()))), lat])
    take = min(k, n - 1)
    low = xy.min(axis=0)
    width, height = (float(v) for v in np.maximum(xy.max(axis=0) - low, 1e-12))
    # About k+1 points a cell, in an area or along a line (points in a row have no area).
    cell = max(math.sqrt(width * height * (take + 1) / n), max(width, height) * (take + 1) / n)
    keys = np.floor((xy - low) / cell).astype(np.int64)
    cells: dict[tuple[int, int], list[int]] = {}
    for i, (cx, cy) in enumerate(keys.tolist()):
        cells.setdefault((cx, cy), []).append(i)
    reach = int(max(keys.max(axis=0))) + 1  # a block this wide holds every point
    for (cx, cy), members in sorted(cells.items()):
        todo, r = np.array(members), 1
        while len(todo):
            if (2 * r + 1) ** 2 <= len(cells):
                near = [
                    j
                    for dx in range(-r, r + 1)
                    for dy in range(-r, r + 1)
                    for j in cells.get((cx + dx, cy + dy), ())
                ]
            else:  # a block wider than the cells there are: look at each cell once
                near = [
                    j
                    for (x, y), held in cells.items()
                    if abs(x - cx) <= r and abs(y - cy) <= r
                    for j in held
                ]
            if len(near) <= take and r < reach:
                r = min(2 * r, reach)
                continue
            cand = np.array(near)
            d = ((xy[todo, None, :] - xy[None, cand, :]) ** 2).sum(axis=2)
            d[todo[:, None] == cand[None, :]] = np.inf
            part = np.argpartition(d, take - 1, axis=1)[:, :take]
            kth = np.take_along_axis(d, part, axis=1).max(axis=1)
            done = (kth <= (r * cell) ** 2) | (r >= reach)
            for i, row in zip(todo[done].tolist(), part[done].tolist(), strict=True):
                for j in cand[row].tolist():
                    graph[i].add(j)
                    graph[j].add(i)
            todo, r = todo[~done], r + 1
    return graph


def pieces(members: set[int], graph: list[set[int]]) -> int:
    """How many connected groups ``members`` form in ``graph`` (restricted to them)."""
    left, count = set(members), 0
    while left:
        count += 1
        stack = [left.pop()]
        while stack:
            for j in graph[stack.pop()]:
                if j in left:
                    left.remove(j)
                    stack.append(j)
    return count
