"""Distances on the Earth's surface, for every layer that needs one.

Here rather than in :mod:`fieldapp.maps.geo` (which re-exports it) because the store
measures how far a check-in stood from its account, and the store may not import maps.
"""

from __future__ import annotations

import math

# The mean Earth radius (IUGG): the sphere's error against the ellipsoid stays below
# 0.5 %, far inside what a phone's or a laptop's fix can tell.
EARTH_RADIUS_M = 6_371_008.8

LatLon = tuple[float, float]


def haversine_m(a: LatLon, b: LatLon) -> float:
    """Great-circle distance in metres between two (lat, lon) points."""
    lat1, lon1 = math.radians(a[0]), math.radians(a[1])
    lat2, lon2 = math.radians(b[0]), math.radians(b[1])
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))
