"""The Map panel in a real QWebEngineView, offline: nothing may leave the app."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QUrl
from PySide6.QtWebEngineCore import (
    QWebEnginePage,
    QWebEngineProfile,
)
from pytestqt.qtbot import QtBot

from fieldapp.maps.matrix import StraightLine
from fieldapp.maps.page import map_data
from fieldapp.maps.page_html import build_html
from fieldapp.maps.planner import account_points
from fieldapp.maps.routing import RouteRequest, StopRequest, optimise
from fieldapp.maps.settings import MapSettings
from fieldapp.maps.tiles import MBTiles, count_tiles, tiles_in
from fieldapp.store import services
from fieldapp.store.db import Replica
from fieldapp.ui.map_panel import MapPanel
from tests.maps.servers import png, serve, tile_server
from tests.ui_map.pages import LOAD_MS, Recorder, js, wait_ready
from tests.ui_map.pages import accounts as _accounts

BOX = (50.90, 6.90, 50.96, 6.99)


def test_map_loads_offline_from_the_app_only(
    qtbot: QtBot, replica: Replica, data_dir: Path, panel_factory: Any
) -> None:
    ids = _accounts(replica, 120)
    # Tiles cached earlier (the "download this area" step): the map shows them.
    cache = MBTiles(data_dir / "tiles.mbtiles")
    for z, x, y in tiles_in(BOX, [12, 13, 14, 15]):
        cache.put(z, x, y, png((220, 230, 200)))
    cache.close()
    panel, recorder = panel_factory(MapSettings(tiles_online=False))
    wait_ready(qtbot, panel.web_page)
    state = js(
        qtbot,
        panel.web_page,
        "JSON.stringify({L: typeof L, version: L.version, cluster: typeof L.markerClusterGroup,"
        " n: fieldappState.markerCount,"
        " inMap: fieldappState.cluster.getLayers().length,"
        " shown: document.querySelectorAll('.fa-cluster, .fa-pin').length})",
    )
    got = json.loads(state)
    assert got["L"] == "object" and got["version"].startswith("1.9")
    assert got["cluster"] == "function"
    assert got["n"] == got["inMap"] == len(ids) == 120
    assert got["shown"] > 0  # clusters or pins are on screen

    def tiles_shown() -> bool:
        return (
            int(
                js(
                    qtbot,
                    panel.web_page,
                    "document.querySelectorAll('.leaflet-tile-loaded').length",
                )
            )
            > 0
        )

    qtbot.waitUntil(tiles_shown, timeout=LOAD_MS)
    assert any(kind == "cache" for path, kind in panel.handler.served if path.startswith("/tiles/"))
    # Every request stayed inside the app: page, assets, qwebchannel.js and tiles.
    assert recorder.urls and "fieldapp://app/assets/leaflet.js" in recorder.urls
    assert recorder.outside() == []
    # The recorder does see (and block) anything else the page would ask for.
    js(qtbot, panel.web_page, "fetch('https://example.com/probe.js').catch(function(){}); 1")
    qtbot.waitUntil(lambda: bool(recorder.outside()), timeout=LOAD_MS)
    assert recorder.outside() == ["https://example.com/probe.js"]


def test_marker_click_lasso_and_pin_drag_reach_qt(
    qtbot: QtBot, replica: Replica, panel_factory: Any
) -> None:
    ids = _accounts(replica, 40)
    panel, recorder = panel_factory(MapSettings(tiles_online=False), color_by="type")
    wait_ready(qtbot, panel.web_page)
    qtbot.waitUntil(
        lambda: bool(js(qtbot, panel.web_page, "!!window.fieldappBridge")), timeout=LOAD_MS
    )
    target = ids[7]
    click = (
        "(function(){var m=null; fieldappState.cluster.eachLayer(function(l){"
        f" if (l.fieldappId === {json.dumps(target)}) m = l; }});"
        " fieldappState.cluster.zoomToShowLayer(m, function(){"
        " m._icon.dispatchEvent(new MouseEvent('click', {bubbles: true})); }); return 1; })()"
    )
    # A click stays on the map: a popup offers Open, Add to route and Check in.
    js(qtbot, panel.web_page, click)
    qtbot.waitUntil(
        lambda: js(qtbot, panel.web_page, "document.querySelectorAll('.fa-act').length") == 3,
        timeout=LOAD_MS,
    )
    labels = json.loads(
        js(
            qtbot,
            panel.web_page,
            "JSON.stringify(Array.from(document.querySelectorAll('.fa-act'))"
            ".map(function(b){return b.textContent}))",
        )
    )
    assert labels == ["Open", "Add to route", "Check in"]

    def press(label: str) -> str:
        return (
            "(function(){var b=Array.from(document.querySelectorAll('.fa-act')).filter("
            f"function(b){{return b.textContent==={json.dumps(label)}}})[0];"
            " b.dispatchEvent(new MouseEvent('click', {bubbles: true})); return 1; })()"
        )

    with qtbot.waitSignal(panel.add_to_route, timeout=LOAD_MS) as blocker:
        js(qtbot, panel.web_page, press("Add to route"))
    assert blocker.args == [target]
    js(qtbot, panel.web_page, click)
    qtbot.waitUntil(
        lambda: js(qtbot, panel.web_page, "document.querySelectorAll('.fa-act').length") == 3,
        timeout=LOAD_MS,
    )
    with qtbot.waitSignal(panel.check_in_requested, timeout=LOAD_MS) as blocker:
        js(qtbot, panel.web_page, press("Check in"))
    assert blocker.args == [target]
    js(qtbot, panel.web_page, click)
    qtbot.waitUntil(
        lambda: js(qtbot, panel.web_page, "document.querySelectorAll('.fa-act').length") == 3,
        timeout=LOAD_MS,
    )
    with qtbot.waitSignal(panel.account_activated, timeout=LOAD_MS) as blocker:
        js(qtbot, panel.web_page, press("Open"))
    assert blocker.args == [target]

    # Lasso around the first column of accounts (longitude 6.93).
    ring = [[50.915, 6.929], [50.915, 6.931], [50.945, 6.931], [50.945, 6.929]]
    with qtbot.waitSignal(panel.selection_changed, timeout=LOAD_MS) as blocker:
        js(qtbot, panel.web_page, f"fieldappLasso({json.dumps(ring)}); 1")
    assert sorted(blocker.args[0]) == sorted(ids[:10])
    assert panel.selected == blocker.args[0]
    # The lassoed pins are highlighted on the page.
    qtbot.waitUntil(
        lambda: (
            sorted(
                json.loads(js(qtbot, panel.web_page, "JSON.stringify(fieldappState.highlighted)"))
            )
            == sorted(ids[:10])
        ),
        timeout=LOAD_MS,
    )

    with replica.read_session() as session:
        before = services.get(session, "accounts", ids[0])
    undo: list[tuple[str, dict[str, Any]]] = []
    panel.pin_moved.connect(lambda account_id, old: undo.append((account_id, old)))
    with qtbot.waitSignal(panel.location_corrected, timeout=LOAD_MS) as blocker:
        js(qtbot, panel.web_page, f"fieldappBridge.markerMoved({json.dumps(ids[0])}, 50.5, 7.5); 1")
    assert blocker.args == [ids[0], 50.5, 7.5]
    with replica.read_session() as session:
        moved = services.get(session, "accounts", ids[0])
    assert (moved["latitude"], moved["geocode_precision"]) == (50.5, "manual")
    # What the screen's Undo puts back: the position before the drag.
    assert undo == [
        (ids[0], {k: before[k] for k in ("latitude", "longitude", "geocode_precision")})
    ]
    assert recorder.outside() == []


def test_missing_tiles_are_fetched_off_the_gui_thread_and_cached(
    qtbot: QtBot, replica: Replica, data_dir: Path, panel_factory: Any
) -> None:
    _accounts(replica, 20)
    with serve(tile_server()) as server:
        settings = MapSettings(tile_url=server.url + "/{z}/{x}/{y}.png", user_agent="fa-test")
        panel, recorder = panel_factory(settings)
        wait_ready(qtbot, panel.web_page)
        qtbot.waitUntil(
            lambda: any(kind == "net" for _, kind in panel.handler.served), timeout=LOAD_MS
        )
        assert server.seen and server.seen[0].headers["User-Agent"] == "fa-test"
    assert panel.tiles.cache.stats()[0] >= 1
    # The page asked only the app; the app asked the tile server.
    assert recorder.outside() == []


def test_exported_page_works_with_every_request_blocked(qtbot: QtBot, replica: Replica) -> None:
    _accounts(replica, 60)
    with replica.read_session() as session:
        data = map_data(account_points(session, located_only=True))
    html = build_html(data, tiles=None)
    recorder = Recorder()
    profile = QWebEngineProfile()
    profile.setUrlRequestInterceptor(recorder)
    page = QWebEnginePage(profile)
    with qtbot.waitSignal(page.loadFinished, timeout=LOAD_MS):
        page.setHtml(html, QUrl("about:blank"))
    wait_ready(qtbot, page)
    assert js(qtbot, page, "fieldappState.markerCount") == 60
    assert recorder.outside() == []
    shiboken6.delete(page)
    shiboken6.delete(profile)


def test_download_visible_area_for_offline_use(
    qtbot: QtBot, replica: Replica, panel_factory: Any
) -> None:
    _accounts(replica, 20)
    with serve(tile_server()) as server:
        settings = MapSettings(tile_url=server.url + "/{z}/{x}/{y}.png")
        panel, recorder = panel_factory(settings)
        wait_ready(qtbot, panel.web_page)
        area: list[Any] = []
        panel.visible_area(lambda box, zoom: area.append((box, zoom)))
        qtbot.waitUntil(lambda: bool(area), timeout=LOAD_MS)
        box, zoom = area[0]
        assert box[0] < 50.92 < box[2] and box[1] < 6.93 < box[3]
        zooms = [zoom - 2, zoom - 1]
        est = panel.estimate_area(box, zooms)
        assert est.tiles == count_tiles(box, zooms) > 0
        progress: list[tuple[int, int]] = []
        panel.download_progress.connect(lambda d, t: progress.append((d, t)))
        with qtbot.waitSignal(panel.download_finished, timeout=LOAD_MS) as blocker:
            panel.download_area(box, zooms)
        report = blocker.args[0]
        assert report.fetched + report.cached == est.tiles and not report.cancelled
        assert progress and progress[-1] == (est.tiles, est.tiles)
        for z, x, y in tiles_in(box, zooms):
            assert panel.tiles.cache.get(z, x, y) is not None
        # Cancelled before it starts (the worker is held busy meanwhile): nothing is
        # fetched. (The server's log cannot tell: the visible map fetches its own
        # missing tiles of the same zoom in the background.)
        gate = threading.Event()
        panel._downloads.submit(gate.wait)
        with qtbot.waitSignal(panel.download_finished, timeout=LOAD_MS) as blocker:
            panel.download_area(box, [zoom])
            panel.cancel_download()
            gate.set()
        assert blocker.args[0].cancelled and blocker.args[0].fetched == 0
    assert recorder.outside() == []


def test_download_refused_when_tiles_are_offline(
    qtbot: QtBot, replica: Replica, panel_factory: Any
) -> None:
    panel, _ = panel_factory(MapSettings(tiles_online=False))
    with qtbot.waitSignal(panel.download_finished, timeout=LOAD_MS) as blocker:
        panel.download_area(BOX, [10])
    assert "offline" in blocker.args[0]


def _view(qtbot: QtBot, panel: MapPanel) -> tuple[float, float, float, float, int]:
    """The map's visible (south, west, north, east) and zoom, read from Leaflet."""
    s, w, n, e, z = json.loads(js(qtbot, panel.web_page, "JSON.stringify(fieldappView())"))
    return float(s), float(w), float(n), float(e), int(z)


