"""The balance suggestion: the spread of the measure shrinks, territories stay in one piece."""

from __future__ import annotations

import random

import pytest

from fieldapp.domain.balance import (
    Spot,
    neighbours,
    pieces,
    rep_loads,
    score,
    suggest,
    territories_after,
)


def grid(columns: int, rows: int, owner: dict[int, str], weight: object = 1.0) -> list[Spot]:
    """Accounts on a grid (about 1 km apart near Cologne); ``owner``: column -> territory."""
    rnd = random.Random(7)
    spots = []
    for c in range(columns):
        for r in range(rows):
            w = rnd.randint(0, 20) if weight == "random" else float(weight)  # type: ignore[arg-type]
            spots.append(Spot(f"a{c:02d}-{r:02d}", owner[c], 50.9 + r * 0.009, 6.9 + c * 0.014, w))
    return spots


def pieces_by_territory(spots: list[Spot], where: dict[str, str | None]) -> dict[str, int]:
    """Each territory's number of connected groups by the module's adjacency rule."""
    placed = [s for s in spots if s.lat is not None and s.lon is not None]
    graph = neighbours([(s.lat, s.lon) for s in placed])  # type: ignore[misc]
    members: dict[str, set[int]] = {}
    for i, s in enumerate(placed):
        t = where[s.id]
        if t is not None:
            members.setdefault(t, set()).add(i)
    return {t: pieces(m, graph) for t, m in members.items()}


def test_score_is_the_coefficient_of_variation() -> None:
    assert score([5, 5, 5]) == 0
    assert score([0, 2]) == pytest.approx(1.0)
    assert score([]) == 0 and score([0, 0]) == 0


def test_a_shared_territory_counts_in_full_for_each_of_its_reps() -> None:
    spots = [Spot("a", "T", None, None, 2), Spot("b", "T", None, None, 3)]
    spots.append(Spot("c", "U", None, None, 4))
    assert rep_loads(spots, {"T": ["ana", "ben"], "U": ["ben"]}) == {"ana": 5, "ben": 9}


def test_two_uneven_territories_even_out_along_their_boundary() -> None:
    owner = {c: "West" if c < 14 else "East" for c in range(20)}
    spots = grid(20, 10, owner)
    reps = {"West": ["ana"], "East": ["ben"]}
    before = pieces_by_territory(spots, {s.id: s.territory for s in spots})
    assert before == {"West": 1, "East": 1}

    result = suggest(spots, reps)

    assert result.before == {"ana": 140, "ben": 60}
    assert result.after == {"ana": 100, "ben": 100}
    assert result.score_before > 0.3 and result.score_after == 0
    assert len(result.moves) == 40
    assert {(m.from_territory, m.to_territory) for m in result.moves} == {("West", "East")}
    # Nearest the receiving territory first: the columns next to East go, not the far ones.
    assert min(int(m.account[1:3]) for m in result.moves) >= 9
    after = territories_after(spots, result.moves)
    assert pieces_by_territory(spots, after) == {"West": 1, "East": 1}
    assert suggest(spots, reps).moves == result.moves  # deterministic


def test_three_territories_by_pipeline_keep_contiguity_and_spread_shrinks() -> None:
    owner = {c: "A" if c < 4 else ("B" if c < 12 else "C") for c in range(16)}
    spots = grid(16, 8, owner, weight="random")
    reps = {"A": ["ana"], "B": ["ben"], "C": ["cleo"]}

    result = suggest(spots, reps)

    assert result.score_after < result.score_before / 3
    spread = max(result.after.values()) - min(result.after.values())
    assert spread < max(result.before.values()) - min(result.before.values())
    after = territories_after(spots, result.moves)
    assert set(pieces_by_territory(spots, after).values()) == {1}
    assert len({m.account for m in result.moves}) == len(result.moves)  # each moves once
    assert all(s.weight > 0 for s in spots if s.id in {m.account for m in result.moves})
    assert rep_loads([s for s in spots], reps) == result.before


def test_a_territory_in_two_pieces_never_ends_in_more() -> None:
    # North holds its own block and an island inside South.
    owner = {c: "North" if c < 3 else "South" for c in range(12)}
    spots = [
        Spot(s.id, "North", s.lat, s.lon, s.weight) if s.id in {"a08-04", "a08-05"} else s
        for s in grid(12, 10, owner)
    ]
    assert pieces_by_territory(spots, {s.id: s.territory for s in spots})["North"] == 2
    result = suggest(spots, {"North": ["ana"], "South": ["ben"]})
    assert result.score_after < result.score_before
    after = pieces_by_territory(spots, territories_after(spots, result.moves))
    assert after["North"] <= 2 and after["South"] == 1


def test_unplaced_accounts_count_but_never_move_and_limits_hold() -> None:
    owner = {c: "West" if c < 6 else "East" for c in range(8)}
    spots = grid(8, 5, owner)
    spots += [Spot(f"x{i}", "West", None, None, 1.0) for i in range(10)]
    reps = {"West": ["ana"], "East": ["ben"], "Empty": []}
    result = suggest(spots, reps)
    assert result.before == {"ana": 40, "ben": 10}
    assert not any(m.account.startswith("x") for m in result.moves)
    assert result.after["ana"] - result.after["ben"] <= 2

    # Only the named territories take part; here only one, so nothing can move.
    assert suggest(spots, reps, territories=["West"]).moves == []
    # A cap on the number of moves.
    seen: list[int] = []
    capped = suggest(spots, reps, max_moves=3, progress=lambda done, _total: seen.append(done))
    assert len(capped.moves) == 3 and seen == [1, 2, 3]


def test_territories_with_the_same_reps_trade_nothing() -> None:
    owner = {c: "West" if c < 6 else "East" for c in range(8)}
    spots = grid(8, 5, owner)
    result = suggest(spots, {"West": ["ana"], "East": ["ana"]})
    assert result.moves == [] and result.score_after == result.score_before == 0


def test_the_neighbour_graph_of_points_in_a_row_and_of_one_spot() -> None:
    # A column of points (no area) and three at the same place: each nearest is exact.
    column = [(50.9 + i * 0.01, 6.95) for i in range(8)] + [(51.5, 7.5)] * 3
    graph = neighbours(column, k=2)
    assert graph[0] >= {1, 2} and graph[4] >= {3, 5}
    assert graph[8] == {9, 10} and graph[9] == {8, 10}
    assert pieces(set(range(8)), graph) == 1
