"""The Map panel's page without its data (the "shell"), built once and kept on disk.

Every page the panel loads is the same folium frame (assets, map, tile layer) around
one line naming where its data streams from (see :mod:`fieldapp.maps.feed`). folium
takes a second to import and the frame some more to render, so the frame is made
once with a placeholder for that line and stored in the data dir; a restart loads it
without importing folium. It holds no account data. The file says which assets,
tiles and app script it was made with, and is rebuilt when any of them changes.
"""

from __future__ import annotations

import hashlib
import json
from importlib import metadata
from pathlib import Path

from fieldapp.maps import assets
from fieldapp.maps.page import TileConfig
from fieldapp.store import private

FILENAME = "map-page.html"
FEED_TOKEN = "__FIELDAPP_FEED_9c1e__"


def _key(tiles: TileConfig, asset_base: str, extra_head: str) -> str:
    parts = [
        assets.versions(),
        metadata.version("folium"),
        [tiles.url, tiles.attribution, tiles.max_zoom, asset_base, extra_head],
        # Our own script and style change between releases without a version.
        [hashlib.sha256(assets.text(n).encode()).hexdigest() for n in assets.STATIC_NAMES],
    ]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def stored(data_dir: Path, tiles: TileConfig, asset_base: str, extra_head: str) -> str | None:
    """The shell from the data dir when it was made for these assets and tiles."""
    try:
        head, _, html = (data_dir / FILENAME).read_text(encoding="utf-8").partition("\n")
    except (OSError, UnicodeDecodeError):
        return None
    return html if head == f"<!-- {_key(tiles, asset_base, extra_head)} -->" else None


def build(data_dir: Path, tiles: TileConfig, asset_base: str, extra_head: str) -> str:
    """Make the shell with folium (slow: run it off the GUI thread) and store it."""
    from fieldapp.maps.page_html import build_html  # folium

    html = build_html(
        {"feed": FEED_TOKEN}, tiles=tiles, asset_base=asset_base, extra_head=extra_head
    )
    path = data_dir / FILENAME
    partial = path.with_name(path.name + ".partial")
    private.private_file(partial)
    partial.write_text(f"<!-- {_key(tiles, asset_base, extra_head)} -->\n{html}", encoding="utf-8")
    partial.replace(path)
    return html


def page(shell: str, feed_url: str) -> bytes:
    """One page: the shell naming the feed its markers stream from."""
    return shell.replace(FEED_TOKEN, feed_url, 1).encode("utf-8")
