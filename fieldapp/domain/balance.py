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
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

K = 6  # neighbours per account (see the module docstring)
CELLS = 4_000_000  # distances computed at a time (~32 MB of floats)


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
    """The adjacency rule's graph over ``points`` (lat, lon): symmetric k nearest."""
    n = len(points)
    graph: list[set[int]] = [set() for _ in range(n)]
    if n < 2:
        return graph
    lat = np.array([p[0] for p in points], dtype=float)
    lon = np.array([p[1] for p in points], dtype=float)
    xy = np.column_stack([lon * math.cos(math.radians(float(lat.mean()))), lat])
    take = min(k, n - 1)
    rows = max(1, CELLS // n)
    for start in range(0, n, rows):
        block = xy[start : start + rows]
        d = (block[:, None, 0] - xy[None, :, 0]) ** 2 + (block[:, None, 1] - xy[None, :, 1]) ** 2
        d[np.arange(len(block)), np.arange(start, start + len(block))] = np.inf
        order = np.argpartition(d, take - 1, axis=1)[:, :take]
        for row, near in enumerate(order.tolist()):
            i = start + row
            for j in near:
                graph[i].add(j)
                graph[j].add(i)
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
    """The suggestion's working state: who is where, and what each territory holds."""

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
        self.placed = sorted(self.coords)
        local = neighbours([self.coords[i] for i in self.placed])
        # The graph over indexes of ``spots`` (unplaced accounts have no neighbours).
        self.graph: list[set[int]] = [set() for _ in spots]
        for a, near in enumerate(local):
            self.graph[self.placed[a]] = {self.placed[b] for b in near}
        self.where = [s.territory for s in spots]
        self.members: dict[str, set[int]] = {}
        for i in self.placed:
            t = self.where[i]
            if t is not None:
                self.members.setdefault(t, set()).add(i)
        self.counts: dict[str, int] = {}
        for t in self.where:
            if t is not None:
                self.counts[t] = self.counts.get(t, 0) + 1
        self.movable = {t for t in movable if self.reps.get(t)}
        self.moved: set[int] = set()
        self._pieces: dict[str, int] = {}

    def pieces_of(self, territory: str) -> int:
        if territory not in self._pieces:
            self._pieces[territory] = pieces(self.members.get(territory, set()), self.graph)
        return self._pieces[territory]

    def keeps_together(self, i: int) -> bool:
        t = self.where[i]
        assert t is not None
        rest = self.members[t] - {i}
        return pieces(rest, self.graph) <= self.pieces_of(t)

    def centre(self, territory: str) -> tuple[float, float]:
        idx = self.members[territory]
        lat = sum(self.coords[i][0] for i in idx) / len(idx)
        lon = sum(self.coords[i][1] for i in idx) / len(idx)
        return lat, lon

    def boundary(self) -> dict[tuple[str, str], list[int]]:
        """(A, B) -> A's accounts with a neighbour in B, for movable A and B."""
        out: dict[tuple[str, str], list[int]] = {}
        for t in sorted(self.movable):
            for i in sorted(self.members.get(t, ())):
                if i in self.moved:
                    continue
                for other in {self.where[j] for j in self.graph[i]}:
                    # Territories with the same reps trade nothing: no load changes.
                    if (
                        other is not None
                        and other != t
                        and other in self.movable
                        and self.reps[t] != self.reps[other]
                    ):
                        out.setdefault((t, other), []).append(i)
        return out

    def move(self, i: int, to: str) -> None:
        src = self.where[i]
        assert src is not None
        self.members[src].discard(i)
        self.members.setdefault(to, set()).add(i)
        self.counts[src] -= 1
        self.counts[to] = self.counts.get(to, 0) + 1
        self.where[i] = to
        self.moved.add(i)
        self._pieces.pop(src, None)
        self._pieces.pop(to, None)


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
    while len(result.moves) < max_moves:
        best: tuple[float, str, str, int] | None = None
        for (src, dst), edge in sorted(state.boundary().items()):
            if state.counts.get(src, 0) <= 1:
                continue
            c_lat, c_lon = state.centre(dst)
            scale = math.cos(math.radians(c_lat))

            def distance(
                i: int, c_lat: float = c_lat, c_lon: float = c_lon, scale: float = scale
            ) -> float:
                lat, lon = state.coords[i]
                dx = (lon - c_lon) * scale
                return dx * dx + (lat - c_lat) ** 2

            # The nearest account that may leave A; the next one only if it may not.
            for i in sorted(edge, key=lambda i: (distance(i), spots[i].id)):
                weight = spots[i].weight
                if weight <= 0:
                    continue  # moving it changes nothing
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
