"""Moving a strip of accounts across a territory boundary, splitting nothing.

A **strip** from A to B grows from one of A's accounts on the boundary with B (the one
nearest B's centre): it takes A's neighbouring accounts nearest B's centre first until
it carries the amount asked for. Every account of the strip is next to B or to an
account of the strip before it, so B ends in no more pieces, and the strip's moves,
made in order, each move an account that borders the territory it joins.

A stays in no more pieces when A's accounts next to the strip (its *rim*) still meet
without it: every piece that A's part holding the strip falls into holds one of them.
Searching from all rim accounts at once, merging searches as they touch, decides it
once they have all merged: usually a band along the strip, not the whole territory.
When the strip would cut pockets off, they go with it (they touch it) if that does not
overshoot much; otherwise the strip is halved and tried again. A territory keeps at
least one placed account.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Sequence
from itertools import chain

import numpy as np

SHRINKS = 3  # halvings of a strip that would split its territory, before giving up
SKIPS = 64  # accounts too heavy to take, passed over, before a strip stops growing
POCKET = 0.5  # cut-off pockets may add this share of the amount asked for to a strip


class Plan:
    """Each account's territory as the suggestion goes, and what each territory weighs.

    Territories and accounts are numbered (``where[i]`` is account i's territory, -1
    without one); ``graph`` is the adjacency rule's over all accounts (an unplaced one
    has no neighbours). ``log`` holds the moves made, in order, as (account, from, to).
    """

    def __init__(
        self,
        where: Sequence[int],
        weights: Sequence[float],
        xy: Sequence[tuple[float, float] | None],
        graph: Sequence[set[int]],
        territories: int,
    ) -> None:
        self.where = list(where)
        self.weights = list(weights)
        self.xy = list(xy)
        self.graph = graph
        self.loads = [0.0] * territories
        self.placed = [0] * territories
        self.sums = [[0.0, 0.0] for _ in range(territories)]
        for i, t in enumerate(self.where):
            if t < 0:
                continue
            self.loads[t] += self.weights[i]
            p = self.xy[i]
            if p is not None:
                self.placed[t] += 1
                self.sums[t][0] += p[0]
                self.sums[t][1] += p[1]
        self.log: list[tuple[int, int, int]] = []
        # Both directions of every neighbour pair and a copy of ``where``, for the
        # searches over all boundaries at once (numpy).
        sizes = np.fromiter((len(near) for near in graph), dtype=np.int64, count=len(graph))
        self._u = np.repeat(np.arange(len(graph), dtype=np.int64), sizes)
        self._v = np.fromiter(chain.from_iterable(graph), dtype=np.int64, count=int(sizes.sum()))
        self._where = np.array(self.where, dtype=np.int64)
        self._xy = np.array([p if p is not None else (0.0, 0.0) for p in self.xy], dtype=float)
        self._seeds: dict[tuple[int, int], list[int]] = {}

    def centre(self, t: int) -> tuple[float, float]:
        n = max(self.placed[t], 1)
        return self.sums[t][0] / n, self.sums[t][1] / n

    def boundaries(self) -> set[tuple[int, int]]:
        """The pairs (A, B) of neighbouring territories, both ways.

        Also ranks each A's accounts next to B, nearest B's centre first, as the seeds of
        strips from A to B (checked again when used: strips move the boundaries).
        """
        a, b = self._where[self._u], self._where[self._v]
        keep = (a != b) & (a >= 0) & (b >= 0)
        self._seeds = self._ranked(self._u[keep], a[keep], b[keep])
        return set(self._seeds)

    def carry(self, src: int, dst: int, amount: float) -> float:
        """Move a strip of about ``amount`` from ``src`` to ``dst``; the weight moved (0: none)."""
        seed = self._seed(src, dst) if self.placed[src] > 1 else None
        if seed is None:
            return 0.0
        strip = self._grow(seed, src, dst, amount)
        for _ in range(SHRINKS + 1):
            if not strip:
                return 0.0
            pockets = self._cut_off(src, set(strip))
            if not pockets:
                break
            extra = [i for pocket in pockets for i in pocket]
            if sum(self.weights[i] for i in chain(strip, extra)) <= amount * (1 + POCKET):
                strip += extra  # each pocket touches the strip: B stays in as many pieces
                break
            strip = strip[: len(strip) // 2]  # a prefix is in one piece too
        else:
            return 0.0
        for i in strip:
            self.move(i, src, dst)
        return sum(self.weights[i] for i in strip)

    def move(self, i: int, src: int, dst: int) -> None:
        self._shift(i, src, dst)
        self.log.append((i, src, dst))

    def undo(self, count: int) -> None:
        """Take back the last ``count`` moves."""
        for _ in range(count):
            i, src, dst = self.log.pop()
            self._shift(i, dst, src)

    def _shift(self, i: int, src: int, dst: int) -> None:
        w, (x, y) = self.weights[i], self.xy[i]  # type: ignore[misc]
        self.where[i] = dst
        self._where[i] = dst
        self.loads[src] -= w
        self.loads[dst] += w
        self.placed[src] -= 1
        self.placed[dst] += 1
        self.sums[src][0] -= x
        self.sums[src][1] -= y
        self.sums[dst][0] += x
        self.sums[dst][1] += y

    def _ranked(
        self, u: np.ndarray, a: np.ndarray, b: np.ndarray
    ) -> dict[tuple[int, int], list[int]]:
        if not len(u):
            return {}
        centres = np.array([self.centre(t) for t in range(len(self.loads))])
        d = ((self._xy[u] - centres[b]) ** 2).sum(axis=1)
        order = np.lexsort((u, d, b, a))  # ties: by account number, so it is deterministic
        u, a, b = u[order], a[order], b[order]
        starts = np.flatnonzero(np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1])])
        ends = np.r_[starts[1:], len(u)]
        return {
            (int(a[s]), int(b[s])): u[s:e].tolist()
            for s, e in zip(starts.tolist(), ends.tolist(), strict=True)
        }

    def _seed(self, src: int, dst: int) -> int | None:
        """A's account next to B nearest B's centre, as ranked, or else as things are now."""
        for i in self._seeds.get((src, dst), ()):
            if self._borders(i, src, dst):
                return i
        # Strips made since the ranking moved this boundary: rank it again.
        a, b = self._where[self._u], self._where[self._v]
        keep = (a == src) & (b == dst)
        fresh = self._ranked(self._u[keep], a[keep], b[keep]).get((src, dst), [])
        self._seeds[(src, dst)] = fresh
        return fresh[0] if fresh else None

    def _borders(self, i: int, src: int, dst: int) -> bool:
        where = self.where
        return where[i] == src and any(where[j] == dst for j in self.graph[i])

    def _grow(self, seed: int, src: int, dst: int, amount: float) -> list[int]:
        """A's accounts from ``seed`` on, nearest B's centre first, carrying ``amount``."""
        cx, cy = self.centre(dst)

        def key(i: int) -> tuple[float, int]:
            x, y = self.xy[i]  # type: ignore[misc]
            return (x - cx) ** 2 + (y - cy) ** 2, i

        heap, seen = [key(seed)], {seed}
        strip: list[int] = []
        total, skipped, room = 0.0, 0, self.placed[src] - 1
        while heap and total < amount and len(strip) < room:
            _, i = heapq.heappop(heap)
            w = self.weights[i]
            if total + w / 2 > amount:  # it would overshoot more than leaving it
                skipped += 1
                if skipped > SKIPS:
                    break
                continue
            strip.append(i)
            total += w
            for j in self.graph[i]:
                if j not in seen and self.where[j] == src:
                    seen.add(j)
                    heapq.heappush(heap, key(j))
        return strip

    def _cut_off(self, src: int, taken: set[int]) -> list[list[int]]:
        """The pockets of A that moving ``taken`` would cut off (none: A keeps its pieces).

        A breadth-first search from every rim account at once; searches that touch
        merge (union-find). All merged: nothing is cut off. The searches ran out first:
        each group left is a piece, the largest stays, the others are the pockets, each
        listed from an account next to the strip on, each account next to one before it.
        """
        where, graph = self.where, self.graph
        rim = sorted({j for i in taken for j in graph[i] if where[j] == src and j not in taken})
        root = {j: j for j in rim}  # union-find over the searches, by their rim account
        label = dict(root)  # account -> the search that reached it first
        groups = len(rim)

        def find(j: int) -> int:
            while root[j] != j:
                root[j] = root[root[j]]
                j = root[j]
            return j

        queue = deque(rim)
        while queue and groups > 1:
            i = queue.popleft()
            for j in graph[i]:
                if where[j] != src or j in taken:
                    continue
                if j not in label:
                    label[j] = label[i]
                    queue.append(j)
                    continue
                ri, rj = find(label[i]), find(label[j])
                if ri != rj:
                    root[max(ri, rj)] = min(ri, rj)
                    groups -= 1
        if groups <= 1:
            return []
        pieces: dict[int, list[int]] = {}
        for j in label:  # in the order reached: rim accounts first
            pieces.setdefault(find(label[j]), []).append(j)
        ordered = sorted(pieces.values(), key=len, reverse=True)
        return ordered[1:]


def projected(points: Sequence[tuple[float, float] | None]) -> list[tuple[float, float] | None]:
    """(lat, lon) as x, y on the adjacency rule's equirectangular projection."""
    lats = [p[0] for p in points if p is not None]
    scale = math.cos(math.radians(sum(lats) / len(lats))) if lats else 1.0
    return [(p[1] * scale, p[0]) if p is not None else None for p in points]