def _shows(view: tuple[float, float, float, float, int], lat: float, lon: float) -> bool:
    s, w, n, e, _ = view
    return s <= lat <= n and w <= lon <= e


def test_a_new_route_is_brought_into_view_and_the_users_view_survives_reloads(
    qtbot: QtBot, replica: Replica, panel_factory: Any
) -> None:
    # Accounts in Cologne, Hamburg and Munich: the first view holds all of Germany.
    _accounts(replica, 30)
    with replica.session() as session:
        services.bulk_create(
            session,
            "accounts",
            [
                {"name": "Hamburg", "latitude": 53.55, "longitude": 9.99, "status": "active"},
                {"name": "München", "latitude": 48.14, "longitude": 11.58, "status": "active"},
            ],
        )
    panel, _ = panel_factory(MapSettings(tiles_online=False))
    wait_ready(qtbot, panel.web_page)
    whole = _view(qtbot, panel)
    assert _shows(whole, 53.55, 9.99) and _shows(whole, 48.14, 11.58)

    # A day in Cologne, a few kilometres across.
    stops = tuple(
        StopRequest(f"s{i}", 50.92 + (i % 3) * 0.01, 6.93 + (i // 3) * 0.01, f"Stop {i}", 900)
        for i in range(6)
    )
    plan = optimise(RouteRequest(date(2026, 11, 24), (50.935, 6.95), stops), StraightLine())
    assert len(plan.stops) == 6
    with qtbot.waitSignal(panel.map_ready, timeout=LOAD_MS):
        panel.show_plan(plan)
    shown = _view(qtbot, panel)
    for lat, lon in [plan.request.start, *((s.lat, s.lon) for s in plan.stops)]:
        assert _shows(shown, lat, lon)
    # Zoomed in to the route, not left on the whole country (Hamburg is out of view).
    assert shown[4] >= whole[4] + 4 and not _shows(shown, 53.55, 9.99)

    # The user looks at Berlin; a rebuilt page (a new colour) opens where they were.
    with qtbot.waitSignal(panel.bridge.view, timeout=LOAD_MS):
        js(qtbot, panel.web_page, "fieldappState.map.setView([52.52, 13.40], 11); 1")
    with qtbot.waitSignal(panel.map_ready, timeout=LOAD_MS):
        panel.set_color_by("type")
    kept = _view(qtbot, panel)
    assert _shows(kept, 52.52, 13.40) and kept[4] == 11
    # The same stops reordered by hand do not pull the view back either ...
    with qtbot.waitSignal(panel.map_ready, timeout=LOAD_MS):
        panel.show_plan(plan, new_route=False)
    kept = _view(qtbot, panel)
    assert _shows(kept, 52.52, 13.40) and kept[4] == 11
    # ... but a newly optimised route does.
    with qtbot.waitSignal(panel.map_ready, timeout=LOAD_MS):
        panel.show_plan(plan)
    assert _view(qtbot, panel) == shown


def test_a_cluster_wears_its_worst_members_colour(
    qtbot: QtBot, replica: Replica, panel_factory: Any
) -> None:
    ids = _accounts(replica, 40)
    recent = datetime.now(UTC) - timedelta(days=3)
    with replica.session() as session:
        for account_id in ids[1:]:  # every account but one visited this week
            services.create(session, "visits", {"account_id": account_id, "checkin_at": recent})
    panel, _recorder = panel_factory(MapSettings(tiles_online=False), color_by="last_visit")
    wait_ready(qtbot, panel.web_page)
    # Zoomed out, the forty accounts are one cluster: grey ("never visited"), not green.
    js(qtbot, panel.web_page, "fieldappState.map.setView([50.93, 6.94], 9); 1")

    def clusters(attribute: str) -> list[str]:
        script = (
            "JSON.stringify(Array.from(document.querySelectorAll('.fa-cluster div'))"
            f".map(function(d){{return {attribute}}}))"
        )
        return list(json.loads(js(qtbot, panel.web_page, script)))

    qtbot.waitUntil(lambda: len(clusters("d.title")) == 1, timeout=LOAD_MS)
    assert clusters("d.title") == ["never visited"]
    assert clusters("d.style.background") == ["rgb(127, 127, 127)"]
