"""The map page: folium builds the Leaflet frame, one JSON array carries the accounts.

folium makes the map, tile layer and page scaffolding; accounts are *not* folium
objects (20,000 ``folium.Marker`` would take seconds to build and megabytes of
script). Instead the page carries a compact array ``[id, lat, lon, name, category,
approximate]`` per account and ``static/fieldapp-map.js`` makes the markers.

Assets come from :mod:`fieldapp.maps.assets` either inlined (a self-contained file
that opens offline in any browser) or as links under ``asset_base`` (the Qt panel's
own URL scheme). No CDN appears in either.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import folium
from branca.element import Element, Figure, MacroElement
from jinja2 import Template
from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp.errors import NotFoundError
from fieldapp.maps import assets
from fieldapp.maps.geo import LatLon, bbox
from fieldapp.maps.planner import AccountPoint, account_points
from fieldapp.maps.routing import DayPlan, hhmm
from fieldapp.maps.settings import COLOR_FIELDS, OSM_ATTRIBUTION, OSM_TILES
from fieldapp.store.models import Territory, User

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2"]
VISIT_BUCKETS = [
    (30, "≤ 30 days", "#2ca02c"),
    (90, "31–90 days", "#bcbd22"),
    (180, "91–180 days", "#ff7f0e"),
    (None, "> 180 days", "#d62728"),
]
NEVER = ("never visited", "#7f7f7f")
FIXED_COLORS = {
    "active": "#2ca02c",
    "inactive": "#7f7f7f",
    "customer": "#1f77b4",
    "prospect": "#ff7f0e",
    "partner": "#9467bd",
    "house": "#2ca02c",
    "street": "#bcbd22",
    "postcode": "#ff7f0e",
    "town": "#d62728",
    "approximate": "#d62728",
    "manual": "#1f77b4",
}
# A transparent pixel: what a missing tile shows (over the plain background colour).
BLANK_TILE = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"


@dataclass(frozen=True)
class TileConfig:
    url: str = OSM_TILES
    attribution: str = OSM_ATTRIBUTION
    max_zoom: int = 19


@dataclass(frozen=True)
class TerritoryShape:
    name: str
    geometry: dict[str, Any]


def _categorise(
    points: Sequence[AccountPoint],
    color_by: str,
    now: datetime,
    reps: dict[str, str] | None = None,
    territories: dict[str, str] | None = None,
) -> tuple[list[dict[str, str]], list[int]]:
    if color_by not in COLOR_FIELDS:
        raise ValueError(f"cannot colour by {color_by!r}; choose one of {', '.join(COLOR_FIELDS)}")
    if color_by == "last_visit":
        cats = [{"label": label, "color": color} for _, label, color in VISIT_BUCKETS]
        cats.append({"label": NEVER[0], "color": NEVER[1]})
        out = []
        for p in points:
            if p.last_visit is None:
                out.append(len(VISIT_BUCKETS))
                continue
            days = (now - p.last_visit).days
            out.append(
                next(
                    i
                    for i, (limit, _, _) in enumerate(VISIT_BUCKETS)
                    if limit is None or days <= limit
                )
            )
        return cats, out
    if color_by == "rep":
        # The account's owner, by name; an owner this replica does not know by id.
        names = reps or {}
        values = [
            (names.get(p.owner_id) or f"user {p.owner_id[:8]}") if p.owner_id else "no rep"
            for p in points
        ]
    elif color_by == "territory":
        known = territories or {}
        values = [known.get(p.territory_id or "", "no territory") for p in points]
    else:
        values = [getattr(p, color_by) or "unknown" for p in points]
    labels = sorted(set(values))
    cats = [
        {"label": v, "color": FIXED_COLORS.get(v, PALETTE[i % len(PALETTE)])}
        for i, v in enumerate(labels)
    ]
    where = {v: i for i, v in enumerate(labels)}
    return cats, [where[v] for v in values]


def map_data(
    points: Sequence[AccountPoint],
    *,
    color_by: str = "last_visit",
    territories: Sequence[TerritoryShape] = (),
    plan: DayPlan | None = None,
    now: datetime | None = None,
    draggable: bool = False,
    view: dict[str, Any] | None = None,
    reps: dict[str, str] | None = None,
    territory_names: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Everything the page script needs, as plain JSON-able values.

    ``reps`` names the owners ({user id: name}) when colouring by rep;
    ``territory_names`` the territories ({id: name}) when colouring by territory (each
    territory's outline then wears its accounts' colour).

    ``view`` says where the page opens (see ``showInitialView`` in the page script):
    ``{"fit": bounds}`` or ``{"center": [lat, lon], "zoom": z}``; without either, on
    every account and the route. Its ``generation`` comes back with each move the
    page reports, so late reports from a replaced page can be told apart.
    """
    located = [p for p in points if p.lat is not None and p.lon is not None]
    cats, idx = _categorise(located, color_by, now or datetime.now(UTC), reps, territory_names)
    outline = {c["label"]: c["color"] for c in cats} if color_by == "territory" else {}
    markers = [
        [
            p.id,
            round(p.lat or 0.0, 6),
            round(p.lon or 0.0, 6),
            p.name,
            c,
            1 if p.precision == "approximate" else 0,
        ]
        for p, c in zip(located, idx, strict=True)
    ]
    route: dict[str, Any] | None = None
    box_points: list[tuple[float, float]] = [(p.lat or 0.0, p.lon or 0.0) for p in located]
    if plan is not None:
        line = _route_line(plan)
        route = {
            "points": [list(p) for p in line],
            "stops": [
                {
                    "position": s.position,
                    "lat": s.lat,
                    "lon": s.lon,
                    "name": s.name,
                    "time": f"{hhmm(s.start)}–{hhmm(s.departure)}",
                }
                for s in plan.stops
            ],
        }
        box_points += [(float(p[0]), float(p[1])) for p in line]
    box = bbox(box_points)
    return {
        "markers": markers,
        "categories": cats,
        "colorBy": color_by,
        # The legend runs from best to worst (a cluster shows its worst member's colour).
        "ranked": color_by == "last_visit",
        "colorByLabel": COLOR_FIELDS[color_by],
        "territories": [
            {"name": t.name, "geometry": t.geometry}
            | ({"color": outline[t.name]} if t.name in outline else {})
            for t in territories
        ],
        "route": route,
        "bounds": _corners(box),
        "draggable": draggable,
        "view": view or {},
    }


