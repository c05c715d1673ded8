"""Shapes drawn on the map, made into territory polygons (and back into editable rings).

The map's lasso reports every point the mouse passed (hundreds for one gesture); a
territory wants a polygon with corners a person can drag. :func:`simplify` keeps the
corners that matter (Douglas–Peucker, a tolerance relative to the shape's size), and
:func:`ring_polygon` writes the GeoJSON the server takes ([longitude, latitude], the
first corner repeated last).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp.maps.geo import LatLon, geojson_rings
from fieldapp.store.models import Territory

# Of the shape's diagonal: small enough to keep a street corner at town scale.
TOLERANCE = 0.005
MAX_CORNERS = 80


def _distance(p: LatLon, a: LatLon, b: LatLon) -> float:
    """Distance of ``p`` from the segment a–b, in degrees (fine for this purpose)."""
    (py, px), (ay, ax), (by, bx) = p, a, b
    dx, dy = bx - ax, by - ay
    if dx == 0 and dy == 0:
        return math.hypot(px - ax, py - ay)
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def _douglas_peucker(points: Sequence[LatLon], tolerance: float) -> list[LatLon]:
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        worst, at = 0.0, -1
        for i in range(first + 1, last):
            d = _distance(points[i], points[first], points[last])
            if d > worst:
                worst, at = d, i
        if at >= 0 and worst > tolerance:
            keep[at] = True
            stack += [(first, at), (at, last)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def simplify(ring: Sequence[LatLon], tolerance: float = TOLERANCE) -> list[LatLon]:
    """The corners of ``ring`` (open or closed) that shape it; at least 3, at most
    :data:`MAX_CORNERS`. ValueError when the ring has fewer than 3 distinct points."""
    points = [(float(a), float(b)) for a, b in ring]
    while len(points) > 1 and points[0] == points[-1]:
        points.pop()
    if len(set(points)) < 3:
        raise ValueError("a shape needs at least 3 corners")
    lats = [p[0] for p in points]
    lons = [p[1] for p in points]
    size = math.hypot(max(lats) - min(lats), max(lons) - min(lons)) or 1.0
    # Close the ring through the point farthest from the first, so both halves simplify.
    far = max(range(len(points)), key=lambda i: math.dist(points[0], points[i]))
    step = tolerance * size
    while True:
        a = _douglas_peucker(points[: far + 1], step)
        b = _douglas_peucker([*points[far:], points[0]], step)
        corners = a[:-1] + b[:-1]
        if len(corners) <= MAX_CORNERS:
            break
        step *= 1.5
    if len(set(corners)) < 3:  # a thin sliver: keep the three most spread points
        corners = [points[0], points[len(points) // 3], points[far]]
    return corners


def ring_polygon(ring: Sequence[LatLon]) -> dict[str, Any]:
    """A GeoJSON Polygon from (lat, lon) corners."""
    coords = [[round(lon, 6), round(lat, 6)] for lat, lon in ring]
    if coords and coords[0] != coords[-1]:
        coords.append(coords[0])
    return {"type": "Polygon", "coordinates": [coords]}


def polygon_ring(geometry: dict[str, Any] | None) -> list[LatLon]:
    """The first outer ring of a Polygon / MultiPolygon / Feature, open, as (lat, lon)."""
    if not geometry:
        return []
    rings = geojson_rings(geometry)
    if not rings:
        return []
    ring = list(rings[0])
    if len(ring) > 1 and ring[0] == ring[-1]:
        ring.pop()
    return ring


def polygon_of(session: Session, name: str) -> dict[str, Any] | None:
    """A territory's polygon as this replica has it (GeoJSON), or None."""
    text = session.scalar(
        select(Territory.polygon).where(Territory.name == name, Territory.deleted_at.is_(None))
    )
    try:
        value = json.loads(text) if text else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
