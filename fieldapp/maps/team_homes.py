"""Where a rep's day starts: their home (a per-user setting) or their territory's centre.

Homes are kept on this device, in ``homes.json`` beside the replica (as the map's
other settings; never synced: a manager's notes on where their reps live are theirs).
A home is typed as an address (looked up through the geocoder, with its cache) or as
``LAT, LON``. A rep without one starts at the centre of the territory most of their
accounts are in.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp.maps import route_ends
from fieldapp.maps.geo import LatLon, geojson_rings
from fieldapp.maps.geocode import open_geocoder
from fieldapp.maps.planner import account_points
from fieldapp.store.models import Account, Territory
from fieldapp.store.private import private_file
from fieldapp.store.territory_reps import account_rep

log = logging.getLogger(__name__)

HOMES_FILE = "homes.json"


@dataclass(frozen=True)
class Home:
    """Where a rep's day starts, and what it was taken from (for the planner's label)."""

    point: LatLon
    source: str  # "home" (the rep's setting) | "territory" (its centre)
    text: str  # the address or "LAT, LON" as the manager typed it, or the territory's name


# --- homes: a per-user setting on this device -----------------------------------------


def load_homes(data_dir: Path) -> dict[str, Home]:
    """Every rep's home this device knows ({user id: Home}); a damaged file is ignored."""
    path = Path(data_dir) / HOMES_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        log.warning("ignoring unreadable %s", path, exc_info=True)
        return {}
    homes = {}
    for user_id, entry in raw.items() if isinstance(raw, dict) else ():
        try:
            point = (float(entry["lat"]), float(entry["lon"]))
            homes[str(user_id)] = Home(point, "home", str(entry.get("text") or ""))
        except (KeyError, TypeError, ValueError):
            continue
    return homes


def save_home(data_dir: Path, user_id: str, home: Home | None) -> None:
    """Set (or, with None, forget) a rep's home; written beside and renamed."""
    homes = load_homes(data_dir)
    if home is None:
        homes.pop(user_id, None)
    else:
        homes[user_id] = home
    raw = {uid: {"lat": h.point[0], "lon": h.point[1], "text": h.text} for uid, h in homes.items()}
    path = Path(data_dir) / HOMES_FILE
    tmp = path.with_suffix(".tmp")
    private_file(tmp)
    tmp.write_text(json.dumps(raw, indent=2), encoding="utf-8")
    tmp.replace(path)


# --- the day's start and stops ----------------------------------------------------------


def _centre(points: list[LatLon]) -> LatLon | None:
    if not points:
        return None
    return (
        (min(p[0] for p in points) + max(p[0] for p in points)) / 2,
        (min(p[1] for p in points) + max(p[1] for p in points)) / 2,
    )


def territory_centre(session: Session, rep_id: str) -> Home | None:
    """The centre of the territory most of the rep's accounts are in.

    The middle of its polygon's bounds; a territory by postcode list (no polygon) is
    centred on its accounts instead.
    """
    rows = session.execute(
        select(Account.territory_id).where(
            account_rep(session) == rep_id,
            Account.deleted_at.is_(None),
            Account.territory_id.is_not(None),
        )
    )
    counts = Counter(tid for (tid,) in rows)
    if not counts:
        return None
    territory_id = counts.most_common(1)[0][0]
    territory = session.get(Territory, territory_id)
    name = territory.name if territory is not None else "the territory"
    corners: list[LatLon] = []
    if territory is not None and territory.polygon:
        try:
            geometry = json.loads(territory.polygon)
        except ValueError:
            geometry = None
        if isinstance(geometry, dict):
            corners = [p for ring in geojson_rings(geometry) for p in ring]
    if not corners:
        located = account_points(session, territory_id=territory_id, located_only=True)
        corners = [(p.lat, p.lon) for p in located if p.lat is not None and p.lon is not None]
    centre = _centre(corners)
    return None if centre is None else Home(centre, "territory", name)


def rep_start(session: Session, data_dir: Path, rep_id: str) -> Home | None:
    """The rep's home if this device knows it, else their territory's centre."""
    return load_homes(data_dir).get(rep_id) or territory_centre(session, rep_id)


def set_home(data_dir: Path, user_id: str, text: str) -> Home | None:
    """Keep ``text`` as the rep's home: ``LAT, LON`` as it is, an address looked up.

    An address is looked up as the route planner's start and end are
    (:func:`route_ends.point_or_address`: the geocoder's cache, online, else the town's
    centre from the offline gazetteer, marked "near …"). Empty forgets the home (the
    day then starts at the territory's centre). Returns the home kept, or None.
    """
    text = " ".join(text.split())
    if not text:
        save_home(data_dir, user_id, None)
        return None
    geocoder = None if route_ends.parse_point(text) else open_geocoder(data_dir)
    try:
        found = route_ends.point_or_address(text, geocoder)
    finally:
        if geocoder is not None:
            geocoder.cache.close()
    home = Home(found.point, "home", found.label)
    save_home(data_dir, user_id, home)
    return home
