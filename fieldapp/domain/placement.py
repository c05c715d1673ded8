"""Which territory a record belongs in: one rule for the server's imports, its pushes
and the replica's new records, so what a rep creates offline lands where the server
would have put it.

The rule: the first territory whose polygon holds the record's point; else the
territory with the longest postcode prefix that fits; else, for a record a person
creates, the creator's territory when they have exactly one; else none (the record
stays its owner's until an admin places it).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

# (territory id, {"polygon": GeoJSON text or None, "postcodes": "AB1,AB2" or None})
TerritoryShape = tuple[str, dict[str, Any]]


def _inside(lon: float, lat: float, ring: Sequence[Sequence[float]]) -> bool:
    """Even-odd ray casting; a ring without its closing position is read as closed."""
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def polygons(geometry: dict[str, Any]) -> list[list[list[list[float]]]]:
    """The polygons (outer ring, then holes) of a GeoJSON geometry, feature or collection."""
    if geometry.get("type") == "Feature":
        geometry = geometry.get("geometry") or {}
    if geometry.get("type") == "FeatureCollection":
        out: list[list[list[list[float]]]] = []
        for feature in geometry.get("features") or ():
            out += polygons(feature)
        return out
    if geometry.get("type") == "Polygon":
        return [geometry["coordinates"]]
    if geometry.get("type") == "MultiPolygon":
        return list(geometry["coordinates"])
    raise ValueError("a territory polygon must be a GeoJSON Polygon or MultiPolygon")


def _shapes(polygon: Any) -> list[list[list[list[float]]]]:
    if not polygon:
        return []
    try:
        geometry = json.loads(polygon) if isinstance(polygon, str) else polygon
        return polygons(geometry) if isinstance(geometry, dict) else []
    except (ValueError, KeyError, TypeError):
        return []  # a damaged shape places nothing; the postcode rule still may


def territory_for(
    territories: Iterable[TerritoryShape],
    postcode: str | None,
    lat: float | None,
    lon: float | None,
) -> str | None:
    """The first territory whose polygon holds the point, else whose postcode prefix fits."""
    territories = list(territories)
    if lat is not None and lon is not None:
        for tid, data in territories:
            for poly in _shapes(data.get("polygon")):
                if (
                    poly
                    and _inside(lon, lat, poly[0])
                    and not any(_inside(lon, lat, hole) for hole in poly[1:])
                ):
                    return tid
    if postcode:
        code = str(postcode).replace(" ", "").upper()
        best: tuple[int, str] | None = None
        for tid, data in territories:
            for prefix in (data.get("postcodes") or "").split(","):
                p = prefix.strip().replace(" ", "").upper()
                if p and code.startswith(p) and (best is None or len(p) > best[0]):
                    best = (len(p), tid)
        if best:
            return best[1]
    return None


def place(
    territories: Iterable[TerritoryShape],
    record: dict[str, Any],
    creator_territories: Sequence[str] = (),
) -> str | None:
    """The territory of a new record (``record`` holds postcode / latitude / longitude).

    ``creator_territories`` are the territories of the person creating it: when the
    address places it nowhere, it goes to their one territory if they have exactly one.
    """
    lat, lon = _number(record.get("latitude")), _number(record.get("longitude"))
    found = territory_for(territories, record.get("postcode"), lat, lon)
    if found is None and len(creator_territories) == 1:
        return creator_territories[0]
    return found


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
