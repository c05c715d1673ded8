"""Balance of a territory plan: each rep's load, a balance score, a suggestion that evens it.

A rep's **load** is the sum of one measure (accounts, planned visit hours, open pipeline)
over the accounts of every territory they hold; a territory shared by two reps counts
in full for each, as the server's proposal diff counts it. The **balance score** is the
coefficient of variation of the loads (standard deviation / mean): 0 is perfectly even.

Which accounts are neighbours, and so which territories, is the adjacency rule of
``domain/adjacency.py`` (each account's 6 nearest). Accounts without coordinates count
in the loads but never move.

**Suggestion** (:func:`suggest`, deterministic), in rounds: work out how much load each
boundary between two neighbouring territories with different reps should carry to bring
every rep within the tolerance of the mean (``domain/balance_flow.py``: the least total
carried that does, over the territories' adjacency graph, so load travels along the
shortest chains of territories), then carry each amount, largest first, as a strip of
boundary accounts grown from the boundary into the giving territory, nearest the
receiving territory's centre first (``domain/balance_strips.py``). A strip that would
split the giving territory takes the pocket it would cut off along or is halved. The
next round starts from where this one ended, until every rep is within the tolerance, a
round gains little, or ``max_rounds``; a round that leaves the loads further outside the
band is taken back. A territory keeps at least one account, and no territory ends in
more pieces than it started with.

The default **tolerance** is ±10% of the mean (:data:`TOLERANCE`): evening out further
moves accounts nobody asked for (at 100k accounts in 50 territories, from ±10% to ±0.1%
is most of the moves), and ±10% is a balance score of 0.1 at worst. The flow aims a
little inside the band (:data:`AIM`) so that strips, which carry whole accounts, end in
it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from fieldapp.domain.adjacency import K, neighbours, pieces
from fieldapp.domain.balance_flow import edge_flows, upstream_first
from fieldapp.domain.balance_strips import Plan, projected

__all__ = [
    "Cancelled", "K", "Move", "Spot", "Suggestion", "neighbours", "pieces", "rep_loads",
    "score", "spread", "suggest", "territories_after",
]  # fmt: skip

MAX_ROUNDS = 12
TOLERANCE = 0.10  # every rep within ±10% of the mean is even enough (module docstring)
AIM = 0.8  # the flow aims at this share of the tolerance: strips over- and undershoot
EVEN = 0.005  # loads this close to the mean are even, whatever the tolerance asked
GAIN = 0.01  # a round that takes less than this share off the load outside the band is the last


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
    """What to move: ``moves``, one per account that ends in another territory (from its
    territory now), in the order of their last steps; ``steps``, every strip's moves in
    the order made (an account may move on in a later round), each joining a territory
    the account borders at that moment."""

    moves: list[Move] = field(default_factory=list)
    steps: list[Move] = field(default_factory=list)
    before: dict[str, float] = field(default_factory=dict)  # rep -> load
    after: dict[str, float] = field(default_factory=dict)
    score_before: float = 0.0
    score_after: float = 0.0
    tolerance: float = TOLERANCE  # the band asked for, as a share of the mean
    spread_after: float = 0.0  # the largest rep's distance from the mean after, as a share


def spread(loads: Sequence[float]) -> float:
    """The largest distance of a load from the mean, as a share of the mean (0 without load)."""
    if not loads:
        return 0.0
    mean = sum(loads) / len(loads)
    return max(abs(v - mean) for v in loads) / mean if mean > 0 else 0.0


def _outside(loads: Sequence[float], band: float) -> float:
    """How much load lies outside ``band`` (a share of the mean) round the mean."""
    mean = sum(loads) / len(loads)
    return sum(max(0.0, abs(v - mean) - band * mean) for v in loads)


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


class Cancelled(Exception):
    """The caller asked :func:`suggest` to stop; nothing is suggested."""


def suggest(
    spots: list[Spot],
    reps: Mapping[str, Collection[str]],
    *,
    territories: Collection[str] | None = None,
    tolerance: float = TOLERANCE,
    max_rounds: int = MAX_ROUNDS,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Suggestion:
    """Moves that even out the loads (see the module docstring).

    ``territories`` limits which territories give and take accounts (default: every
    territory with reps); ``tolerance`` is the band round the mean, as a share of it,
    that every rep's load should end in (0: as even as whole accounts allow);
    ``progress(rounds done, max_rounds)`` is called after each
    round; when ``cancelled()`` turns true, :class:`Cancelled` is raised.
    """
    names = sorted(set(reps) | {s.territory for s in spots if s.territory is not None})
    number = {t: k for k, t in enumerate(names)}
    held = [frozenset(reps.get(t, ())) for t in names]
    people = sorted({r for h in held for r in h})
    seat = {r: k for k, r in enumerate(people)}
    holders = [[seat[r] for r in h] for h in held]
    chosen = set(territories) if territories is not None else set(reps)
    takes_part = [t in chosen and bool(held[k]) for k, t in enumerate(names)]

    def rep_vector(territory_loads: Sequence[float]) -> list[float]:
        out = [0.0] * len(people)
        for t, load in enumerate(territory_loads):
            for r in holders[t]:
                out[r] += load
        return out

    def named(loads: Sequence[float]) -> dict[str, float]:
        return {r: loads[k] for k, r in enumerate(people)}

    points = [(s.lat, s.lon) if s.lat is not None and s.lon is not None else None for s in spots]
    placed = [i for i, p in enumerate(points) if p is not None]
    graph = neighbours([points[i] for i in placed])  # type: ignore[misc]
    if len(placed) < len(spots):  # number the graph as the spots: unplaced have no neighbours
        local, graph = graph, [set() for _ in spots]
        for a, near in enumerate(local):
            graph[placed[a]] = {placed[b] for b in near}
    where = [number[s.territory] if s.territory is not None else -1 for s in spots]
    plan = Plan(where, [s.weight for s in spots], projected(points), graph, len(names))

    start = rep_vector(plan.loads)
    result = Suggestion(before=named(start), score_before=score(start), tolerance=tolerance)
    if len(people) < 2:
        result.after, result.score_after = dict(result.before), result.score_before
        result.spread_after = spread(start)
        return result
    band = max(tolerance, EVEN)
    outside = _outside(start, band)
    positive = sorted(s.weight for s in spots if s.weight > 0)
    smallest = positive[len(positive) // 2] / 2 if positive else math.inf  # half a median one
    for done in range(1, max_rounds + 1):
        if outside <= 0:
            break
        made = len(plan.log)
        boundaries = plan.boundaries()
        # Territories with the same reps trade nothing: no load changes.
        pairs = sorted(
            (a, b)
            for a, b in boundaries
            if a < b and takes_part[a] and takes_part[b] and held[a] != held[b]
        )
        edges = [
            ([seat[r] for r in held[a] - held[b]], [seat[r] for r in held[b] - held[a]])
            for a, b in pairs
        ]
        flows = edge_flows(rep_vector(plan.loads), edges, tolerance * AIM)
        for amount, src, dst in upstream_first(flows, pairs, smallest):
            if cancelled is not None and cancelled():
                raise Cancelled
            plan.carry(src, dst, amount)
        after = _outside(rep_vector(plan.loads), band)
        if after > 0 and after >= outside * (1 - GAIN):
            if after > outside:
                plan.undo(len(plan.log) - made)  # this round's flow overshot: keep the last
            break
        outside = after
        if progress is not None:
            progress(done, max_rounds)
    end = rep_vector(plan.loads)
    result.after, result.score_after = named(end), score(end)
    result.spread_after = spread(end)
    result.steps = [Move(spots[i].id, names[a], names[b]) for i, a, b in plan.log]
    last = {i: k for k, (i, _, _) in enumerate(plan.log)}
    result.moves = [
        Move(spots[i].id, names[where[i]], names[plan.where[i]])
        for i in sorted(last, key=last.__getitem__)
        if plan.where[i] != where[i]
    ]
    return result


def territories_after(spots: list[Spot], moves: Iterable[Move]) -> dict[str, str | None]:
    """Each account's territory once ``moves`` are made."""
    where = {s.id: s.territory for s in spots}
    for m in moves:
        where[m.account] = m.to_territory
    return where
