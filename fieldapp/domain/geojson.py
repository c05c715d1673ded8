"""Territory shapes: GeoJSON that holds a Polygon or a MultiPolygon, checked whole.

An admin's file (``fieldapp-server territory add --polygon FILE``) and a territory
record's ``polygon`` field are checked here before anything is stored, so a placement
rule never meets a Point, a ring of two positions or a latitude of 200.
"""

from __future__ import annotations

import json
import math
from typing import Any

SHAPES = ("Polygon", "MultiPolygon")


def parse_geojson(text: str) -> dict[str, Any]:
    """The GeoJSON object in ``text``; ValueError (one sentence) unless it holds polygons.

    Accepted: a Polygon or MultiPolygon geometry, a Feature with one, or a
    FeatureCollection of such Features; rings of at least 3 corners, closed or not.
    The object is returned as written.
    """
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise ValueError("not valid JSON (nested too deeply)") from None
    check_shape(value)
    return value


def check_shape(value: Any) -> None:
    """Raise ValueError unless ``value`` (parsed GeoJSON) holds only polygons."""
    if not isinstance(value, dict):
        raise ValueError("not a GeoJSON object (expected a Polygon or MultiPolygon)")
    kind = value.get("type")
    if kind == "FeatureCollection":
        features = value.get("features")
        if not isinstance(features, list) or not features:
            raise ValueError("a FeatureCollection without features")
        for number, feature in enumerate(features, 1):
            if not isinstance(feature, dict) or feature.get("type") != "Feature":
                raise ValueError(f"item {number} of the FeatureCollection is not a Feature")
            _geometry(feature.get("geometry"), f"feature {number}: ")
        return
    if kind == "Feature":
        _geometry(value.get("geometry"), "")
        return
    _geometry(value, "")


def _geometry(geometry: Any, where: str) -> None:
    if not isinstance(geometry, dict):
        raise ValueError(f"{where}no geometry (expected a Polygon or MultiPolygon)")
    kind = geometry.get("type")
    if kind not in SHAPES:
        shown = kind if isinstance(kind, str) else "no type"
        raise ValueError(f"{where}a {shown}, not a Polygon or MultiPolygon")
    coordinates = geometry.get("coordinates")
    polygons = [coordinates] if kind == "Polygon" else coordinates
    if not isinstance(polygons, list) or not polygons:
        raise ValueError(f"{where}a {kind} without coordinates")
    for p, polygon in enumerate(polygons, 1):
        label = f"{where}polygon {p}" if kind == "MultiPolygon" else f"{where}the polygon"
        if not isinstance(polygon, list) or not polygon:
            raise ValueError(f"{label} has no rings")
        for r, ring in enumerate(polygon, 1):
            _ring(ring, f"{label}, ring {r}")


def _ring(ring: Any, label: str) -> None:
    # RFC 7946 wants the first position repeated last; a ring without it is read as
    # closed (what the placement rule does anyway) rather than refused.
    if not isinstance(ring, list) or len(ring) < 3:
        raise ValueError(f"{label}: a ring needs at least 3 corners")
    for position in ring:
        if (
            not isinstance(position, list)
            or len(position) not in (2, 3)
            or not all(_finite(c) for c in position)
        ):
            raise ValueError(f"{label}: {_cut(position)} is not a [longitude, latitude] pair")
        lon, lat = position[0], position[1]
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValueError(f"{label}: [{lon}, {lat}] is outside longitude ±180, latitude ±90")
    corners = {tuple(position[:2]) for position in ring}
    if len(corners) < 3:
        raise ValueError(f"{label}: a ring needs at least 3 corners")


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _cut(value: Any) -> str:
    text = json.dumps(value) if _jsonable(value) else repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True
