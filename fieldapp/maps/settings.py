"""Map, geocoding and routing settings: declared once with defaults, kept in the data dir.

Stored as ``maps.json`` beside the replica (never in it: they are the device's, not
synced). Unknown keys in the file are ignored and missing ones take the default, so
older and newer releases can share a data dir.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from fieldapp import __version__
from fieldapp.store.private import private_file

# What the map can colour accounts by (key -> legend title). Kept here, away from the
# page builder and its folium import, so the app can offer the choice cheaply.
COLOR_FIELDS = {
    "last_visit": "Days since last visit",
    "status": "Status",
    "type": "Type",
    "precision": "Location precision",
    "rep": "Rep",
    "territory": "Territory",
}

log = logging.getLogger(__name__)

SETTINGS_FILE = "maps.json"
TILE_CACHE_FILE = "tiles.mbtiles"
GEOCODE_CACHE_FILE = "geocode-cache.sqlite3"

OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)
USER_AGENT = f"fieldapp/{__version__} (offline field CRM; +https://example.invalid/fieldapp)"


@dataclass
class MapSettings:
    tile_url: str = OSM_TILES
    tile_attribution: str = OSM_ATTRIBUTION
    tile_max_zoom: int = 19
    # Tiles are fetched on demand only when this is on; off, only the cache is used.
    tiles_online: bool = True
    user_agent: str = USER_AGENT
    nominatim_url: str = "https://nominatim.openstreetmap.org"
    geocode_min_delay_s: float = 1.0
    geocode_country: str | None = None
    osrm_url: str | None = None
    speed_kmh: float = 50.0
    road_factor: float = 1.3
    day_start: str = "08:00"
    day_end: str = "17:00"
    timezone: str | None = None
    # A check-in whose fix lies more than this beyond its accuracy from the account's
    # pin is flagged "far from the account" (fieldapp.domain.visits).
    checkin_far_m: float = 300.0
    # Where the rep's days usually start and end (fieldapp.maps.route_ends): the address
    # as typed and the point it was found at, so planning needs no geocoder later.
    home: str | None = None
    home_point: list[float] | None = None
    office: str | None = None
    office_point: list[float] | None = None

    @classmethod
    def load(cls, data_dir: Path) -> MapSettings:
        path = Path(data_dir) / SETTINGS_FILE
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError):
            log.warning("ignoring unreadable %s", path, exc_info=True)
            return cls()
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {k: v for k, v in raw.items() if k in known}
        return cls(**values)

    def save(self, data_dir: Path) -> None:
        path = Path(data_dir) / SETTINGS_FILE
        tmp = path.with_suffix(".tmp")
        private_file(tmp)
        tmp.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
        tmp.replace(path)
