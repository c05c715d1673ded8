"""Leaflet, Leaflet.markercluster and our map scripts, from installed packages only.

The XStatic packages ship the JavaScript and CSS; nothing is ever taken from a CDN.
"""

from __future__ import annotations

from pathlib import Path

import xstatic.pkg.leaflet as xs_leaflet
import xstatic.pkg.leaflet_markercluster as xs_cluster

STATIC = Path(__file__).parent / "static"
LEAFLET_DIR = Path(xs_leaflet.BASE_DIR)
CLUSTER_DIR = Path(xs_cluster.BASE_DIR)

# name → file, in the order a page needs them.
CSS = {
    "leaflet.css": LEAFLET_DIR / "leaflet.css",
    "MarkerCluster.css": CLUSTER_DIR / "MarkerCluster.css",
    "MarkerCluster.Default.css": CLUSTER_DIR / "MarkerCluster.Default.css",
    "fieldapp-map.css": STATIC / "fieldapp-map.css",
}
JS = {
    "leaflet.js": LEAFLET_DIR / "leaflet.js",
    "leaflet.markercluster.js": CLUSTER_DIR / "leaflet.markercluster.js",
    "fieldapp-map.js": STATIC / "fieldapp-map.js",
    "fieldapp-draw.js": STATIC / "fieldapp-draw.js",
}
# Ours: they change between releases without a version number.
STATIC_NAMES = ("fieldapp-map.css", "fieldapp-map.js")


def asset_path(name: str) -> Path | None:
    """The file behind an asset name (``images/…`` for Leaflet's images); None if unknown."""
    if name in CSS:
        return CSS[name]
    if name in JS:
        return JS[name]
    if name.startswith("images/") and "/" not in name[7:] and ".." not in name:
        path = LEAFLET_DIR / name
        return path if path.is_file() else None
    return None


# The kinds of file the assets are. Not the mimetypes module: its first use reads the
# system's type tables (~15 ms), on the GUI thread that answers the map page.
MIME_TYPES = {
    ".js": "application/javascript",
    ".css": "text/css",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}


def read_asset(name: str) -> tuple[bytes, str] | None:
    """(content, MIME type) of an asset, or None."""
    path = asset_path(name)
    if path is None:
        return None
    return path.read_bytes(), MIME_TYPES.get(path.suffix, "application/octet-stream")


_cache: dict[str, str] = {}


def text(name: str) -> str:
    """An asset's text, cached (they are read for every exported page)."""
    if name not in _cache:
        path = asset_path(name)
        assert path is not None, name
        _cache[name] = path.read_text(encoding="utf-8")
    return _cache[name]


def versions() -> dict[str, str]:
    return {"leaflet": xs_leaflet.VERSION, "markercluster": xs_cluster.VERSION}
