"""Routes that last, in the planner: home and office, saved routes reopened and edited,
planned visits from a route, the day's agenda as stops, "here", re-optimise, Navigate."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from PySide6.QtCore import QDate, QObject, QTime, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from fieldapp.maps import day_context
from fieldapp.maps.planner import account_points
from fieldapp.maps.settings import MapSettings
from fieldapp.store import scheduling
from fieldapp.store.db import Replica
from fieldapp.store.models import RoutePlan, RouteStop, Visit
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.route_extras import HomeOfficeDialog, SavedPlansDialog
from fieldapp.ui.route_planner import RoutePlanner
from tests.ui.builders import Demo

HOME = (50.7374, 7.0982)


def _located(replica: Replica, n: int) -> list[str]:
    with replica.read_session() as session:
        return [p.id for p in account_points(session, located_only=True)][:n]


def _planner(qtbot: QtBot, window: MainWindow) -> RoutePlanner:
    planner = RoutePlanner(window.ctx)
    qtbot.addWidget(planner)
    return planner


def _optimise(qtbot: QtBot, planner: RoutePlanner) -> None:
    with qtbot.waitSignal(planner.plan_changed, timeout=30_000):
        planner.optimise_button.click()


def test_home_start_then_saved_route_reopened_edited_and_planned(
    qtbot: QtBot, window: MainWindow, demo: Demo, replica: Replica
) -> None:
    dialog = HomeOfficeDialog(window.ctx)
    qtbot.addWidget(dialog)
    dialog.home.setText(f"{HOME[0]}, {HOME[1]}")
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        dialog.buttons.accepted.emit()
    assert MapSettings.load(replica.data_dir).home_point == list(HOME)

    planner = _planner(qtbot, window)
    ids = _located(replica, 4)
    planner.add_accounts(ids)
    qtbot.waitUntil(lambda: len(planner.stop_ids) == 4, timeout=10_000)
    planner.start.setText("home")
    _optimise(qtbot, planner)
    assert planner.plan is not None and planner.plan.request.start == HOME
    planner.save_button.click()
    qtbot.waitUntil(lambda: planner.plan_id is not None, timeout=10_000)
    saved_id = planner.plan_id

    # A second planner (the app opened again) lists the route and reopens it.
    again = _planner(qtbot, window)
    listing = SavedPlansDialog(window.ctx, again.keeping.load_saved)
    qtbot.addWidget(listing)
    qtbot.waitUntil(lambda: listing.table.rowCount() == 1, timeout=10_000)
    assert listing.table.item(0, 2).text() == str(len(planner.plan.stops))
    listing.open_selected()
    qtbot.waitUntil(lambda: again.plan is not None, timeout=10_000)
    assert again.plan_id == saved_id
    assert again.stop_ids == [s.account_id for s in planner.plan.stops]
    assert [s.account_id for s in again.plan.stops] == [s.account_id for s in planner.plan.stops]
    assert again.plan.request.start == HOME

    # Edited: one stop fewer, optimised and saved over the same route.
    again.stops.selectRow(0)
    again.remove_selected_stops()
    _optimise(qtbot, again)
    again.visits_button.click()  # saves, then plans the visits
    qtbot.waitUntil(lambda: "in the agenda" in window.statusBar().currentMessage(), timeout=10_000)
    with replica.read_session() as session:
        assert session.scalar(select(func.count()).select_from(RoutePlan)) == 1
        stops = session.scalars(
            select(RouteStop).where(
                RouteStop.route_plan_id == saved_id, RouteStop.deleted_at.is_(None)
            )
        ).all()
        visits = session.scalars(select(Visit).where(Visit.route_plan_id == saved_id)).all()
    assert len(stops) == len(again.plan.stops) == len(planner.plan.stops) - 1
    assert all(s.visit_id for s in stops)
    assert sorted(v.account_id for v in visits) == sorted(s.account_id for s in stops)
    assert all(v.planned_start is not None for v in visits)


class _Browser(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.opened.append(url.toString())


def test_day_visits_here_reoptimise_and_navigate(
    qtbot: QtBot, window: MainWindow, demo: Demo, replica: Replica
) -> None:
    today = date.today()
    later = today + timedelta(days=23)  # a day the demo's own visits leave free
    a, b, c = _located(replica, 3)
    ten = datetime.combine(later, datetime.min.time()).astimezone() + timedelta(hours=10)
    with replica.session() as session:
        scheduling.schedule_visit(session, a, ten, minutes=45)
        scheduling.schedule_visit(session, b, ten + timedelta(hours=4), minutes=30)
    with replica.read_session() as session:
        expected = [v.account_id for v in day_context.planned_visits(session, later)]
    assert expected[:2] == [a, b] or set(expected) >= {a, b}
    planner = _planner(qtbot, window)
    # Re-optimising today starts from the clock: a working day to midnight keeps the
    # rest of the route plannable whenever the test runs (before ~22:30).
    planner.day_end.setTime(QTime(23, 59))
    planner.date.setDate(QDate(later.year, later.month, later.day))
    planner.day_visits_button.click()
    qtbot.waitUntil(lambda: len(planner.stop_ids) == len(expected), timeout=10_000)
    assert planner.stop_ids == list(dict.fromkeys(expected))
    assert planner.stops.item(planner.stop_ids.index(a), 1).text() == "10:00-10:45"
    # The planned day is today from here on.
    planner.date.setDate(QDate(today.year, today.month, today.day))
    planner.stops.setRowCount(0)
    planner.stop_ids = []
    planner.add_accounts([a, b])
    qtbot.waitUntil(lambda: len(planner.stop_ids) == 2, timeout=10_000)

    # "here" is the last check-in of the day: none yet, and the planner says so.
    planner.start.setText("here")
    planner.optimise_button.click()
    qtbot.waitUntil(lambda: "Cannot plan" in planner.summary.text(), timeout=10_000)
    assert "no check-in yet" in planner.summary.text()

    with replica.session() as session:
        scheduling.check_in(session, c)
    planner.add_accounts([c])
    qtbot.waitUntil(lambda: len(planner.stop_ids) == 3, timeout=10_000)
    _optimise(qtbot, planner)
    plan = planner.plan
    assert plan is not None
    # Checked in without a fix: "here" is the account's pin.
    with replica.read_session() as session:
        (pin,) = account_points(session, ids=[c])
    assert plan.request.start == (pin.lat, pin.lon)

    browser = _Browser()
    QDesktopServices.setUrlHandler("https", browser, "open")
    try:
        planner.navigate_button.click()
    finally:
        QDesktopServices.unsetUrlHandler("https")
    assert len(browser.opened) == 1 and "google.com/maps/dir" in browser.opened[0]
    # Every stop is a waypoint of the link (Google takes up to 9).
    assert browser.opened[0].count("%7C") == len(plan.stops) - 1

    # Re-optimise with nothing selected: from the stop checked in today (c).
    planner.result.clearSelection()
    planner.reopt_button.click()
    qtbot.waitUntil(lambda: planner.plan is not plan, timeout=30_000)
    # The stops up to the check-in stay as they were; the rest is planned from now.
    order = [s.account_id for s in planner.plan.stops]
    before = [s.account_id for s in plan.stops]
    assert order[: before.index(c) + 1] == before[: before.index(c) + 1]
