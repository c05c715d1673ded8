"""The Team panel (managers and admins) and the role-aware window.

Figures for the hand-counted replica of tests/reports/fixture.py; a rep's route
planned from the panel becomes their planned visits; the drill into a rep's agenda.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from fieldapp.maps import team_homes
from fieldapp.store import services
from fieldapp.store.db import Replica
from fieldapp.store.models import RoutePlan, Visit
from fieldapp.store.types import utcnow
from fieldapp.sync import protocol, state
from fieldapp.ui import fmt, roles
from fieldapp.ui.agenda_panel import AgendaPanel
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.panels import PANELS
from fieldapp.ui.team_model import (
    COL_OVERDUE,
    COL_PIPELINE,
    COL_REP,
    COL_WEEK,
    COL_WEIGHTED,
    COLUMNS,
    ELIDED,
    TeamModel,
)
from fieldapp.ui.team_panel import TeamPanel
from tests.reports import fixture
from tests.ui_map.pages import lasso

ALL_TITLES = [spec.title for spec in PANELS]
REP_TITLES = [spec.title for spec in PANELS if "rep" in spec.roles]


def signed_in_as(replica: Replica, role: str | None) -> None:
    """What a sign-in records (the sync state's "role"); None: nobody signed in yet."""
    with replica.engine.begin() as conn:
        if role is None:
            state.drop(conn, "role")
        else:
            state.put(conn, "role", role)


def shown_titles(window: MainWindow) -> list[str]:
    items = [window.sidebar.item(i) for i in range(window.sidebar.count())]
    return [item.text() for item in items if item is not None and not item.isHidden()]


def shortcuts(window: MainWindow) -> dict[str, str]:
    return {a.text(): a.shortcut().toString() for a in window.panel_actions if a.isVisible()}


def test_the_roles_are_the_protocols() -> None:
    assert set(roles.ROLES) == set(protocol.Role.__args__)  # type: ignore[attr-defined]


@pytest.mark.parametrize("role", [None, "rep", "something-new"])
def test_a_rep_sees_no_team_or_admin_controls(
    qtbot: QtBot, replica: Replica, make_window: Callable[..., MainWindow], role: str | None
) -> None:
    signed_in_as(replica, role)
    window = make_window()
    assert window.role == "rep"  # missing or unknown: the least the app offers
    assert "Team" not in shown_titles(window) and shown_titles(window) == REP_TITLES
    # Ctrl+1 … Ctrl+9, then Ctrl+0 for the tenth panel shown, none after it.
    assert shortcuts(window) == {
        t: f"Ctrl+{i % 10}" if i <= 10 else "" for i, t in enumerate(REP_TITLES, 1)
    }
    team_index = window.keys().index("team")
    window.show_panel_index(team_index)  # its shortcut is gone; asking anyway does nothing
    assert window.stack.currentIndex() != team_index
    assert "team" not in window.panels  # never built for a rep


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_managers_and_admins_see_the_team(
    qtbot: QtBot, replica: Replica, make_window: Callable[..., MainWindow], role: str
) -> None:
    signed_in_as(replica, role)
    window = make_window()
    qtbot.waitUntil(lambda: window.role == role)
    if role == "admin":
        assert shown_titles(window) == ALL_TITLES  # everything
    else:
        expected = [s.title for s in PANELS if "manager" in s.roles]
        assert shown_titles(window) == expected and "Team" in expected
    # Team is the tenth panel a manager or admin sees: Ctrl+0; the ones after it, none.
    titles = shown_titles(window)
    assert titles.index("Team") == 9 and shortcuts(window)["Team"] == "Ctrl+0"
    assert all(shortcuts(window)[t] == "" for t in titles[10:])
    qtbot.keyClick(window, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert isinstance(window.current_panel(), TeamPanel)


def test_the_team_panel_reopens_for_a_manager_and_not_after_a_demotion(
    qtbot: QtBot, replica: Replica, make_window: Callable[..., MainWindow], settings: QSettings
) -> None:
    signed_in_as(replica, "manager")
    settings.setValue("window/panel", "team")
    window = make_window()
    qtbot.waitUntil(lambda: isinstance(window.current_panel(), TeamPanel))
    # The server made them a rep again; the next sign-in records it.
    signed_in_as(replica, "rep")
    window.load_role()
    qtbot.waitUntil(lambda: window.role == "rep")
    assert window.current_panel() is window.panel("today")
    assert "Team" not in shown_titles(window)


def test_an_empty_team_says_why(
    qtbot: QtBot, replica: Replica, make_window: Callable[..., MainWindow]
) -> None:
    signed_in_as(replica, "manager")
    window = make_window()
    qtbot.waitUntil(lambda: window.role == "manager")
    panel = window.panel("team")
    assert isinstance(panel, TeamPanel)
    panel.tabs.setCurrentWidget(panel.tabs.route_page)
    with qtbot.waitSignal(panel.loaded, timeout=15_000):
        window.show_panel("team")
    assert panel.model.rowCount() == 0
    assert "arrive with a sync" in panel.hint.hint()
    assert not panel.route_button.isEnabled() and not panel.agenda_button.isEnabled()
    panel.plan_route()  # Ctrl+R with nobody picked says so
    assert "Pick a rep" in window.statusBar().currentMessage()


def _cells(model: TeamModel, row: int) -> dict[str, str]:
    return {c: model.data(model.index(row, i)) for i, c in enumerate(COLUMNS)}


def test_team_figures_for_the_hand_counted_replica(
    qtbot: QtBot,
    replica: Replica,
    make_window: Callable[..., MainWindow],
    qtmodeltester: ModelTester,
) -> None:
    fixture.build(replica)
    signed_in_as(replica, "manager")
    window = make_window()
    qtbot.waitUntil(lambda: window.role == "manager")
    panel = window.panel("team")
    assert isinstance(panel, TeamPanel)
    panel.today = date(2026, 3, 26)  # a Thursday; counted by hand in tests/reports
    panel.tabs.setCurrentWidget(panel.tabs.route_page)  # the map has its own test
    with qtbot.waitSignal(panel.loaded, timeout=15_000):
        window.show_panel("team")
    ana, ben = _cells(panel.model, 0), _cells(panel.model, 1)
    assert ana["Rep"] == "Ana Silva" and ben["Rep"] == "Ben Braun"
    assert (ana["Visits this week"], ana["Last week"], ana["30 days"]) == ("0", "0", "3")
    assert (ben["Visits this week"], ben["Last week"], ben["30 days"]) == ("2", "0", "3")
    assert (ana["Accounts"], ana["Overdue"], ben["Accounts"], ben["Overdue"]) == (
        "3",
        "1",
        "2",
        "1",
    )
    # Amounts rounded to their magnitude in the narrow columns ("€16.2K"), exact in
    # the tooltip; two currencies side by side, never added up.
    assert ana["Open pipeline"] == fmt.fmt_money_short(Decimal("16234.56"), "EUR")
    assert ana["Open pipeline"] != fmt.fmt_money(Decimal("16234.56"), "EUR")
    pipeline = panel.model.index(0, COL_PIPELINE)
    assert panel.model.data(pipeline, Qt.ItemDataRole.ToolTipRole) == fmt.fmt_money(
        Decimal("16234.56"), "EUR"
    )
    assert ben["Weighted forecast"] == " · ".join(
        [fmt.fmt_money_short(Decimal("1500.30"), "EUR"), fmt.fmt_money_short(Decimal("800"), "USD")]
    )
    weighted = panel.model.index(1, COL_WEIGHTED)
    assert panel.model.data(weighted, Qt.ItemDataRole.ToolTipRole) == " · ".join(
        [fmt.fmt_money(Decimal("1500.30"), "EUR"), fmt.fmt_money(Decimal("800.00"), "USD")]
    )
    assert (ana["Win rate"], ben["Win rate"]) == ("67 % (2/3)", "50 % (1/2)")
    assert panel.status.text() == "2 reps · 2 accounts overdue for a visit"
    assert panel.model.headerData(0, Qt.Orientation.Horizontal) == "Rep"
    qtmodeltester.check(panel.model)

    # A new visit of Ana's today (26 March) shows up without a manual refresh.
    with qtbot.waitSignal(panel.loaded, timeout=15_000):
        window.bg.write(
            lambda s: services.create(
                s,
                "visits",
                {
                    "account_id": fixture_account(s, "Alpha"),
                    "owner_id": panel.model.rows[0].rep_id,
                    "checkin_at": "2026-03-26T09:00:00+00:00",
                },
            ),
            {"visits"},
        )
    row = panel.model.row_of(panel.model.rows[0].rep_id or "")
    ana_now = _cells(panel.model, panel.model.row_of(_ana_id(panel)) or 0)
    assert row is not None and ana_now["Visits this week"] == "1" and ana_now["30 days"] == "4"


def fixture_account(session: object, name: str) -> str:
    from fieldapp.store.models import Account

    found = session.scalar(select(Account.id).where(Account.name == name))  # type: ignore[attr-defined]
    assert isinstance(found, str)
    return found


def _ana_id(panel: TeamPanel) -> str:
    return next(r.rep_id for r in panel.model.rows if r.label == "Ana Silva" and r.rep_id)


def _located_team(replica: Replica) -> dict[str, str]:
    """Ana owns five located accounts last visited 200 days ago (so all are due); Ben two."""
    ids: dict[str, str] = {}
    with replica.session() as s:
        ids["ana"] = services.create(s, "users", {"username": "ana", "display_name": "Ana Silva"})
        ids["ben"] = services.create(s, "users", {"username": "ben", "display_name": "Ben Braun"})
        square = {
            "type": "Polygon",
            "coordinates": [[[6.8, 50.8], [7.2, 50.8], [7.2, 51.1], [6.8, 51.1], [6.8, 50.8]]],
        }
        north = services.create(s, "territories", {"name": "Köln", "polygon": json.dumps(square)})
        for i, (owner, lat, lon) in enumerate(
            [
                ("ana", 50.94, 6.96),
                ("ana", 50.93, 6.93),
                ("ana", 50.96, 6.99),
                ("ana", 50.91, 6.98),
                ("ana", 50.95, 6.90),
                ("ben", 50.73, 7.10),
                ("ben", 50.74, 7.08),
            ]
        ):
            aid = services.create(
                s,
                "accounts",
                {
                    "name": f"{owner.title()} Kunde {i + 1}",
                    "owner_id": ids[owner],
                    "territory_id": north if owner == "ana" else None,
                    "latitude": lat,
                    "longitude": lon,
                },
            )
            ids[f"account{i + 1}"] = aid
            services.create(
                s,
                "visits",
                {
                    "account_id": aid,
                    "owner_id": ids[owner],
                    "checkin_at": utcnow() - timedelta(days=200 + i),
                },
            )
    return ids


def test_plan_a_route_for_a_rep_and_open_their_agenda(
    qtbot: QtBot, replica: Replica, make_window: Callable[..., MainWindow]
) -> None:
    ids = _located_team(replica)
    signed_in_as(replica, "manager")
    window = make_window()
    qtbot.waitUntil(lambda: window.role == "manager")
    panel = window.panel("team")
    assert isinstance(panel, TeamPanel)
    panel.tabs.setCurrentWidget(panel.tabs.route_page)
    with qtbot.waitSignal(panel.loaded, timeout=15_000):
        window.show_panel("team")
    panel.select_rep(ids["ana"])
    assert panel.selected_rep() is not None and panel.route_button.isEnabled()

    # Her home, typed as a position; then a route for Thursday in a week.
    panel.set_home(ids["ana"], "Ana Silva", "50.92, 6.95")
    qtbot.waitUntil(
        lambda: "Ana Silva's day starts at 50.92, 6.95" in window.statusBar().currentMessage()
    )
    assert team_homes.load_homes(replica.data_dir)[ids["ana"]].point == (50.92, 6.95)
    day = date.today() + timedelta(days=7)
    panel.plan_route(day)
    route = panel.route
    assert route is not None and panel.tabs.currentWidget() is panel.tabs.route_page
    qtbot.waitUntil(lambda: len(route.stop_ids) == 5, timeout=10_000)
    assert set(route.stop_ids) == {ids[f"account{i}"] for i in range(1, 6)}  # hers only
    assert route.start.text() == "50.92000, 6.95000"
    assert "Route for Ana Silva, starting at home (50.92, 6.95)" in route.whose.text()
    with qtbot.waitSignal(route.plan_changed, timeout=30_000) as planned:
        route.optimise_button.click()
    plan = planned.args[0]
    assert len(plan.stops) == 5 and plan.request.plan_date == day
    with qtbot.waitSignal(route.saved, timeout=10_000) as saved:
        route.save_button.click()
    rep_route = saved.args[0]
    qtbot.waitUntil(lambda: "5 visits planned for Ana Silva" in window.statusBar().currentMessage())
    with replica.read_session() as s:
        visits = s.scalars(select(Visit).where(Visit.route_plan_id == rep_route.plan_id)).all()
        assert {v.owner_id for v in visits} == {ids["ana"]} and len(visits) == 5
        assert s.get(RoutePlan, rep_route.plan_id).owner_id == ids["ana"]  # type: ignore[union-attr]

    # Enter on her row: her week in the Agenda, with her name over it.
    panel.table.setFocus()
    qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    agenda_panel = window.current_panel()
    assert isinstance(agenda_panel, AgendaPanel)
    assert agenda_panel.owner_id == ids["ana"]
    agenda_panel.show_range(day, week=False)
    qtbot.waitUntil(lambda: len(agenda_panel.view.visits) == 5, timeout=10_000)
    assert agenda_panel.range_label.text().startswith("Ana Silva — ")
    assert agenda_panel.mine_button.isVisible()
    agenda_panel.mine_button.click()
    assert agenda_panel.owner_id is None and not agenda_panel.mine_button.isVisible()

    # Ctrl+Z (the toast's Undo) takes the route back.
    window.undo()
    qtbot.waitUntil(
        lambda: "route for Ana Silva was taken back" in window.statusBar().currentMessage()
    )
    with replica.read_session() as s:
        left = s.scalars(
            select(Visit.id).where(
                Visit.route_plan_id == rep_route.plan_id, Visit.deleted_at.is_(None)
            )
        ).all()
    assert left == []


def test_a_rep_without_home_starts_at_the_territory_centre(
    qtbot: QtBot, replica: Replica, make_window: Callable[..., MainWindow]
) -> None:
    ids = _located_team(replica)
    signed_in_as(replica, "admin")
    window = make_window()
    qtbot.waitUntil(lambda: window.role == "admin")
    panel = window.panel("team")
    assert isinstance(panel, TeamPanel)
    panel.tabs.setCurrentWidget(panel.tabs.route_page)
    with qtbot.waitSignal(panel.loaded, timeout=15_000):
        window.show_panel("team")
    panel.select_rep(ids["ana"])
    panel.plan_route()
    route = panel.route
    assert route is not None
    qtbot.waitUntil(lambda: "centre of Köln" in route.whose.text(), timeout=10_000)
    assert route.start.text() == "50.95000, 7.00000"
    panel.set_home(ids["ana"], "Ana Silva", "91, 7")
    qtbot.waitUntil(lambda: "Home not set" in window.statusBar().currentMessage())
    assert "not on Earth" in window.statusBar().currentMessage()


def _page_data(panel: TeamPanel) -> dict[str, object]:
    # The page's legend and view, as the page got them from the marker feed.
    assert panel.map is not None and panel.map.feed is not None
    meta = panel.map.feed.part("meta")
    assert meta is not None
    return json.loads(meta)  # type: ignore[no-any-return]


def test_the_team_map_colours_by_rep_or_last_visit_and_feeds_the_route(
    qtbot: QtBot, replica: Replica, make_window: Callable[..., MainWindow]
) -> None:
    ids = _located_team(replica)
    signed_in_as(replica, "manager")
    window = make_window()
    qtbot.waitUntil(lambda: window.role == "manager")
    panel = window.panel("team")
    assert isinstance(panel, TeamPanel) and panel.map is None  # no QtWebEngine until shown
    window.show_panel("team")
    assert panel.map is not None
    with qtbot.waitSignal(panel.map.map_ready, timeout=30_000) as ready:
        pass
    assert ready.args == [7]
    data = _page_data(panel)
    assert data["colorBy"] == "rep"
    assert [c["label"] for c in data["categories"]] == ["Ana Silva", "Ben Braun"]  # type: ignore[index]

    with qtbot.waitSignal(panel.map.map_ready, timeout=30_000):
        panel.colour.setCurrentIndex(panel.colour.findData("last_visit"))
    data = _page_data(panel)
    assert data["colorBy"] == "last_visit"
    assert {c["label"] for c in data["categories"]} >= {"> 180 days"}  # type: ignore[union-attr]

    # A lasso on the team map adds those accounts to the route being planned.
    panel.select_rep(ids["ben"])
    lasso(qtbot, panel.map, [[50.7, 7.0], [50.7, 7.2], [50.8, 7.2], [50.8, 7.0]])
    route = panel.route
    assert route is not None and panel.tabs.currentWidget() is panel.tabs.route_page
    qtbot.waitUntil(lambda: set(route.stop_ids) == {ids["account6"], ids["account7"]})


def test_the_team_table_fits_beside_the_map_at_1280_by_800(
    qtbot: QtBot, replica: Replica, make_window: Callable[..., MainWindow]
) -> None:
    fixture.build(replica)  # Ben's forecast is in two currencies: the widest cells
    signed_in_as(replica, "manager")
    window = make_window()
    window.resize(1280, 800)
    qtbot.waitUntil(lambda: window.role == "manager")
    panel = window.panel("team")
    assert isinstance(panel, TeamPanel)
    panel.today = date(2026, 3, 26)
    panel.tabs.setCurrentWidget(panel.tabs.route_page)
    with qtbot.waitSignal(panel.loaded, timeout=15_000):
        window.show_panel("team")
    table, header, model = panel.table, panel.table.horizontalHeader(), panel.model
    qtbot.waitUntil(lambda: header.length() == table.viewport().width())
    assert table.horizontalScrollBar().maximum() == 0  # nothing to scroll to
    # Names and numbers are whole; a cut amount is in full in its tooltip.
    for column in range(model.columnCount()):
        if column not in ELIDED:
            assert header.sectionSize(column) >= table.sizeHintForColumn(column), column
    assert header.sectionSize(COL_REP) >= table.sizeHintForColumn(COL_REP)
    ben = model.row_of(next(r.rep_id for r in model.rows if r.label == "Ben Braun") or "")
    assert ben is not None
    forecast = model.index(ben, COL_WEIGHTED)
    assert model.data(forecast, Qt.ItemDataRole.ToolTipRole) == " · ".join(
        [fmt.fmt_money(Decimal("1500.30"), "EUR"), fmt.fmt_money(Decimal("800.00"), "USD")]
    )
    # The short headers say in their tooltips what they count.
    assert model.headerData(COL_WEEK, Qt.Orientation.Horizontal) == "Week"
    assert model.headerData(COL_WEEK, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole) == (
        "Visits this week"
    )
    # Dragged narrower, the long texts give way first and the numbers stay readable.
    panel.splitter.setSizes([380, 820])
    qtbot.waitUntil(
        lambda: header.sectionSize(COL_WEIGHTED) < table.sizeHintForColumn(COL_WEIGHTED)
    )
    assert header.sectionSize(COL_OVERDUE) >= table.sizeHintForColumn(COL_OVERDUE)
    folder = os.environ.get("FIELDAPP_SCREENSHOTS")
    if folder:
        panel.splitter.setSizes([560, 640])
        qtbot.waitUntil(lambda: header.length() == table.viewport().width())
        Path(folder).mkdir(parents=True, exist_ok=True)
        assert window.grab().save(str(Path(folder) / "33-team-table.png"))
