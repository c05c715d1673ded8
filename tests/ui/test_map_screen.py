"""The Map entry of the main window: built on first show, marker clicks open accounts."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.map_panel import MapPanel
from fieldapp.ui.map_screen import MapScreen
from fieldapp.ui.position import PositionProvider
from tests.ui.builders import Demo
from tests.ui_map.pages import lasso


def test_map_is_built_when_shown_and_a_marker_click_opens_the_account(
    qtbot: QtBot, window: MainWindow, demo: Demo
) -> None:
    screen = window.panel("map")
    assert isinstance(screen, MapScreen)
    assert screen.map is None  # nothing of QtWebEngine at start-up
    window.show_panel("map")  # showing it builds the web view; the page loads later
    assert screen.map is not None
    with qtbot.waitSignal(screen.map.map_ready, timeout=30_000) as ready:
        pass
    assert ready.args is not None and ready.args[0] == len(demo.accounts)
    assert len(screen.findChildren(MapPanel)) == 1  # showing it again builds nothing more
    window.show_panel("today")
    window.show_panel("map")
    assert len(screen.findChildren(MapPanel)) == 1
    # The page calls the bridge when a marker is clicked (tested with real clicks in
    # tests/ui_map); here the window must answer with the account's 360° view.
    target = demo.accounts[3]
    screen.map.bridge.accountActivated(target)
    accounts = window.panel("accounts")
    assert window.current_panel() is accounts
    qtbot.waitUntil(lambda: accounts.detail.account_id == target)  # type: ignore[attr-defined]
    lasso(qtbot, screen.map, [[0, 0], [0, 90], [89, 90], [89, 0]])
    qtbot.waitUntil(lambda: "account(s) selected on the map" in window.statusBar().currentMessage())

    # The pin's popup: Add to route and Check in keep the map on screen.
    window.show_panel("map")
    planner = screen.planner
    assert planner is not None
    qtbot.waitUntil(lambda: len(planner.stop_ids) > 0)  # the lasso's accounts, first
    planner.stops.setRowCount(0)
    planner.stop_ids = []
    screen.map.bridge.addToRoute(demo.accounts[5])
    qtbot.waitUntil(lambda: planner.stop_ids == [demo.accounts[5]], timeout=10_000)
    window.ctx.position = PositionProvider(window.ctx, platform=False)
    screen.map.bridge.checkInAt(demo.accounts[6])
    qtbot.waitUntil(lambda: "Checked in" in window.statusBar().currentMessage(), timeout=10_000)
    assert window.current_panel() is screen


def test_the_main_window_does_not_load_the_map_machinery_at_start_up() -> None:
    import subprocess
    import sys

    probe = (
        "import sys; import fieldapp.ui.app, fieldapp.ui.main_window; "
        "print(sorted(m for m in ('folium', 'PySide6.QtWebEngineWidgets', "
        "'fieldapp.ui.map_panel', 'fieldapp.sync.engine') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
