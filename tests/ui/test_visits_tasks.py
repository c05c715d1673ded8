"""Visits (check in with or without a fix, check out, past visits) and tasks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt, QTimer
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from fieldapp.store import services
from fieldapp.store.db import Replica
from fieldapp.store.types import utcnow
from fieldapp.ui import dialogs, queries, task_queries
from fieldapp.ui.accounts_panel import AccountsPanel
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.position import Fix, FixCallback, PositionProvider
from fieldapp.ui.tasks_panel import TasksPanel
from tests.ui.builders import Demo


def open_account(qtbot: QtBot, window: MainWindow, account_id: str) -> AccountsPanel:
    window.open_account(account_id)
    panel = window.current_panel()
    assert isinstance(panel, AccountsPanel)
    qtbot.waitUntil(lambda: panel.detail.checkin_button.isEnabled())
    return panel


def visits_of(replica: Replica, account_id: str) -> list[dict[str, object]]:
    with replica.read_session() as s:
        return services.list_records(s, "visits", limit=None, where={"account_id": account_id})


class FakeGPS(PositionProvider):
    def request(self, callback: FixCallback) -> None:
        QTimer.singleShot(10, lambda: callback(Fix(50.9375, 6.9603, 12.0)))


def test_check_in_without_position_source_says_no_fix(
    qtbot: QtBot, replica: Replica, demo: Demo, window: MainWindow
) -> None:
    # This machine may have a platform source (geoclue) with no daemon behind it.
    window.ctx.position = PositionProvider(window.ctx, platform=False)
    target = demo.accounts[-1]  # planned visit only, no checked-in visit yet
    panel = open_account(qtbot, window, target)
    before = utcnow()
    qtbot.mouseClick(panel.detail.checkin_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "no fix" in panel.detail.visit_state.text())
    qtbot.waitUntil(lambda: "no position fix" in window.statusBar().currentMessage())
    open_visits = [v for v in visits_of(replica, target) if v["checkin_at"]]
    assert len(open_visits) == 1
    visit = open_visits[0]
    assert isinstance(visit["checkin_at"], datetime) and visit["checkin_at"] >= before
    assert visit["checkin_latitude"] is None and visit["checkout_at"] is None
    assert panel.detail.checkout_button.isEnabled()
    assert not panel.detail.checkin_button.isEnabled()


def test_check_in_records_fix_then_check_out_with_follow_up(
    qtbot: QtBot,
    replica: Replica,
    demo: Demo,
    window: MainWindow,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window.ctx.position = FakeGPS(window.ctx)
    target = demo.accounts[-2]
    panel = open_account(qtbot, window, target)
    qtbot.mouseClick(panel.detail.checkin_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "50.93750, 6.96030" in panel.detail.visit_state.text())
    follow = (utcnow() + timedelta(days=7)).replace(microsecond=0)
    report = dialogs.VisitReport("follow_up", "Wants a quote", "Send quote", follow)
    monkeypatch.setattr(dialogs, "ask_visit_report", lambda *_a, **_k: report)
    qtbot.mouseClick(panel.detail.checkout_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.detail.checkin_button.isEnabled())
    visit = next(v for v in visits_of(replica, target) if v["checkin_at"])
    assert visit["checkin_accuracy_m"] == 12.0 and visit["checkin_latitude"] == 50.9375
    assert (visit["outcome"], visit["notes"], visit["next_step"]) == (
        "follow_up",
        "Wants a quote",
        "Send quote",
    )
    assert visit["checkout_at"] is not None
    with replica.read_session() as s:
        tasks = services.list_records(s, "tasks", limit=None, where={"visit_id": visit["id"]})
    assert [(t["title"], t["due_at"]) for t in tasks] == [("Send quote", follow)]
    qtbot.waitUntil(lambda: panel.detail.tasks.topLevelItemCount() == 1)


def test_log_past_visit(
    qtbot: QtBot,
    replica: Replica,
    demo: Demo,
    window: MainWindow,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = demo.accounts[35]
    panel = open_account(qtbot, window, target)
    when = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    report = dialogs.VisitReport("successful", "Signed", "", None, when)
    monkeypatch.setattr(dialogs, "ask_visit_report", lambda *_a, **_k: report)
    qtbot.mouseClick(panel.detail.log_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.detail.visits.topLevelItemCount() == 1)
    [visit] = visits_of(replica, target)
    assert (visit["checkin_at"], visit["outcome"], visit["notes"]) == (when, "successful", "Signed")


def tasks_panel(qtbot: QtBot, window: MainWindow) -> TasksPanel:
    panel = window.show_panel("tasks")
    assert isinstance(panel, TasksPanel)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 3)  # two overdue, one today
    return panel


def select_task(panel: TasksPanel, title: str) -> str:
    row = next(r for r in range(panel.model.rowCount()) if panel.model.index(r, 4).data() == title)
    panel.table.selectRow(row)
    task = panel.selected()
    assert task is not None
    return task.id


def test_tasks_model_passes_qtmodeltester(
    qtbot: QtBot, qtmodeltester: ModelTester, window: MainWindow
) -> None:
    panel = tasks_panel(qtbot, window)
    buckets = [panel.model.index(r, 0).data() for r in range(3)]
    assert buckets == ["overdue", "overdue", "today"]
    qtmodeltester.check(panel.model, force_py=True)
    panel.view_combo.setCurrentIndex(1)
    assert [panel.model.index(r, 4).data() for r in range(2)] == [
        "Order samples",
        "Renewal reminder",
    ]


def test_complete_task_with_undo(qtbot: QtBot, replica: Replica, window: MainWindow) -> None:
    panel = tasks_panel(qtbot, window)
    task_id = select_task(panel, "Send price list")
    qtbot.mouseClick(panel.complete_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 2)
    with replica.read_session() as s:
        task = services.get(s, "tasks", task_id)
    assert task["done"] is True and task["done_at"] is not None
    assert window.toast.trigger()  # Undo
    qtbot.waitUntil(lambda: panel.model.rowCount() == 3)
    with replica.read_session() as s:
        assert services.get(s, "tasks", task_id)["done"] is False


def test_snooze_and_reschedule(
    qtbot: QtBot, replica: Replica, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    panel = tasks_panel(qtbot, window)
    task_id = select_task(panel, "Call back about delivery")
    before = utcnow()
    qtbot.mouseClick(panel.snooze_button, Qt.MouseButton.LeftButton)

    def due() -> datetime:
        with replica.read_session() as s:
            value = services.get(s, "tasks", task_id)["due_at"]
        assert isinstance(value, datetime)
        return value

    qtbot.waitUntil(lambda: due() >= before + timedelta(minutes=59))
    new_time = datetime(2027, 1, 15, 8, 0, tzinfo=UTC)
    select_task(panel, "Send price list")
    monkeypatch.setattr(dialogs, "ask_datetime", lambda *_a: new_time)
    qtbot.mouseClick(panel.reschedule_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 2)  # both moved out of today
    with replica.read_session() as s:
        tasks = services.list_records(s, "tasks", limit=None, where={"title": "Send price list"})
    assert tasks[0]["due_at"] == new_time


def test_a_reload_keeps_the_selected_task(
    qtbot: QtBot, replica: Replica, window: MainWindow
) -> None:
    # Any change notice naming tasks reloads the list; the user's selection stays on
    # their task (before, it was lost and a click on Snooze did nothing).
    panel = tasks_panel(qtbot, window)
    chosen = select_task(panel, "Call back about delivery")
    shown = [panel.model.task(r) for r in range(panel.model.rowCount())]
    other = next(t.id for t in shown if t is not None and t.id != chosen)
    window.bg.write(lambda s: services.update(s, "tasks", other, {"title": "Renamed"}), {"tasks"})
    qtbot.waitUntil(lambda: any(panel.model.index(r, 4).data() == "Renamed" for r in range(3)))
    task = panel.selected()
    assert task is not None and task.id == chosen


def test_notification_for_task_coming_due(
    qtbot: QtBot, replica: Replica, demo: Demo, make_window: object
) -> None:
    assert callable(make_window)
    window = make_window(notify_interval_ms=50)
    assert isinstance(window, MainWindow)
    with qtbot.waitSignal(window.notifier.due, timeout=3000) as first:
        window.bg.write(
            lambda s: services.create(
                s, "tasks", {"title": "Ring Frau Weber", "due_at": utcnow() + timedelta(minutes=2)}
            ),
            {"tasks"},
        )
    assert [t.title for t in first.args[0]] == ["Ring Frau Weber"]
    qtbot.waitUntil(lambda: "Ring Frau Weber" in window.toast.label.text())
    # Announced once, not on every check.
    with qtbot.assertNotEmitted(window.notifier.due, wait=300):
        pass


def test_task_buckets_follow_the_local_day() -> None:
    now = utcnow()
    local = now.astimezone()
    midnight = datetime.combine(
        local.date() + timedelta(days=1), datetime.min.time(), tzinfo=local.tzinfo
    ).astimezone(UTC)
    dues = [now - timedelta(minutes=1), midnight - timedelta(minutes=1), midnight, None]
    if midnight - now <= timedelta(minutes=1):  # a run in the last minute of the day
        dues[1] = now + timedelta(seconds=1)
    tasks = [
        task_queries.TaskRow(str(i), "t", due, "normal", False, None, "")
        for i, due in enumerate(dues)
    ]
    assert task_queries.task_buckets(tasks, now) == ["overdue", "today", "upcoming", "someday"]
    assert [task_queries.task_bucket(due, now) for due in dues] == task_queries.task_buckets(
        tasks, now
    )


def test_today_and_reminders_read_only_the_tasks_due_in_their_span(replica: Replica) -> None:
    now = utcnow()
    with replica.session() as s:
        late, soon, later, undated = (
            services.create(s, "tasks", {"title": title, "due_at": due})
            for title, due in (
                ("late", now - timedelta(days=1)),
                ("soon", now + timedelta(minutes=10)),
                ("later", now + timedelta(days=3)),
                ("undated", None),
            )
        )
    with replica.read_session() as s:
        due_today = {t.id for t in queries.today(s).due}
        reminders = task_queries.tasks_due_between(s, now, now + timedelta(minutes=30))
        everything = {t.id for t in task_queries.open_tasks(s)}
    assert late in due_today and later not in due_today and undated not in due_today
    assert [t.id for t in reminders] == [soon]
    assert {late, soon, later, undated} <= everything
