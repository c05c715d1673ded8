from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from fieldapp.cli.main import main
from fieldapp.maps import assets
from fieldapp.maps.page import TileConfig, map_data, replica_map_data
from fieldapp.maps.page_html import build_html
from fieldapp.maps.planner import AccountPoint
from fieldapp.maps.routing import RouteRequest, StopRequest, optimise
from fieldapp.store import services
from fieldapp.store.db import Replica

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


def _point(i: int, **kw: object) -> AccountPoint:
    values: dict[str, object] = {
        "id": f"a{i}",
        "name": f"Account {i}",
        "lat": 50 + i * 1e-3,
        "lon": 7.0,
        "type": "customer",
        "status": "active",
        "precision": "house",
        "territory_id": None,
        "last_visit": None,
    }
    values.update(kw)
    return AccountPoint(**values)  # type: ignore[arg-type]


def _payload(html: str) -> dict[str, object]:
    m = re.search(r"window\.fieldappMap\.init\([^,]+, (\{.*\})\);", html)
    assert m, "the page hands the accounts to the map script"
    return json.loads(m.group(1))  # type: ignore[no-any-return]


def test_colour_by_days_since_last_visit() -> None:
    points = [
        _point(0, last_visit=NOW - timedelta(days=3)),
        _point(1, last_visit=NOW - timedelta(days=60)),
        _point(2, last_visit=NOW - timedelta(days=400)),
        _point(3),
        _point(4, lat=None, lon=None),  # not plotted
        _point(5, precision="approximate"),
    ]
    data = map_data(points, color_by="last_visit", now=NOW)
    labels = [c["label"] for c in data["categories"]]
    cats = {m[0]: labels[m[4]] for m in data["markers"]}
    assert cats == {
        "a0": "≤ 30 days",
        "a1": "31–90 days",
        "a2": "> 180 days",
        "a3": "never visited",
        "a5": "never visited",
    }
    approx = {m[0]: m[5] for m in data["markers"]}
    assert approx["a5"] == 1 and approx["a0"] == 0
    by_type = map_data([_point(0), _point(1, type="prospect")], color_by="type")
    assert [c["label"] for c in by_type["categories"]] == ["customer", "prospect"]
    with pytest.raises(ValueError):
        map_data(points, color_by="shoe_size")


def test_colour_by_rep_names_each_owner_with_a_colour_of_its_own() -> None:
    points = [
        _point(0, owner_id="u-ana"),
        _point(1, owner_id="u-ben"),
        _point(2, owner_id="u-ana"),
        _point(3, owner_id="u-gone-0000"),  # an owner this replica does not know
        _point(4),  # nobody's
    ]
    data = map_data(points, color_by="rep", reps={"u-ana": "Ana Silva", "u-ben": "Ben Braun"})
    labels = [c["label"] for c in data["categories"]]
    assert labels == ["Ana Silva", "Ben Braun", "no rep", "user u-gone-0"]
    assert len({c["color"] for c in data["categories"]}) == 4
    cats = {m[0]: labels[m[4]] for m in data["markers"]}
    assert cats == {
        "a0": "Ana Silva",
        "a1": "Ben Braun",
        "a2": "Ana Silva",
        "a3": "user u-gone-0",
        "a4": "no rep",
    }
    assert data["colorByLabel"] == "Rep"


def test_page_uses_only_local_or_inlined_assets() -> None:
    data = map_data([_point(i) for i in range(10)])
    linked = build_html(
        data,
        asset_base="fieldapp://app/assets",
        tiles=TileConfig("fieldapp://app/tiles/{z}/{x}/{y}.png", "© OSM", 19),
    )
    srcs = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', linked)
    assert srcs and all(s.startswith("fieldapp://app/assets/") for s in srcs)
    assert {"leaflet.js", "leaflet.markercluster.js", "fieldapp-map.js"} <= {
        s.rsplit("/", 1)[1] for s in srcs
    }
    inline = build_html(data, tiles=None)
    assert not re.findall(r"<(?:script|link)[^>]+(?:src|href)=", inline)
    assert assets.text("leaflet.js")[:200] in inline
    assert "L.markerClusterGroup" in inline  # our script, inlined
    assert "cdn" not in inline.lower().replace("cdnjs", "")  # no CDN anywhere
    for name in ("leaflet.js", "leaflet.css", "images/marker-icon.png"):
        found = assets.read_asset(name)
        assert found is not None and found[0]
    assert assets.read_asset("../../etc/passwd") is None