def route_bounds(plan: DayPlan) -> list[list[float]] | None:
    """``[[south, west], [north, east]]`` around the plan's start, stops and end."""
    if not plan.stops:
        return None
    return _corners(bbox(_route_line(plan)))


def _route_line(plan: DayPlan) -> list[LatLon]:
    """The points the route's line joins: start, every stop, end."""
    req = plan.request
    return [req.start, *((s.lat, s.lon) for s in plan.stops), req.end_point]


def _corners(box: tuple[float, float, float, float] | None) -> list[list[float]] | None:
    """A bounding box as Leaflet takes it: ``[[south, west], [north, east]]``."""
    return [[box[0], box[1]], [box[2], box[3]]] if box else None


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
    tiles: TileConfig | None = TileConfig(),
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


def territory_shapes(session: Session, territory_id: str | None = None) -> list[TerritoryShape]:
    """Territories that have a polygon, as GeoJSON (bad geometry is skipped)."""
    q = select(Territory.id, Territory.name, Territory.polygon).where(
        Territory.deleted_at.is_(None), Territory.polygon.is_not(None)
    )
    if territory_id is not None:
        q = q.where(Territory.id == territory_id)
    shapes = []
    for _id, name, polygon in session.execute(q.order_by(Territory.name)):
        try:
            geometry = json.loads(polygon or "null")
        except ValueError:
            continue
        if isinstance(geometry, dict) and geometry.get("type") in (
            "Polygon",
            "MultiPolygon",
            "Feature",
        ):
            shapes.append(TerritoryShape(name, geometry))
    return shapes


def find_territory(session: Session, name: str) -> str:
    """A territory's id by its name (case-insensitive)."""
    rows = session.execute(
        select(Territory.id, Territory.name).where(Territory.deleted_at.is_(None))
    ).all()
    hits = [r[0] for r in rows if r[1].casefold() == name.strip().casefold()]
    if not hits:
        known = ", ".join(sorted(r[1] for r in rows)) or "none defined"
        raise NotFoundError(f"no territory named {name!r} (territories: {known})")
    return str(hits[0])


def territory_names(session: Session) -> dict[str, str]:
    """{territory id: name} of the replica's live territories."""
    rows = session.execute(
        select(Territory.id, Territory.name).where(Territory.deleted_at.is_(None))
    )
    return {tid: name for tid, name in rows}


def rep_names(session: Session) -> dict[str, str]:
    """{user id: display name, else user name} of the replica's users."""
    rows = session.execute(
        select(User.id, User.username, User.display_name).where(User.deleted_at.is_(None))
    )
    return {uid: display or name for uid, name, display in rows}


def replica_map_data(
    session: Session,
    *,
    territory: str | None = None,
    color_by: str = "last_visit",
    plan: DayPlan | None = None,
    draggable: bool = False,
    view: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The page data for the replica's accounts (of one territory, when named)."""
    territory_id = find_territory(session, territory) if territory else None
    points = account_points(session, territory_id=territory_id, located_only=True, ordered=False)
    shapes = territory_shapes(session, territory_id)
    return map_data(
        points,
        color_by=color_by,
        territories=shapes,
        plan=plan,
        draggable=draggable,
        view=view,
        reps=rep_names(session) if color_by == "rep" else None,
        territory_names=territory_names(session) if color_by == "territory" else None,
    )
