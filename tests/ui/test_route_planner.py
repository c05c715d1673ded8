"""Planning the day beside the map: lasso → stops, appointment, optimise, reorder, save, export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QItemSelectionModel
from PySide6.QtWidgets import QTableWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from fieldapp.maps.routing import hhmm, violations
from fieldapp.store.db import Replica
from fieldapp.store.models import RoutePlan, RouteStop
from fieldapp.ui import solver_process
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.map_screen import MapScreen
from tests.ui.builders import Demo
from tests.ui_map.pages import lasso


def _show_map(qtbot: QtBot, window: MainWindow) -> MapScreen:
    """The Map panel, shown, with its page loaded and its day planner built."""
    screen = window.panel("map")
    assert isinstance(screen, MapScreen)
    window.show_panel("map")
    assert screen.map is not None and screen.planner is not None
    with qtbot.waitSignal(screen.map.map_ready, timeout=30_000):
        pass
    return screen


def test_plan_a_day_from_the_map(
    qtbot: QtBot, window: MainWindow, demo: Demo, replica: Replica, tmp_path: Path
) -> None:
    screen = _show_map(qtbot, window)
    planner = screen.planner
    # Tomorrow: on today's plan, re-optimising starts from the actual time of day.
    planner.date.setDate(QDate.currentDate().addDays(1))
    # A lasso around everything adds every located account as a stop.
    lasso(qtbot, screen.map, [[-89, -179], [-89, 179], [89, 179], [89, -179]])
    qtbot.waitUntil(lambda: planner.stops.rowCount() == len(demo.accounts), timeout=10_000)
    # Keep the day realistic: eight stops, one of them a fixed appointment.
    planner.stops.selectAll()
    planner.stops.clearSelection()
    for row in range(len(demo.accounts) - 1, 7, -1):
        planner.stops.selectRow(row)
        planner.remove_selected_stops()
    assert len(planner.stop_ids) == 8
    appointment = planner.stop_ids[5]
    planner.set_window(appointment, "14:00-14:30")

    planner.set_window(planner.stop_ids[0], "2pm")  # a typo is explained, nothing runs
    planner.optimise_button.click()
    assert "Cannot plan" in planner.summary.text() and "HH:MM" in planner.summary.text()
    planner.set_window(planner.stop_ids[0], "")

    before = solver_process.answered()
    with qtbot.waitSignal(planner.plan_changed, timeout=30_000) as done:
        planner.optimise_button.click()
    plan = done.args[0]
    assert planner.plan is plan and violations(plan) == []
    served = {s.account_id for s in plan.stops}
    assert served | {u.account_id for u in plan.unserved} == set(planner.stop_ids)
    assert all(u.reason for u in plan.unserved)
    fixed = next(s for s in plan.stops if s.account_id == appointment)
    assert 14 * 3600 <= fixed.start <= 14 * 3600 + 30 * 60
    assert planner.result.rowCount() == len(plan.stops)
    assert planner.result.item(0, 2).text() == hhmm(plan.stops[0].arrival)
    assert "km" in planner.summary.text()
    # The lunch break (on by default) is shown where it is taken.
    (lunch,) = plan.breaks
    taken = f"break {hhmm(lunch.start)}–{hhmm(lunch.end)}"
    assert f"Break {hhmm(lunch.start)}–{hhmm(lunch.end)}" in planner.summary.text()
    if lunch.before_position <= len(plan.stops):
        assert taken in planner.result.item(lunch.before_position - 1, 6).text()

    assert solver_process.answered() > before  # the search ran in the child process

    # Moving a stop by hand recomputes the times at once.
    first, second = plan.stops[0].account_id, plan.stops[1].account_id
    _select_row(planner.result, 0)
    planner.down_button.click()
    moved = planner.plan
    assert moved is not None and [s.account_id for s in moved.stops[:2]] == [second, first]
    assert moved.stops[1].arrival > moved.stops[0].departure

    # Re-optimise the rest of the day from the second stop.
    _select_row(planner.result, 1)
    planner.reopt_button.click()
    # It runs in the background: the buttons wait for the answer.
    assert not planner.optimise_button.isEnabled()
    qtbot.waitUntil(lambda: planner.plan is not moved, timeout=10_000)
    assert planner.optimise_button.isEnabled() and planner.reopt_button.isEnabled()
    assert [s.account_id for s in planner.plan.stops[:2]] == [second, first]
    assert {s.account_id for s in planner.plan.stops} == {s.account_id for s in moved.stops}

    out = tmp_path / "day.ics"
    planner.keeping.export("ics", str(out))
    assert out.read_text(encoding="utf-8").startswith("BEGIN:VCALENDAR")
    planner.keeping.export("gpx", str(tmp_path / "day.gpx"))
    assert "<gpx" in (tmp_path / "day.gpx").read_text(encoding="utf-8")

    planner.save_button.click()
    qtbot.waitUntil(lambda: "saved" in window.statusBar().currentMessage(), timeout=10_000)
    with replica.read_session() as session:
        assert session.scalar(select(func.count()).select_from(RoutePlan)) == 1
        stops = session.scalar(select(func.count()).select_from(RouteStop))
        assert stops == len(planner.plan.stops)


def _select_row(table: QTableWidget, row: int) -> None:
    """Select exactly this row. ``selectRow`` toggles instead when Qt believes Ctrl is
    held, which a key click in an earlier test can leave behind."""
    flags = QItemSelectionModel.SelectionFlag
    table.selectionModel().select(table.model().index(row, 0), flags.ClearAndSelect | flags.Rows)
    assert {i.row() for i in table.selectedIndexes()} == {row}


def _map_view(qtbot: QtBot, screen: MapScreen) -> tuple[float, float, float, float, int]:
    """(south, west, north, east, zoom) as Leaflet shows it in the panel's page."""
    assert screen.map is not None
    box: dict[str, Any] = {}
    screen.map.run_js("JSON.stringify(fieldappView())", lambda r: box.setdefault("r", r))
    qtbot.waitUntil(lambda: "r" in box, timeout=10_000)
    s, w, n, e, z = json.loads(box["r"])
    return s, w, n, e, z


