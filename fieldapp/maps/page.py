"""The map page's data: the accounts as compact rows, the legend, territories, route.

Accounts are *not* folium objects (20,000 ``folium.Marker`` would take seconds to
build and megabytes of script): the page carries a compact array ``[id, lat, lon,
name, category, approximate]`` per account and ``static/fieldapp-map.js`` makes the
markers. :func:`map_data` makes all of it in one go (an exported page);
:mod:`fieldapp.maps.feed` streams the same rows in batches (the Map panel). The HTML
around it is :mod:`fieldapp.maps.page_html`'s.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp.errors import NotFoundError
from fieldapp.maps.geo import LatLon, bbox
from fieldapp.maps.legend import Legend, raw_value
from fieldapp.maps.planner import AccountPoint, account_points
from fieldapp.maps.routing import DayPlan, hhmm
from fieldapp.maps.settings import COLOR_FIELDS, OSM_ATTRIBUTION, OSM_TILES
from fieldapp.store.models import Territory, User


@dataclass(frozen=True)
class TileConfig:
    url: str = OSM_TILES
    attribution: str = OSM_ATTRIBUTION
    max_zoom: int = 19


@dataclass(frozen=True)
class TerritoryShape:
    name: str
    geometry: dict[str, Any]


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
    values = (raw_value(p, color_by) for p in located)
    names = reps if color_by == "rep" else territory_names
    legend = Legend.make(color_by, now or datetime.now(UTC), values, names)
    data = page_data(
        legend,
        bbox((p.lat or 0.0, p.lon or 0.0) for p in located),
        territories=territories,
        plan=plan,
        draggable=draggable,
        view=view,
    )
    data["markers"] = [marker_row(p, legend.index(p)) for p in located]
    return data


def marker_row(p: AccountPoint, category: int) -> list[Any]:
    """One account as the page script takes it: ``[id, lat, lon, name, category, approx]``."""
    return [
        p.id,
        round(p.lat or 0.0, 6),
        round(p.lon or 0.0, 6),
        p.name,
        category,
        1 if p.precision == "approximate" else 0,
    ]


def page_data(
    legend: Legend,
    accounts_box: tuple[float, float, float, float] | None,
    *,
    territories: Sequence[TerritoryShape] = (),
    plan: DayPlan | None = None,
    draggable: bool = False,
    view: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The page data but the markers: legend, territories, route and where to open."""
    # Coloured by territory, each territory's outline wears its accounts' colour.
    by_territory = legend.color_by == "territory"
    outline = {c["label"]: c["color"] for c in legend.categories} if by_territory else {}
    route: dict[str, Any] | None = None
    box_points: list[tuple[float, float]] = []
    if accounts_box is not None:
        box_points += [accounts_box[:2], accounts_box[2:]]
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
    return {
        "categories": legend.categories,
        "colorBy": legend.color_by,
        # The legend runs from best to worst (a cluster shows its worst member's colour).
        "ranked": legend.color_by == "last_visit",
        "colorByLabel": COLOR_FIELDS[legend.color_by],
        "territories": [
            {"name": t.name, "geometry": t.geometry}
            | ({"color": outline[t.name]} if t.name in outline else {})
            for t in territories
        ],
        "route": route,
        "bounds": _corners(bbox(box_points)),
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
