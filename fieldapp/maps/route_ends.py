"""Where a day's route starts and ends, as the rep types it.

A start or end is written as ``home`` or ``office`` (the addresses saved once in the
map settings), ``here`` (the position the laptop reports now), ``LAT, LON``, or an
address. An address is looked up in the geocoder's cache, then online when that is
allowed, and otherwise in the offline gazetteer (the town's centre: good enough to
plan a day, and the summary says it is approximate).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from fieldapp.errors import FieldappError
from fieldapp.maps.geo import LatLon
from fieldapp.maps.geocode import Gazetteer, Geocoder, Offline
from fieldapp.maps.settings import MapSettings

HOME_WORDS = frozenset({"home", "zuhause"})
OFFICE_WORDS = frozenset({"office", "büro", "buero"})
HERE_WORDS = frozenset({"here", "current position", "my position"})

_POINT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*[,;]\s*(-?\d+(?:\.\d+)?)\s*$")


@dataclass(frozen=True)
class RouteEnd:
    """A resolved start or end: the point, what the rep typed, and how sure it is."""

    point: LatLon
    label: str
    approximate: bool = False


def parse_point(text: str) -> LatLon | None:
    """``"50.94, 6.96"`` → (50.94, 6.96); not written as a point → None; off Earth → error."""
    match = _POINT.match(text)
    if match is None:
        return None
    lat, lon = float(match.group(1)), float(match.group(2))
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise FieldappError(f"{text.strip()} is not on Earth (latitude ±90, longitude ±180)")
    return (lat, lon)


def saved_place(settings: MapSettings, which: str) -> RouteEnd:
    """The saved home or office, or a sentence saying how to save it."""
    address = settings.home if which == "home" else settings.office
    point = settings.home_point if which == "home" else settings.office_point
    if not point:
        raise FieldappError(
            f"no {which} address is saved yet: set it under Home and office… in the route planner"
        )
    return RouteEnd((float(point[0]), float(point[1])), address or which)


def locate_address(text: str, geocoder: Geocoder | None) -> RouteEnd:
    """An address → a point: geocoder (cache, then online), else the offline gazetteer."""
    if geocoder is not None:
        try:
            found = geocoder.lookup(text)
        except Offline:
            found = None
        if found is not None:
            return RouteEnd((found.lat, found.lon), found.label or text)
    gazetteer = Gazetteer()
    # "Hauptstr. 1, 53111 Bonn, Germany": the town is usually one of the last parts.
    parts = [p.strip() for p in text.split(",") if p.strip()]
    country = parts[-1] if len(parts) > 1 else None
    for part in reversed(parts):
        words = [w for w in part.split() if not any(ch.isdigit() for ch in w)]
        for candidate in (" ".join(words), *reversed(words)):
            hit = gazetteer.lookup(candidate, country) or gazetteer.lookup(candidate)
            if hit is not None:
                return RouteEnd((hit.lat, hit.lon), f"{text} (near {hit.label})", True)
    raise FieldappError(f"cannot find {text!r}: check the address, or type LAT, LON")


def resolve(
    text: str,
    settings: MapSettings,
    *,
    geocoder: Geocoder | None = None,
    here: Callable[[], LatLon | None] | None = None,
) -> RouteEnd | None:
    """What the rep typed as a start or end → a :class:`RouteEnd`; empty → None."""
    text = text.strip()
    if not text:
        return None
    word = text.casefold()
    if word in HOME_WORDS:
        return saved_place(settings, "home")
    if word in OFFICE_WORDS:
        return saved_place(settings, "office")
    if word in HERE_WORDS:
        point = here() if here is not None else None
        if point is None:
            raise FieldappError(
                "“here” is where you last checked in today, and there is no check-in yet;"
                " type an address instead"
            )
        return RouteEnd(point, "current position")
    return point_or_address(text, geocoder)


def point_or_address(text: str, geocoder: Geocoder | None) -> RouteEnd:
    """``LAT, LON`` as written, else the address looked up (see :func:`locate_address`)."""
    point = parse_point(text)
    if point is not None:
        return RouteEnd(point, text)
    return locate_address(text, geocoder)
