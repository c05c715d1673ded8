"""Plane geometry on the sphere, good enough for a rep's day: distances, nearby, lasso."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# The distance itself is shared with the store (check-in distances): see domain.geo.
from fieldapp.domain.geo import EARTH_RADIUS_M as EARTH_RADIUS_M
from fieldapp.domain.geo import LatLon as LatLon
from fieldapp.domain.geo import haversine_m as haversine_m


@dataclass(frozen=True)
class Place:
    """Anything with an id and a position (an account, usually)."""

    id: str
    lat: float
    lon: float


@dataclass(frozen=True)
class Nearby:
    id: str
    distance_m: float


def nearby(places: Iterable[Place], centre: LatLon, radius_km: float) -> list[Nearby]:
    """Places within ``radius_km`` of ``centre``, nearest first.

    A cheap bounding-box test rejects most places before the haversine.
    """
    radius_m = radius_km * 1000.0
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    coslat = max(0.01, math.cos(math.radians(centre[0])))
    dlon = min(180.0, dlat / coslat)
    found = []
    for p in places:
        if abs(p.lat - centre[0]) > dlat:
            continue
        if abs((p.lon - centre[1] + 180.0) % 360.0 - 180.0) > dlon:
            continue
        d = haversine_m(centre, (p.lat, p.lon))
        if d <= radius_m:
            found.append(Nearby(p.id, d))
    found.sort(key=lambda n: (n.distance_m, n.id))
    return found


def point_in_polygon(point: LatLon, polygon: Sequence[LatLon]) -> bool:
    """Even-odd ray casting; ``polygon`` is a ring of (lat, lon), closed or not."""
    y, x = point
    inside = False
    n = len(polygon)
    if n < 3:
        return False
    j = n - 1
    for i in range(n):
        yi, xi = polygon[i]
        yj, xj = polygon[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def select_in_polygon(places: Iterable[Place], polygon: Sequence[LatLon]) -> list[str]:
    """Ids of the places inside a lasso polygon, in input order."""
    if len(polygon) < 3:
        return []
    lats = [p[0] for p in polygon]
    lons = [p[1] for p in polygon]
    south, north, west, east = min(lats), max(lats), min(lons), max(lons)
    return [
        p.id
        for p in places
        if south <= p.lat <= north
        and west <= p.lon <= east
        and point_in_polygon((p.lat, p.lon), polygon)
    ]


def bbox(points: Iterable[LatLon]) -> tuple[float, float, float, float] | None:
    """(south, west, north, east) of the points, or None when there are none."""
    pts = list(points)
    if not pts:
        return None
    return (
        min(p[0] for p in pts),
        min(p[1] for p in pts),
        max(p[0] for p in pts),
        max(p[1] for p in pts),
    )


def geojson_rings(geometry: dict[str, object]) -> list[list[LatLon]]:
    """Outer rings of a GeoJSON Polygon / MultiPolygon as (lat, lon) lists."""
    kind = geometry.get("type")
    coords = geometry.get("coordinates") or []
    polygons: list = []
    if kind == "Polygon":
        polygons = [coords]
    elif kind == "MultiPolygon":
        polygons = list(coords)  # type: ignore[call-overload]
    elif kind == "Feature":
        inner = geometry.get("geometry")
        return geojson_rings(inner) if isinstance(inner, dict) else []
    rings = []
    for poly in polygons:
        if poly:
            rings.append([(float(lat), float(lon)) for lon, lat, *_ in poly[0]])
    return rings
