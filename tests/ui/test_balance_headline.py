"""The Proposals tab's headline for a balance suggestion says how even it ends."""

from __future__ import annotations

from fieldapp.domain.balance import Spot, suggest
from fieldapp.ui.proposal_balance import suggestion_headline


def test_the_headline_says_when_the_band_cannot_be_reached() -> None:
    # Ana's West borders Ben's East; Cleo's Island borders nobody (no location): the
    # flow evens West and East out but Cleo stays far below the mean.
    spots = [Spot(f"w{i}", "West", 50.9, 6.9 + i * 0.01, 1.0) for i in range(8)]
    spots += [Spot(f"e{i}", "East", 50.9, 6.98 + i * 0.01, 1.0) for i in range(2)]
    spots += [Spot("i0", "Island", None, None, 1.0)]
    reps = {"West": ["ana"], "East": ["ben"], "Island": ["cleo"]}
    names = {"West": "West", "East": "East", "Island": "Island"}

    result = suggest(spots, reps)

    assert result.before == {"ana": 8, "ben": 2, "cleo": 1} and result.moves
    assert result.spread_after > result.tolerance
    text = suggestion_headline(result, names)
    assert text.startswith(f"Suggestion: {len(result.moves)} accounts move (West → East)")
    assert "as close to ±10% of the mean as the boundaries allow" in text

    even = suggest(spots[:10], {"West": ["ana"], "East": ["ben"]})
    assert "every rep within ±10% of the mean" in suggestion_headline(even, names)
    done = suggest(spots[:10], {"West": ["ana"], "East": ["ben"]}, tolerance=0.9)
    assert suggestion_headline(done, names) == (
        "Suggestion: nothing to move; every rep within ±90% of the mean."
    )
