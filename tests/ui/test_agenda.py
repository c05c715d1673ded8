"""The Agenda panel driven as a rep drives it: real widgets offscreen over a replica file."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from fieldapp.store import agenda, scheduling, services
from fieldapp.store.db import Replica, open_replica
from fieldapp.store.types import utcnow
from fieldapp.ui import schedule_dialog
from fieldapp.ui.agenda_due import ACCOUNT_ROLE
from fieldapp.ui.agenda_layout import moment_at
from fieldapp.ui.agenda_panel import DUE_RELOAD_MS, AgendaPanel
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.schedule_dialog import ScheduleDialog, ScheduleRequest
from tests.ui.builders import Demo


def agenda_panel(qtbot: QtBot, window: MainWindow) -> AgendaPanel:
    panel = window.show_panel("agenda")
    assert isinstance(panel, AgendaPanel)
    qtbot.waitUntil(lambda: panel.shown_start is not None and panel.due_total is not None)
    return panel


def stored(replica: Replica, visit_id: str) -> dict[str, Any]:
    with replica.read_session() as s:
        return services.get(s, "visits", visit_id)


def planned_today(replica: Replica, demo: Demo) -> list[dict[str, Any]]:
    with replica.read_session() as s:
        rows = [
            v
            for aid in demo.accounts[-4:]
            for v in services.list_records(s, "visits", where={"account_id": aid})
        ]
    return sorted(rows, key=lambda v: v["planned_start"])


def slot_point(panel: AgendaPanel, day: int, minutes: int) -> QPoint:
    """Where the calendar shows ``minutes`` past midnight of its ``day``-th day."""
    view = panel.view
    x = view.look.gutter_px + (day + 0.5) * view.day_width()
    y = minutes * view.px_per_minute() - view.verticalScrollBar().value()
    assert 0 <= y < view.viewport().height(), "scroll the calendar there first"
    return QPoint(int(x), int(y))


def no_question(*_args: object) -> None:
    raise AssertionError("no dialog was expected here")


def local_today_at(hour: int, minute: int = 0) -> datetime:
    return moment_at(agenda.local_today(), hour * 60 + minute)


def test_week_shows_the_planned_visits_and_tasks_with_today_marked(
    qtbot: QtBot, replica: Replica, demo: Demo, window: MainWindow
) -> None:
    panel = agenda_panel(qtbot, window)
    today = agenda.local_today()
    assert panel.view.days[0] == agenda.week_start(today) and len(panel.view.days) == 7
    assert today in panel.view.days
    planned = {v["id"] for v in planned_today(replica, demo)}
    assert planned <= set(panel.view.visits)
    assert all(panel.view.layout_.item("visit", vid) for vid in planned)
    assert "Week " in panel.range_label.text()
    # Tasks due this week are there too (the demo has some due today and in three days).
    with replica.read_session() as s:
        week = agenda.agenda_for(s, today, week=True)
    assert {t.id for t in week.tasks} == set(panel.view.tasks)


def test_navigation_by_buttons_and_keys(qtbot: QtBot, window: MainWindow) -> None:
    panel = agenda_panel(qtbot, window)
    monday = agenda.week_start(agenda.local_today())
    view = panel.view
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: panel.shown_start == monday + timedelta(days=7))
    qtbot.mouseClick(panel.prev_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(panel.prev_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.shown_start == monday - timedelta(days=7))
    qtbot.keyClick(view, Qt.Key.Key_T)
    qtbot.waitUntil(lambda: panel.shown_start == monday)
    qtbot.keyClick(view, Qt.Key.Key_D)
    qtbot.waitUntil(lambda: panel.shown_start == agenda.local_today() and len(view.days) == 1)
    assert panel.day_button.isChecked()
    qtbot.keyClick(view, Qt.Key.Key_Left)
    yesterday = agenda.local_today() - timedelta(days=1)
    qtbot.waitUntil(lambda: panel.shown_start == yesterday)
    qtbot.keyClick(view, Qt.Key.Key_W)
    qtbot.waitUntil(lambda: len(view.days) == 7 and panel.week_button.isChecked())


def test_schedule_by_double_clicking_a_slot(
    qtbot: QtBot,
    replica: Replica,
    demo: Demo,
    window: MainWindow,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    panel = agenda_panel(qtbot, window)
    panel.set_week(False)
    qtbot.waitUntil(lambda: len(panel.view.days) == 1)
    asked: list[datetime] = []

    def answer(_parent: object, _bg: object, start: datetime, account: object) -> ScheduleRequest:
        asked.append(start)
        return ScheduleRequest(demo.accounts[5], start, 60, 14)

    monkeypatch.setattr(schedule_dialog, "ask_schedule", answer)
    monkeypatch.setattr(schedule_dialog, "ask_visit_times", no_question)
    view = panel.view
    view.scroll_to_minutes(14 * 60)
    # Free time after 13:00 (no demo visit is planned then); the demo's tasks fall due
    # relative to now, so take the first quarter hour from 15:15 with nothing on it.
    minute = next(
        m for m in range(15 * 60 + 20, 18 * 60, 15) if view.item_at(slot_point(panel, 0, m)) is None
    )
    slot = local_today_at(minute // 60, minute % 60 - 5)
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=slot_point(panel, 0, minute))
    assert asked == [slot]
    qtbot.waitUntil(lambda: any(v.account_id == demo.accounts[5] for v in view.visits.values()))
    with replica.read_session() as s:
        [visit] = services.list_records(
            s, "visits", where={"account_id": demo.accounts[5], "checkin_at": None}
        )
        account = services.get(s, "accounts", demo.accounts[5])
    assert visit["planned_start"] == slot
    assert visit["planned_end"] - visit["planned_start"] == timedelta(minutes=60)
    assert account["visit_frequency_days"] == 14
    assert view.selected == ("visit", visit["id"])
    qtbot.waitUntil(lambda: "scheduled" in window.statusBar().currentMessage())
    assert window.toast.trigger()  # undo: the visit goes again
    qtbot.waitUntil(lambda: visit["id"] not in view.visits)


def test_schedule_dialog_finds_the_account_as_you_type(
    qtbot: QtBot, replica: Replica, demo: Demo, window: MainWindow
) -> None:
    with replica.read_session() as s:
        target = services.get(s, "accounts", demo.accounts[7])
    start = local_today_at(10)
    dialog = ScheduleDialog(window, window.bg, start)
    qtbot.addWidget(dialog)
    assert not dialog.ok.isEnabled()  # no account yet
    qtbot.keyClicks(dialog.search, target["name"])
    qtbot.waitUntil(lambda: dialog.matches.count() >= 1 and dialog.account is not None)
    assert dialog.account is not None and dialog.account.id == target["id"]
    assert target["name"] in dialog.chosen.text() and dialog.ok.isEnabled()
    expected = {"customer": 45, "prospect": 30, "partner": 60}[target["type"]]
    assert dialog.minutes.value() == expected  # by the account's type
    dialog.repeat.setChecked(True)
    dialog.weeks.setValue(3)
    dialog.when.setFocus()
    request = dialog.request()
    assert request == ScheduleRequest(target["id"], start, expected, 21)
    dialog.search.setText("zzzz-nothing")
    qtbot.waitUntil(
        lambda: dialog.matches.count() == 1 and "No account" in dialog.matches.item(0).text()
    )


def drag(qtbot: QtBot, panel: AgendaPanel, start: QPoint, end: QPoint) -> None:
    viewport = panel.view.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start)
    steps = 6
    for i in range(1, steps + 1):
        qtbot.mouseMove(viewport, start + (end - start) * (i / steps))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=end)


def test_drag_moves_a_visit_snapped_to_a_quarter_hour_with_undo(
    qtbot: QtBot, replica: Replica, demo: Demo, window: MainWindow
) -> None:
    panel = agenda_panel(qtbot, window)
    first = planned_today(replica, demo)[0]
    view = panel.view
    qtbot.waitUntil(lambda: view.point_of("visit", first["id"]) is not None)
    centre = view.point_of("visit", first["id"])
    assert centre is not None
    today = view.days.index(agenda.local_today())
    step = 1 if today < 6 else -1  # a day on, or back on a Sunday
    # Two hours and 4 minutes down (the 4 snap away) and one day across.
    target = centre + QPoint(int(view.day_width() * step), int(124 * view.px_per_minute()))
    drag(qtbot, panel, centre, target)
    moved_to = first["planned_start"] + timedelta(days=step, hours=2)
    qtbot.waitUntil(lambda: stored(replica, first["id"])["planned_start"] == moved_to)
    row = stored(replica, first["id"])
    assert (
        row["planned_end"] - row["planned_start"] == first["planned_end"] - first["planned_start"]
    )
    assert view.visits[first["id"]].start == moved_to
    qtbot.waitUntil(lambda: "Moved" in window.statusBar().currentMessage())
    with replica.read_session() as s:
        from fieldapp.store.models import Outbox

        changes = [o.changes for o in s.query(Outbox).filter(Outbox.row_id == first["id"]).all()]
    assert any("planned_start" in c for c in changes)  # it will sync
    assert window.toast.trigger()  # Undo
    qtbot.waitUntil(lambda: stored(replica, first["id"])["planned_start"] == first["planned_start"])


def test_resize_and_keyboard_change_a_visit(
    qtbot: QtBot, replica: Replica, demo: Demo, window: MainWindow
) -> None:
    panel = agenda_panel(qtbot, window)
    visit = planned_today(replica, demo)[1]
    view = panel.view
    qtbot.waitUntil(lambda: view.layout_.item("visit", visit["id"]) is not None)
    placed = view.layout_.item("visit", visit["id"])
    assert placed is not None
    rect = view.item_rect(placed)
    bottom = QPoint(int(rect.center().x()), int(rect.bottom()) - 2)
    drag(qtbot, panel, bottom, bottom + QPoint(0, int(30 * view.px_per_minute())))
    longer = visit["planned_end"] + timedelta(minutes=30)
    qtbot.waitUntil(lambda: stored(replica, visit["id"])["planned_end"] == longer)
    assert stored(replica, visit["id"])["planned_start"] == visit["planned_start"]
    # Selected by the press; Shift+Down moves it a quarter of an hour later.
    assert view.selected == ("visit", visit["id"])
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    later = visit["planned_start"] + timedelta(minutes=15)
    qtbot.waitUntil(lambda: stored(replica, visit["id"])["planned_start"] == later)
    assert stored(replica, visit["id"])["planned_end"] == longer + timedelta(minutes=15)


def test_a_checked_in_visit_does_not_move(
    qtbot: QtBot, replica: Replica, demo: Demo, window: MainWindow
) -> None:
    visit = planned_today(replica, demo)[0]
    with replica.session() as s:
        scheduling.check_in(s, visit["account_id"], visit_id=visit["id"])
    panel = agenda_panel(qtbot, window)
    panel.refresh()  # written behind the app's back: no change notice
    view = panel.view
    qtbot.waitUntil(lambda: view.visits[visit["id"]].checkin_at is not None)
    centre = view.point_of("visit", visit["id"])
    assert centre is not None
    drag(qtbot, panel, centre, centre + QPoint(0, 100))
    qtbot.wait(50)
    assert stored(replica, visit["id"])["planned_start"] == visit["planned_start"]
    assert not panel.edit_button.isEnabled() and not panel.cancel_button.isEnabled()


def test_cancel_a_planned_visit_with_undo(
    qtbot: QtBot, replica: Replica, demo: Demo, window: MainWindow
) -> None:
    panel = agenda_panel(qtbot, window)
    visit = planned_today(replica, demo)[2]
    panel.view.select("visit", visit["id"])
    qtbot.keyClick(window, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: visit["id"] not in panel.view.visits)
    with replica.read_session() as s:
        gone = services.list_records(s, "visits", where={"id": visit["id"]})
    assert gone == []  # a tombstone
    assert window.toast.trigger()
    qtbot.waitUntil(lambda: visit["id"] in panel.view.visits)


def test_check_in_to_a_planned_visit_from_the_agenda_plans_the_next(
    qtbot: QtBot, replica: Replica, demo: Demo, window: MainWindow
) -> None:
    visit = planned_today(replica, demo)[3]
    with replica.session() as s:
        services.update(s, "accounts", visit["account_id"], {"visit_frequency_days": "2w"})
    panel = agenda_panel(qtbot, window)
    panel.refresh()
    qtbot.waitUntil(lambda: visit["id"] in panel.view.visits)
    panel.view.select("visit", visit["id"])
    assert panel.checkin_button.isEnabled()
    qtbot.mouseClick(panel.checkin_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.view.visits[visit["id"]].checkin_at is not None)
    row = stored(replica, visit["id"])  # the same record: the plan became the visit
    assert row["checkin_at"] is not None and row["planned_start"] == visit["planned_start"]
    qtbot.waitUntil(lambda: stored(replica, visit["id"])["checkin_flag"] == "no_fix")
    with replica.read_session() as s:
        later = [
            v
            for v in services.list_records(s, "visits", where={"account_id": visit["account_id"]})
            if v["id"] != visit["id"]
        ]
    [nxt] = later
    assert nxt["planned_start"].astimezone() == (
        visit["planned_start"] + timedelta(days=14)
    ).astimezone().replace(hour=visit["planned_start"].astimezone().hour)
    qtbot.waitUntil(lambda: "next visit planned" in window.statusBar().currentMessage())
    panel.go_next()
    panel.go_next()
    qtbot.waitUntil(lambda: nxt["id"] in panel.view.visits)


def test_due_list_schedules_an_overdue_account(
    qtbot: QtBot,
    qtmodeltester: ModelTester,
    replica: Replica,
    demo: Demo,
    window: MainWindow,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Weekly accounts last visited more than a week ago are due.
    with replica.read_session() as s:
        visited = {aid: services.last_visit_at(s, aid) for aid in demo.accounts[:30]}
    overdue = [aid for aid, last in visited.items() if last and utcnow() - last > timedelta(days=8)]
    with replica.session() as s:
        for aid in overdue[:5]:
            services.update(s, "accounts", aid, {"visit_frequency_days": 7})
    panel = agenda_panel(qtbot, window)
    panel.refresh()
    qtbot.waitUntil(lambda: panel.due_total == 5)
    model = panel.due_model
    qtmodeltester.check(model, force_py=True)
    listed = [model.index(r).data(ACCOUNT_ROLE) for r in range(model.rowCount())]
    assert set(listed) == set(overdue[:5])
    by_due = sorted(overdue[:5], key=lambda a: visited[a])  # longest ago first
    assert listed == by_due
    assert "Due for a visit (5)" in panel.due_heading.text()
    assert "day" in model.index(0).data() and "overdue" in model.index(0).data()
    asked: list[Any] = []

    def answer(_p: object, _bg: object, start: datetime, account: Any) -> ScheduleRequest:
        asked.append(account)
        return ScheduleRequest(account.id, start, 30, None)

    monkeypatch.setattr(schedule_dialog, "ask_schedule", answer)
    panel.due_list.activated.emit(model.index(0))
    qtbot.waitUntil(lambda: len(asked) == 1)
    assert asked[0].id == listed[0]
    qtbot.waitUntil(lambda: panel.due_total == 4)  # planned now, so no longer due


def test_agenda_survives_a_restart(
    qtbot: QtBot, replica: Replica, demo: Demo, settings: QSettings, data_dir: Any
) -> None:
    first = planned_today(replica, demo)[0]
    window = MainWindow(replica, settings=settings)
    window.show()
    panel = agenda_panel(qtbot, window)
    new_start = first["planned_start"] + timedelta(hours=5)
    panel.move_visit(first["id"], new_start, new_start + timedelta(minutes=45))
    qtbot.waitUntil(lambda: stored(replica, first["id"])["planned_start"] == new_start)
    panel.set_week(False)
    qtbot.waitUntil(lambda: len(panel.view.days) == 1)
    qtbot.waitUntil(lambda: window.bg.pending() == 0)
    window.close()  # saves the layout and drains the background work
    window.deleteLater()
    replica.close()

    reopened = open_replica(data_dir)
    try:
        again = MainWindow(reopened, settings=settings)
        again.show()
        assert again.current_panel() is again.panel("agenda")
        panel = agenda_panel(qtbot, again)
        assert len(panel.view.days) == 1 and panel.day_button.isChecked()
        qtbot.waitUntil(lambda: first["id"] in panel.view.visits)
        shown = panel.view.visits[first["id"]]
        assert shown.start == new_start and shown.minutes == 45
        qtbot.waitUntil(lambda: again.bg.pending() == 0)
        again.close()
        again.deleteLater()
    finally:
        reopened.close()


def test_check_in_from_today(
    qtbot: QtBot, replica: Replica, demo: Demo, window: MainWindow
) -> None:
    from fieldapp.ui.today_panel import VISIT_ROLE, TodayPanel

    today = window.panel("today")
    assert isinstance(today, TodayPanel)
    qtbot.waitUntil(lambda: today.planned.count() == 4)
    assert not today.checkin_button.isEnabled()
    today.planned.setCurrentRow(1)
    visit_id = today.planned.item(1).data(VISIT_ROLE)
    assert visit_id and today.checkin_button.isEnabled()
    qtbot.mouseClick(today.checkin_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "(checked in)" in today.planned.item(1).text())
    assert stored(replica, visit_id)["checkin_at"] is not None
    with replica.read_session() as s:
        account_visits = services.list_records(
            s, "visits", where={"account_id": stored(replica, visit_id)["account_id"]}
        )
    assert len(account_visits) == 1  # no second visit: the plan was checked in


def test_account_view_schedules_and_shows_the_visit_plan(
    qtbot: QtBot,
    replica: Replica,
    demo: Demo,
    window: MainWindow,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from fieldapp.ui.accounts_panel import AccountsPanel

    planned = planned_today(replica, demo)[0]
    window.open_account(planned["account_id"])
    accounts = window.current_panel()
    assert isinstance(accounts, AccountsPanel)
    detail = accounts.detail
    hhmm = planned["planned_start"].astimezone().strftime("%H:%M")
    qtbot.waitUntil(lambda: detail.checkin_button.text() == f"Check in ({hhmm})")
    assert "next visit planned" in detail.visit_plan.text()
    # An account visited long ago and with nothing planned says it is due.
    with replica.read_session() as s:
        old = next(
            a
            for a in demo.accounts[:30]
            if utcnow() - (services.last_visit_at(s, a) or utcnow()) > timedelta(days=20)
        )
    with replica.session() as s:
        services.update(s, "accounts", old, {"visit_frequency_days": 14})
    window.open_account(old)
    qtbot.waitUntil(lambda: "due for a visit since" in detail.visit_plan.text())
    assert "every 2 weeks" in detail.visit_plan.text()
    qtbot.waitUntil(lambda: detail.form.text("visit_frequency_days") == "14")  # its own read

    def answer(_p: object, _bg: object, start: datetime, account: Any) -> ScheduleRequest:
        assert account.id == old
        return ScheduleRequest(old, start, 45, None)

    monkeypatch.setattr(schedule_dialog, "ask_schedule", answer)
    qtbot.mouseClick(detail.schedule_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "next visit planned" in detail.visit_plan.text())
    qtbot.waitUntil(lambda: detail.visits.topLevelItemCount() >= 2)
    statuses = [
        detail.visits.topLevelItem(i).text(1) for i in range(detail.visits.topLevelItemCount())
    ]
    assert "planned" in statuses


def test_bad_frequency_is_refused_at_the_field(
    qtbot: QtBot, demo: Demo, window: MainWindow
) -> None:
    from fieldapp.ui.accounts_panel import AccountsPanel

    window.open_account(demo.accounts[0])
    accounts = window.current_panel()
    assert isinstance(accounts, AccountsPanel)
    form = accounts.detail.form
    qtbot.waitUntil(lambda: form.text("name") != "")
    form.editors["visit_frequency_days"].setText("every fortnight")  # type: ignore[union-attr]
    assert not form.check_field("visit_frequency_days")
    assert "4w or 30d" in form.error_text("visit_frequency_days")
    form.editors["visit_frequency_days"].setText("2w")  # type: ignore[union-attr]
    assert form.check_field("visit_frequency_days")


def test_today_is_the_signed_in_users_day(replica: Replica, demo: Demo) -> None:
    """On a replica that holds a team's records, Today lists only its user's visits and tasks
    (and those made before anyone signed in), like the agenda."""
    from sqlalchemy import text

    from fieldapp.ui import queries, task_queries

    visits = planned_today(replica, demo)
    tasks_due = local_today_at(9)
    me, colleague = "00000000-0000-4000-8000-00000000000a", "00000000-0000-4000-8000-00000000000b"
    with replica.session() as s:
        s.execute(text("INSERT INTO sync_state (key, value) VALUES ('user_id', :u)"), {"u": me})
        services.update(s, "visits", visits[0]["id"], {"owner_id": me})
        services.update(s, "visits", visits[1]["id"], {"owner_id": colleague})
        mine = services.create(s, "tasks", {"title": "mine", "due_at": tasks_due, "owner_id": me})
        theirs = services.create(
            s, "tasks", {"title": "theirs", "due_at": tasks_due, "owner_id": colleague}
        )
    with replica.read_session() as s:
        day = queries.today(s)
        reminders = task_queries.tasks_due_between(
            s, tasks_due - timedelta(minutes=1), tasks_due + timedelta(minutes=1)
        )
        everything = task_queries.open_tasks(s)
    shown = {v.id for v in day.planned}
    assert visits[0]["id"] in shown and visits[1]["id"] not in shown
    assert {v["id"] for v in visits[2:]} <= shown  # no owner yet: the device user's
    due = {t.id for t in day.due}
    assert mine in due and theirs not in due
    assert {t.id for t in reminders} & {mine, theirs} == {mine}
    assert {mine, theirs} <= {t.id for t in everything}  # the Tasks panel still lists all


def test_closing_the_window_stops_the_due_lists_reload(qtbot: QtBot, window: MainWindow) -> None:
    """A change notice arms the due list's reload timer; the window closing meanwhile
    must not start that read on a replica about to close."""
    panel = agenda_panel(qtbot, window)
    qtbot.waitUntil(lambda: window.bg.pending() == 0)
    panel.refresh()  # what a visits notice does: the week now, the due list in 250 ms
    window.close()
    taken = window.bg.submitted
    qtbot.wait(DUE_RELOAD_MS * 3)
    assert window.bg.submitted == taken
