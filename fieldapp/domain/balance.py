"""Balance of a territory plan: each rep's load, a balance score, a suggestion that evens it.

A rep's **load** is the sum of one measure (accounts, planned visit hours, open pipeline)
over the accounts of every territory they hold; a territory shared by two reps counts
in full for each, as the server's proposal diff counts it. The **balance score** is the
coefficient of variation of the loads (standard deviation / mean): 0 is perfectly even.

**Adjacency rule.** Two accounts are neighbours when either is among the other's
``K`` nearest placed accounts (straight-line distance on an equirectangular projection,
good enough inside a country). A territory is *contiguous* when its placed accounts form
one connected group of neighbours; two territories are neighbours when a pair of
neighbouring accounts joins them. Accounts without coordinates count in the loads but
never move.

**Suggestion** (:func:`suggest`, deterministic): repeatedly, for each pair of neighbouring
territories A → B with different reps, take A's account on the boundary with B (it has
a neighbour in B) that lies nearest B's centre and whose leaving does not split A into
more pieces; of all pairs, make the move that lowers the spread (variance) of the loads
most. Stop when no move lowers it, or after ``max_moves``. An account moves at most once,
a territory keeps at least one account, and no territory ends in more pieces than it
started with (an account joins B only next to B's accounts).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

K = 6  # neighbours per account (see the module docstring)


@dataclass(frozen=True)
class Spot:
    """An account as the balance sees it."""

    id: str
    territory: str | None
    lat: float | None
    lon: float | None
    weight: float  # the measure's value for this account


@dataclass(frozen=True)
class Move:
    account: str
    from_territory: str
    to_territory: str


@dataclass
class Suggestion:
    moves: list[Move] = field(default_factory=list)
    before: dict[str, float] = field(default_factory=dict)  # rep -> load
    after: dict[str, float] = field(default_factory=dict)
    score_before: float = 0.0
    score_after: float = 0.0


def rep_loads(spots: Iterable[Spot], reps: Mapping[str, Collection[str]]) -> dict[str, float]:
    """Each rep's load: the weights of the accounts of all their territories."""
    per_territory: dict[str, float] = {}
    for s in spots:
        if s.territory is not None:
            per_territory[s.territory] = per_territory.get(s.territory, 0.0) + s.weight
    loads = {rep: 0.0 for held in reps.values() for rep in held}
    for territory, held in reps.items():
        for rep in held:
            loads[rep] += per_territory.get(territory, 0.0)
    return loads


def score(loads: Iterable[float]) -> float:
    """Coefficient of variation (population standard deviation / mean); 0 without load."""
    values = list(loads)
    if not values:
        return 0.0
    mean = sum(values) / len(values)
    if mean <= 0:
        return 0.0
    return math.sqrt(sum((v - mean) ** 2 for v in values) / len(values)) / mean


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


def _variance(loads: Mapping[str, float]) -> float:
    values = list(loads.values())
    mean = sum(values) / len(values)
    return sum((v - mean) ** 2 for v in values) / len(values)


