"""The role the server gives at sign-in decides what the app shows (real server).

A manager's laptop shows no Team panel until its first sync records the role; then
Team appears with the rep's line, pulled from the server. A rep's never does.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from fieldapp.server import admin
from fieldapp.store.db import open_replica
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.team_panel import TeamPanel
from tests.sync.conftest import World
from tests.sync.test_sync_flow import create
from tests.syncutil import MemoryKeyring


def _signed_in_window(
    qtbot: QtBot, world: World, tmp_path: Path, name: str
) -> tuple[MainWindow, object]:
    replica = open_replica(tmp_path / name)
    world.app_sign_in(replica, name)
    window = MainWindow(
        replica, settings=QSettings(str(tmp_path / f"{name}.ini"), QSettings.Format.IniFormat)
    )
    qtbot.addWidget(window)
    window.show()
    return window, replica


def test_the_team_panel_follows_the_role_the_server_gives(
    qtbot: QtBot, world: World, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    world.user("mgr", "manager")
    alice = world.user("alice", "rep", "mgr")
    north = admin.add_territory(world.db, "North", None, ["N"])
    admin.assign_territory(world.db, "North", "alice")
    alice_replica, alice_sync = world.client("alice")
    create(alice_replica, "accounts", name="Nordwerk", territory_id=north, owner_id=alice)
    alice_sync.sync()

    for name, sees_team in (("alice", False), ("mgr", True)):
        window, replica = _signed_in_window(qtbot, world, tmp_path, name)
        try:
            assert window.role == "rep"  # nothing recorded before the first sync
            with qtbot.waitSignal(window.sync.finished, timeout=60_000):
                window.sync_action.trigger()
            expected = "manager" if sees_team else "rep"
            qtbot.waitUntil(lambda w=window, e=expected: w.role == e, timeout=10_000)
            titles = [
                window.sidebar.item(i).text()
                for i in range(window.sidebar.count())
                if not window.sidebar.item(i).isHidden()
            ]
            assert ("Team" in titles) is sees_team
            if sees_team:
                panel = window.panel("team")
                assert isinstance(panel, TeamPanel)
                panel.tabs.setCurrentWidget(panel.tabs.route_page)
                with qtbot.waitSignal(panel.loaded, timeout=15_000):
                    window.show_panel("team")
                (line,) = panel.model.rows
                # Never visited: overdue, as the coverage report counts it.
                assert (line.rep_id, line.label, line.accounts, line.overdue) == (
                    alice,
                    "alice",
                    1,
                    1,
                )
        finally:
            window.shutdown()
            replica.close()  # type: ignore[attr-defined]
