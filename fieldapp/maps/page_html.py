"""The map page's HTML: folium builds the Leaflet frame, the page data goes in as JSON.

folium makes the map, tile layer and page scaffolding (and costs a second to import,
so only this module imports it). Assets come from :mod:`fieldapp.maps.assets` either
inlined (a self-contained file that opens offline in any browser) or as links under
``asset_base`` (the Qt panel's own URL scheme). No CDN appears in either.
"""

from __future__ import annotations

import json
from typing import Any

import folium
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from fieldapp.maps import assets
from fieldapp.maps.page import TileConfig

DEFAULT_TILES = TileConfig()
# A transparent pixel: what a missing tile shows (over the plain background colour).
BLANK_TILE = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"


class _AccountLayer(MacroElement):
    """Hands the JSON to the page script once the map exists."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        window.fieldappMap.init({{ this._parent.get_name() }}, {{ this.payload }});
        {% endmacro %}
        """
    )

    def __init__(self, payload: str) -> None:
        super().__init__()
        self._name = "FieldappAccounts"
        self.payload = payload


def _safe_json(data: Any) -> str:
    # Inside <script>: "</" must not close the element.
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


def build_html(
    data: dict[str, Any],
    *,
    tiles: TileConfig | None = DEFAULT_TILES,
    asset_base: str | None = None,
    extra_head: str = "",
    title: str = "fieldapp map",
) -> str:
    """The complete page. ``asset_base=None`` inlines every asset (self-contained)."""
    m = folium.Map(
        location=[51.0, 10.0],
        zoom_start=6,
        tiles=None,
        control_scale=True,
        prefer_canvas=False,
    )
    m.default_js = []
    m.default_css = []
    root = m.get_root()
    assert isinstance(root, Figure)
    head = root.header
    head.add_child(Element(f"<title>{title}</title>"), name="title")
    if asset_base is None:
        for name in assets.CSS:
            head.add_child(Element(f"<style>{assets.text(name)}</style>"), name=name)
        for name in assets.JS:
            head.add_child(Element(f"<script>{assets.text(name)}</script>"), name=name)
    else:
        base = asset_base.rstrip("/") + "/"
        for name in assets.CSS:
            head.add_child(Element(f'<link rel="stylesheet" href="{base}{name}"/>'), name=name)
        for name in assets.JS:
            head.add_child(Element(f'<script src="{base}{name}"></script>'), name=name)
    if extra_head:
        head.add_child(Element(extra_head), name="extra")
    if tiles is not None:
        folium.TileLayer(
            tiles=tiles.url,
            attr=tiles.attribution,
            max_zoom=tiles.max_zoom,
            name="map",
            error_tile_url=BLANK_TILE,
        ).add_to(m)
    # The payload goes in after rendering: through Jinja, 20k accounts cost ~0.1 s more.
    token = "__FIELDAPP_PAYLOAD_7f3a__"
    _AccountLayer(token).add_to(m)
    html: str = root.render()
    return html.replace(token, _safe_json(data), 1)