def test_route_and_territories_are_drawn() -> None:
    stops = (StopRequest("a", 50.95, 6.97, "A", 1800), StopRequest("b", 50.9, 7.0, "B", 1800))
    plan = optimise(RouteRequest(date(2026, 11, 24), (50.94, 6.96), stops))
    from fieldapp.maps.page import TerritoryShape

    poly = {
        "type": "Polygon",
        "coordinates": [[[6.9, 50.9], [7.1, 50.9], [7.1, 51.0], [6.9, 50.9]]],
    }
    data = map_data([_point(0)], plan=plan, territories=[TerritoryShape("Köln", poly)])
    html = build_html(data, tiles=None)
    payload = _payload(html)
    route = payload["route"]
    assert isinstance(route, dict)
    assert len(route["points"]) == 4 and [s["position"] for s in route["stops"]] == [1, 2]
    assert payload["territories"] == [{"name": "Köln", "geometry": poly}]


def test_twenty_thousand_accounts_build_without_per_marker_objects() -> None:
    points = [
        _point(i, lat=50 + (i % 200) * 1e-3, lon=7 + (i // 200) * 1e-3) for i in range(20_000)
    ]
    html = build_html(map_data(points), asset_base="fieldapp://app/assets")
    assert len(_payload(html)["markers"]) == 20_000  # type: ignore[arg-type]
    # Speed is measured by benchmarks/bench_routes.py, not asserted here.
    assert "folium.Marker" not in html and html.count("L.marker(") <= 2


def test_script_close_tag_in_names_cannot_break_the_page() -> None:
    html = build_html(map_data([_point(0, name="</script><b>x")]), tiles=None)
    assert "</script><b>x" not in html
    assert _payload(html)["markers"][0][3] == "</script><b>x"  # type: ignore[index]


def test_map_export_command_by_territory(
    replica: Replica, data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    poly = {
        "type": "Polygon",
        "coordinates": [[[6.9, 50.9], [7.1, 50.9], [7.1, 51.0], [6.9, 50.9]]],
    }
    with replica.session() as session:
        north = services.create(
            session, "territories", {"name": "Nord", "polygon": json.dumps(poly)}
        )
        services.create(session, "territories", {"name": "Süd"})
        inside = services.create(
            session,
            "accounts",
            {"name": "In", "latitude": 50.95, "longitude": 7.0, "territory_id": north},
        )
        services.create(session, "accounts", {"name": "Out", "latitude": 48.1, "longitude": 11.5})
        services.log_visit(
            session, inside, outcome="successful", checkin_at=datetime.now(UTC) - timedelta(days=10)
        )
    out = tmp_path / "map.html"
    code = main(["--data-dir", str(data_dir), "map", "export", str(out), "--territory", "nord"])
    assert code == 0, capsys.readouterr().err
    html = out.read_text(encoding="utf-8")
    payload = _payload(html)
    markers = payload["markers"]
    assert isinstance(markers, list) and [m[0] for m in markers] == [inside]
    assert payload["categories"][markers[0][4]]["label"] == "≤ 30 days"  # type: ignore[index]
    assert payload["territories"][0]["name"] == "Nord"  # type: ignore[index]
    assert "tile.openstreetmap.org" in html and "OpenStreetMap\\u003c/a\\u003e contributors" in html
    assert not re.findall(r"<(?:script|link)[^>]+(?:src|href)=", html)
    code = main(["--data-dir", str(data_dir), "map", "export", str(out), "--territory", "West"])
    assert code == 1 and "no territory named 'West'" in capsys.readouterr().err
    with replica.read_session() as session:
        assert len(replica_map_data(session)["markers"]) == 2
