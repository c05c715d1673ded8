"""The main window: panels, status bar, shortcuts, remembered layout, data dir errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from fieldapp.store import demo as demo_data
from fieldapp.store import services
from fieldapp.store.db import DB_FILENAME, Replica, open_replica
from fieldapp.ui import dialogs
from fieldapp.ui.app import open_or_ask, run_app, warn_if_unprotected
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.panels import PANELS
from fieldapp.ui.today_panel import ACCOUNT_ROLE, TodayPanel
from tests.ui.builders import Demo
from tests.ui.conftest import drain


def test_window_opens_on_today_with_counts(qtbot: QtBot, window: MainWindow) -> None:
    assert [s.key for s in PANELS] == [
        "today",
        "agenda",
        "accounts",
        "contacts",
        "leads",
        "pipeline",
        "tasks",
        "map",
        "reports",
        "team",
        "admin",
        "conflicts",
        "refused",
        "rules",
    ]
    # Ctrl+1 … Ctrl+9, Ctrl+0 in sidebar order (the README's shortcut table), over the
    # panels a rep sees (nobody has signed in to this replica): Team is a manager's,
    # Admin an admin's.
    shown = [spec for spec in PANELS if "rep" in spec.roles]
    assert [spec.key for spec in PANELS if spec not in shown] == ["team", "admin"]
    keys = [f"Ctrl+{i % 10}" if i <= 10 else "" for i in range(1, len(shown) + 1)]
    assert [(a.text(), a.shortcut().toString()) for a in window.panel_actions if a.isVisible()] == [
        (spec.title, key) for spec, key in zip(shown, keys, strict=True)
    ]
    assert window.current_panel() is window.panel("today")
    qtbot.waitUntil(lambda: "40 accounts" in window.counts_label.text())
    assert "12 leads" in window.counts_label.text()
    assert "not yet synced" in window.outbox_label.text()
    today = window.panel("today")
    assert isinstance(today, TodayPanel)
    qtbot.waitUntil(lambda: today.planned.count() == 4)
    due = [today.due.item(i).text() for i in range(today.due.count())]
    assert any("Send price list" in t for t in due)  # overdue
    assert any("Call back about delivery" in t for t in due)
    assert not any("Renewal reminder" in t for t in due)  # ten days away
    assert today.recent.count() > 0


def test_a_demo_sandbox_says_so_instead_of_a_sync_count(
    qtbot: QtBot, make_window: Callable[..., MainWindow], replica: Replica
) -> None:
    with replica.session() as session:
        demo_data.generate(session, accounts=30, seed=2)
    window = make_window()
    qtbot.waitUntil(lambda: "30 accounts" in window.counts_label.text())
    assert window.outbox_label.text() == "demo sandbox · nothing here is sent to a server"
    assert "demo sandbox" in window.windowTitle()


def test_recent_activity_names_and_opens_the_account(
    qtbot: QtBot, window: MainWindow, demo: Demo
) -> None:
    today = window.panel("today")
    assert isinstance(today, TodayPanel)
    qtbot.waitUntil(lambda: today.recent.count() > 0)
    items = [today.recent.item(i) for i in range(today.recent.count())]
    note = next(i for i in items if "asked about Q3 prices" in i.text())
    account_id = note.data(ACCOUNT_ROLE)
    assert account_id in demo.accounts
    with window.replica.read_session() as s:
        name = services.get(s, "accounts", account_id)["name"]
    assert f"Note on {name}:" in note.text()
    today.recent.itemActivated.emit(note)
    accounts = window.panel("accounts")
    assert window.current_panel() is accounts
    qtbot.waitUntil(lambda: accounts.detail.account_id == account_id)  # type: ignore[attr-defined]


def test_shortcuts_switch_panels_and_focus_search(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.current_panel() is window.panel("agenda")
    qtbot.keyClick(window, Qt.Key.Key_6, Qt.KeyboardModifier.ControlModifier)
    pipeline = window.panel("pipeline")
    assert window.current_panel() is pipeline
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.current_panel() is pipeline  # the board has its own search
    assert pipeline.search.hasFocus()  # type: ignore[attr-defined]
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    accounts = window.panel("accounts")
    assert window.current_panel() is accounts
    assert accounts.search.hasFocus()  # type: ignore[attr-defined]


def test_layout_is_remembered(
    qtbot: QtBot, make_window: Callable[..., MainWindow], demo: Demo, settings: QSettings
) -> None:
    first = make_window()
    first.resize(1100, 720)
    first.show_panel("leads")
    first.shutdown()
    second = make_window()
    assert second.current_panel() is second.panel("leads")
    # The offscreen screen is small, so Qt may clamp the width; the height is ours.
    assert second.height() == 720 != 800
    assert settings.value("window/panel") == "leads"


def test_damaged_data_dir_offers_another_or_quit(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / DB_FILENAME).write_bytes(b"this is not a database" * 100)
    messages: list[str] = []

    def quit_(message: str, _d: Path) -> Path | None:
        messages.append(message)
        return None

    assert open_or_ask(bad, quit_) is None
    assert "damaged" in messages[0]
    good = tmp_path / "good"
    replica = open_or_ask(bad, lambda _m, _d: good)
    assert replica is not None and replica.data_dir == good
    replica.close()
    assert (bad / DB_FILENAME).read_bytes().startswith(b"this is not")  # left untouched


def test_run_app_opens_and_closes(
    qtbot: QtBot, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What `fieldapp` with no subcommand runs, on a fresh data dir."""
    shown: list[MainWindow] = []

    def close_soon() -> None:
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
        if windows and windows[0].isVisible():
            shown.append(windows[0])
            windows[0].close()
        else:
            QTimer.singleShot(50, close_soon)

    QTimer.singleShot(50, close_soon)
    assert run_app(data_dir) == 0
    assert shown and (data_dir / "fieldapp-ui.ini").exists()
    assert (data_dir / "fieldapp-ui.ini").stat().st_mode & 0o077 == 0  # private, as the replica
    assert (data_dir / DB_FILENAME).exists()


def test_run_app_quits_when_data_dir_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / DB_FILENAME).write_bytes(b"garbage" * 1000)
    asked: list[str] = []
    monkeypatch.setattr(dialogs, "data_dir_problem", lambda _p, message, _d: asked.append(message))
    assert run_app(bad) == 1
    assert "damaged" in asked[0]


def test_an_unencrypted_replica_is_flagged_once_at_start(
    qtbot: QtBot,
    tmp_path: Path,
    settings: QSettings,
    window: MainWindow,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert warn_if_unprotected(window) is None  # encrypted (the suite has a keyring)
    assert window.statusBar().findChild(QLabel, "unprotected") is None
    with monkeypatch.context() as m:
        m.setattr(keyring, "get_keyring", fail.Keyring)
        replica = open_replica(tmp_path / "plain")
    plain = MainWindow(replica, settings=settings)
    qtbot.addWidget(plain)
    plain.show()
    mark = warn_if_unprotected(plain)
    assert mark is not None and mark.text() == "Not encrypted"
    assert "no keyring backend" in mark.toolTip() and "fieldapp doctor" in mark.toolTip()
    assert plain.statusBar().findChild(QLabel, "unprotected") is mark
    assert "the replica is not encrypted" in plain.toast.label.text()
    drain(qtbot, plain.bg)
    plain.shutdown()
    replica.close()
