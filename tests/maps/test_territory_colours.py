"""The Admin map colours accounts by territory, and each territory's outline alike."""

from __future__ import annotations

from fieldapp.maps.page import TerritoryShape, map_data
from fieldapp.maps.planner import AccountPoint

SHAPE = {"type": "Polygon", "coordinates": [[[7, 50], [7.1, 50], [7.1, 50.1], [7, 50]]]}


def _point(i: int, territory: str | None) -> AccountPoint:
    return AccountPoint(f"a{i}", f"Shop {i}", 50.0 + i / 100, 7.0, "customer", "active", None,
                        territory, None)  # fmt: skip


def test_accounts_and_outlines_wear_their_territorys_colour() -> None:
    points = [_point(0, "t-north"), _point(1, "t-south"), _point(2, "t-north"), _point(3, None)]
    data = map_data(
        points,
        color_by="territory",
        territories=[TerritoryShape("North", SHAPE), TerritoryShape("South", SHAPE)],
        territory_names={"t-north": "North", "t-south": "South"},
    )
    labels = [c["label"] for c in data["categories"]]
    assert sorted(labels) == ["North", "South", "no territory"]
    category = {m[0]: labels[m[4]] for m in data["markers"]}
    assert category == {"a0": "North", "a1": "South", "a2": "North", "a3": "no territory"}
    colour = {c["label"]: c["color"] for c in data["categories"]}
    outlines = {t["name"]: t["color"] for t in data["territories"]}
    assert outlines == {"North": colour["North"], "South": colour["South"]}
    assert colour["North"] != colour["South"]


def test_other_colourings_leave_the_outlines_plain() -> None:
    data = map_data([_point(0, "t")], color_by="status", territories=[TerritoryShape("T", SHAPE)])
    assert "color" not in data["territories"][0]  # the page's default blue
