"""Check-in verification without tracking: one fix at check-in, its distance from the
account's pin and the verdict, shown on the visit and in the timeline.

The position source is QtPositioning's own NMEA source replaying a receiver's
sentences (tests/ui/positioning.py): a real Qt source, which notes what it was asked.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from fieldapp.maps.settings import MapSettings
from fieldapp.store import services
from fieldapp.store.db import Replica
from fieldapp.store.types import utcnow
from fieldapp.ui import dialogs, schedule_dialog
from fieldapp.ui.accounts_panel import AccountsPanel
from fieldapp.ui.agenda_panel import AgendaPanel
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.position import PositionProvider
from fieldapp.ui.schedule_dialog import ScheduleRequest
from tests.ui.builders import Demo
from tests.ui.positioning import GPS

CATHEDRAL = (50.94130, 6.95829)  # Kölner Dom
HBF = (50.94303, 6.95873)  # Köln Hauptbahnhof, ~0.2 km north
ONE_KM_NORTH = (50.95029, 6.95829)


def cathedral_account(replica: Replica) -> str:
    with replica.session() as s:
        return services.create(
            s,
            "accounts",
            {
                "name": "Dom Apotheke",
                "type": "customer",
                "latitude": CATHEDRAL[0],
                "longitude": CATHEDRAL[1],
            },
        )


def open_account(qtbot: QtBot, window: MainWindow, account_id: str) -> AccountsPanel:
    window.open_account(account_id)
    panel = window.current_panel()
    assert isinstance(panel, AccountsPanel)
    qtbot.waitUntil(
        lambda: panel.detail.account_id == account_id and panel.detail.checkin_button.isEnabled()
    )
    return panel


def open_visit(replica: Replica, account_id: str) -> dict[str, Any]:
    with replica.read_session() as s:
        [visit] = [
            v
            for v in services.list_records(s, "visits", where={"account_id": account_id})
            if v["checkin_at"] is not None
        ]
    return visit


def test_position_is_taken_only_at_check_in(
    qtbot: QtBot,
    replica: Replica,
    demo: Demo,
    make_window: Callable[..., MainWindow],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    account = cathedral_account(replica)
    gps = GPS(*HBF)
    window = make_window(position=gps.provider())
    # A working day without checking in: every panel, the agenda, scheduling and
    # moving a visit, an account's 360° view, logging a past visit.
    qtbot.waitUntil(lambda: set(window.panels) >= {"today", "agenda", "accounts", "tasks"})
    for key in ("today", "agenda", "accounts", "leads", "pipeline", "tasks"):
        window.show_panel(key)
    agenda = window.panel("agenda")
    assert isinstance(agenda, AgendaPanel)
    qtbot.waitUntil(lambda: agenda.shown_start is not None)
    start = (utcnow() + timedelta(days=1)).replace(microsecond=0)
    monkeypatch.setattr(
        schedule_dialog, "ask_schedule", lambda *_a: ScheduleRequest(account, start, 45, None)
    )
    agenda.schedule_at(start)
    qtbot.waitUntil(lambda: any(v.account_id == account for v in agenda.view.visits.values()))
    [planned] = [v for v in agenda.view.visits.values() if v.account_id == account]
    agenda.move_visit(planned.id, start + timedelta(hours=1), start + timedelta(hours=2))
    panel = open_account(qtbot, window, account)
    report = dialogs.VisitReport("successful", "Met the buyer", "", None, utcnow())
    monkeypatch.setattr(dialogs, "ask_visit_report", lambda *_a, **_k: report)
    panel.detail.log_visit()
    qtbot.waitUntil(lambda: panel.detail.visits.topLevelItemCount() == 2)
    qtbot.waitUntil(lambda: window.bg.pending() == 0)
    assert gps.sources == []  # no position source was even made
    assert gps.calls() == [] and gps.bytes_read() == 0

    # Checking in (the logged visit is over: a new one starts) asks for one fix, once.
    qtbot.mouseClick(panel.detail.checkin_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "from the account" in panel.detail.visit_state.text(), timeout=8000)
    assert gps.calls() == ["requestUpdate"]
    assert gps.bytes_read() > 0
    visit = next(
        v
        for v in services_visits(replica, account)
        if v["checkin_at"] is not None and v["checkout_at"] is None
    )
    assert visit["checkin_latitude"] == pytest.approx(HBF[0], abs=1e-5)
    assert visit["checkin_longitude"] == pytest.approx(HBF[1], abs=1e-5)
    assert visit["checkin_accuracy_m"] is not None and visit["checkin_accuracy_m"] > 0
    assert visit["checkin_distance_m"] == pytest.approx(195, abs=10)
    assert visit["checkin_flag"] == "ok"
    assert "195 m from the account" in panel.detail.visit_state.text()

    # Checking out takes no position.
    done = dialogs.VisitReport("successful", "", "", None)
    monkeypatch.setattr(dialogs, "ask_visit_report", lambda *_a, **_k: done)
    qtbot.mouseClick(panel.detail.checkout_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.detail.checkin_button.isEnabled())
    qtbot.wait(100)
    assert gps.calls() == ["requestUpdate"]
    assert all("startUpdates" not in s.calls for s in gps.sources)


def services_visits(replica: Replica, account_id: str) -> list[dict[str, Any]]:
    with replica.read_session() as s:
        return services.list_records(s, "visits", limit=None, where={"account_id": account_id})


def test_far_check_in_is_flagged_on_the_visit_and_in_the_timeline(
    qtbot: QtBot, replica: Replica, demo: Demo, make_window: Callable[..., MainWindow]
) -> None:
    account = cathedral_account(replica)
    window = make_window(position=GPS(*ONE_KM_NORTH).provider())
    panel = open_account(qtbot, window, account)
    qtbot.mouseClick(panel.detail.checkin_button, Qt.MouseButton.LeftButton)
    detail = panel.detail
    qtbot.waitUntil(lambda: "far — 1.0 km from the account" in detail.visit_state.text())
    visit = open_visit(replica, account)
    assert visit["checkin_flag"] == "far"
    assert visit["checkin_distance_m"] == pytest.approx(1000, abs=15)
    qtbot.waitUntil(lambda: detail.visits.topLevelItemCount() == 1)
    assert detail.visits.topLevelItem(0).text(2).startswith("far — 1.0 km from the account")
    entries = detail.timeline
    timeline = [entries.topLevelItem(i).text(1) for i in range(entries.topLevelItemCount())]
    assert any("far — 1.0 km from the account" in t for t in timeline), timeline
    qtbot.waitUntil(lambda: "far — 1.0 km" in window.statusBar().currentMessage())


def test_far_threshold_is_a_setting(
    qtbot: QtBot, replica: Replica, demo: Demo, make_window: Callable[..., MainWindow]
) -> None:
    MapSettings(checkin_far_m=100.0).save(replica.data_dir)
    account = cathedral_account(replica)
    window = make_window(position=GPS(*HBF).provider())
    panel = open_account(qtbot, window, account)
    qtbot.mouseClick(panel.detail.checkin_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "far —" in panel.detail.visit_state.text())
    assert open_visit(replica, account)["checkin_flag"] == "far"  # 195 m > 100 m + accuracy


def test_no_fix_is_said_and_stored(
    qtbot: QtBot, replica: Replica, demo: Demo, make_window: Callable[..., MainWindow]
) -> None:
    account = cathedral_account(replica)
    window = make_window()
    window.ctx.position = PositionProvider(window.ctx, platform=False)
    panel = open_account(qtbot, window, account)
    qtbot.mouseClick(panel.detail.checkin_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "no position fix" in window.statusBar().currentMessage())
    visit = open_visit(replica, account)
    assert visit["checkin_flag"] == "no_fix" and visit["checkin_latitude"] is None
    qtbot.waitUntil(lambda: panel.detail.visit_state.text().endswith(" · no fix"))
    qtbot.waitUntil(lambda: panel.detail.visits.topLevelItemCount() == 1)
    assert panel.detail.visits.topLevelItem(0).text(2) == "no fix"