def test_optimise_brings_the_route_into_view_and_reordering_keeps_the_users_view(
    qtbot: QtBot, window: MainWindow, demo: Demo
) -> None:
    screen = _show_map(qtbot, window)
    whole = _map_view(qtbot, screen)  # the demo's six cities, Aachen to Essen
    planner = screen.planner
    # Lasso the accounts in Cologne only.
    lasso(qtbot, screen.map, [[50.88, 6.90], [50.88, 7.02], [50.975, 7.02], [50.975, 6.90]])
    qtbot.waitUntil(lambda: len(planner.stop_ids) >= 2, timeout=10_000)
    with (
        qtbot.waitSignal(screen.map.map_ready, timeout=30_000),
        qtbot.waitSignal(planner.plan_changed, timeout=30_000) as done,
    ):
        planner.optimise_button.click()
    plan = done.args[0]
    assert plan.stops and done.args[1] is True
    s, w, n, e, zoom = _map_view(qtbot, screen)
    for lat, lon in [plan.request.start, *((p.lat, p.lon) for p in plan.stops)]:
        assert s <= lat <= n and w <= lon <= e
    assert zoom > whole[4] and not s <= 51.46 <= n  # zoomed in: Essen is out of view

    # The user looks at Bonn; moving a stop by hand redraws the route but stays there.
    with qtbot.waitSignal(screen.map.bridge.view, timeout=10_000):
        screen.map.run_js("fieldappState.map.setView([50.73, 7.10], 13)")
    _select_row(planner.result, 0)
    with qtbot.waitSignal(screen.map.map_ready, timeout=30_000):
        planner.down_button.click()
    s, w, n, e, zoom = _map_view(qtbot, screen)
    assert s <= 50.73 <= n and w <= 7.10 <= e and zoom == 13