class _State:
    """The suggestion's working state, kept up to date move by move.

    ``edges[(A, B)]`` holds A's accounts (not moved yet) with a neighbour in B, for
    territories that may trade (both taking part, different reps); ``ranked`` caches each
    pair's candidates nearest B's centre first, dropped when A or B changes. So a move
    costs what its neighbourhood holds, not the whole map.
    """

    def __init__(
        self, spots: list[Spot], reps: Mapping[str, Collection[str]], movable: set[str]
    ) -> None:
        self.spots = spots
        self.reps = {t: frozenset(r) for t, r in reps.items()}
        self.coords = {
            i: (float(s.lat), float(s.lon))
            for i, s in enumerate(spots)
            if s.lat is not None and s.lon is not None
        }
        placed = sorted(self.coords)
        local = neighbours([self.coords[i] for i in placed])
        # The graph over indexes of ``spots`` (unplaced accounts have no neighbours).
        self.graph: list[set[int]] = [set() for _ in spots]
        for a, near in enumerate(local):
            self.graph[placed[a]] = {placed[b] for b in near}
        self.where = [s.territory for s in spots]
        self.movable = {t for t in movable if self.reps.get(t)}
        self.members: dict[str, set[int]] = {}
        self.sums: dict[str, list[float]] = {}  # territory -> [Σ lat, Σ lon]
        self.counts: Counter[str] = Counter(t for t in self.where if t is not None)
        self.touching: dict[int, Counter[str]] = {}
        self.edges: dict[tuple[str, str], set[int]] = {}
        for i in placed:
            t = self.where[i]
            if t is None:
                continue
            self.members.setdefault(t, set()).add(i)
            total = self.sums.setdefault(t, [0.0, 0.0])
            total[0] += self.coords[i][0]
            total[1] += self.coords[i][1]
            near_t: Counter[str] = Counter()
            for j in self.graph[i]:
                tj = self.where[j]
                if tj is not None:
                    near_t[tj] += 1
            self.touching[i] = near_t
            for other in near_t:
                if self.trades(t, other):
                    self.edges.setdefault((t, other), set()).add(i)
        self.ranked: dict[tuple[str, str], list[int]] = {}

    def trades(self, a: str, b: str) -> bool:
        # Territories with the same reps trade nothing: no load changes.
        return a != b and a in self.movable and b in self.movable and self.reps[a] != self.reps[b]

    def keeps_together(self, i: int) -> bool:
        """Whether A stays in as many pieces without ``i``: its neighbours in A still meet.

        A path through ``i`` can go round it when its neighbours in A are joined without
        it, so only their search is needed (usually a few steps), not A's whole graph.
        """
        t = self.where[i]
        members = self.members[t]  # type: ignore[index]
        targets = {j for j in self.graph[i] if j in members}
        if len(targets) <= 1:
            return True  # a tip or a piece of its own: nothing is cut off
        start = min(targets)
        seen, stack, left = {i, start}, [start], targets - {start}
        while stack and left:
            for j in self.graph[stack.pop()]:
                if j not in seen and j in members:
                    seen.add(j)
                    left.discard(j)
                    stack.append(j)
        return not left

    def candidates(self, pair: tuple[str, str]) -> list[int]:
        """A's accounts on the boundary with B, nearest B's centre first (ties: by id)."""
        if pair not in self.ranked:
            dst = pair[1]
            lat_sum, lon_sum = self.sums[dst]
            c_lat, c_lon = lat_sum / len(self.members[dst]), lon_sum / len(self.members[dst])
            scale = math.cos(math.radians(c_lat))

            def key(i: int) -> tuple[float, str]:
                lat, lon = self.coords[i]
                dx = (lon - c_lon) * scale
                return dx * dx + (lat - c_lat) ** 2, self.spots[i].id

            movers = [i for i in self.edges.get(pair, ()) if self.spots[i].weight > 0]
            self.ranked[pair] = sorted(movers, key=key)
        return self.ranked[pair]

    def move(self, i: int, to: str) -> None:
        src = self.where[i]
        assert src is not None
        for other in self.touching[i]:
            self.edges.get((src, other), set()).discard(i)  # it moves once only
        self.members[src].discard(i)
        self.members.setdefault(to, set()).add(i)
        lat, lon = self.coords[i]
        self.sums[src][0] -= lat
        self.sums[src][1] -= lon
        self.sums[to][0] += lat
        self.sums[to][1] += lon
        self.counts[src] -= 1
        self.counts[to] += 1
        self.where[i] = to
        for j in self.graph[i]:
            tj, near_j = self.where[j], self.touching.get(j)
            if tj is None or near_j is None:
                continue
            near_j[src] -= 1
            if near_j[src] == 0:
                del near_j[src]
                self.edges.get((tj, src), set()).discard(j)
            near_j[to] += 1
            if near_j[to] == 1 and self.trades(tj, to):
                self.edges.setdefault((tj, to), set()).add(j)  # suggest() skips moved ones
        for pair in [p for p in self.ranked if src in p or to in p]:
            del self.ranked[pair]


def _shifted(
    loads: dict[str, float], losers: frozenset[str], gainers: frozenset[str], weight: float
) -> dict[str, float]:
    out = dict(loads)
    for rep in losers - gainers:
        out[rep] -= weight
    for rep in gainers - losers:
        out[rep] += weight
    return out


def suggest(
    spots: list[Spot],
    reps: Mapping[str, Collection[str]],
    *,
    territories: Collection[str] | None = None,
    max_moves: int = 500,
    progress: Callable[[int, int], None] | None = None,
) -> Suggestion:
    """Moves that even out the loads (see the module docstring).

    ``territories`` limits which territories give and take accounts (default: every
    territory with reps); ``progress(moves made, max_moves)`` is called as it goes.
    """
    movable = set(territories) if territories is not None else set(reps)
    state = _State(spots, reps, movable)
    loads = rep_loads(spots, reps)
    result = Suggestion(before=dict(loads), score_before=score(loads.values()))
    if len(loads) < 2:
        result.after, result.score_after = dict(loads), result.score_before
        return result
    variance = _variance(loads)
    moved: set[int] = set()
    while len(result.moves) < max_moves:
        best: tuple[float, str, str, int] | None = None
        for pair in sorted(state.edges):
            src, dst = pair
            if state.counts[src] <= 1 or not state.edges[pair]:
                continue
            # The nearest account that may leave A; the next one only if it may not.
            for i in state.candidates(pair):
                if i in moved:
                    continue
                weight = spots[i].weight
                after = _variance(_shifted(loads, state.reps[src], state.reps[dst], weight))
                gain = variance - after
                if gain <= 1e-9 * max(variance, 1.0) or (best is not None and gain <= best[0]):
                    break
                if state.keeps_together(i):
                    best = (gain, src, dst, i)
                    break
        if best is None:
            break
        _, src, dst, i = best
        state.move(i, dst)
        moved.add(i)
        loads = _shifted(loads, state.reps[src], state.reps[dst], spots[i].weight)
        variance = _variance(loads)
        result.moves.append(Move(spots[i].id, src, dst))
        if progress is not None:
            progress(len(result.moves), max_moves)
    result.after, result.score_after = dict(loads), score(loads.values())
    return result


def territories_after(spots: list[Spot], moves: Iterable[Move]) -> dict[str, str | None]:
    """Each account's territory once ``moves`` are made."""
    where = {s.id: s.territory for s in spots}
    for m in moves:
        where[m.account] = m.to_territory
    return where
