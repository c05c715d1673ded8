"""Syncing from the desktop app: F9 pushes and pulls, the status bar says what happened."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from fieldapp.store.db import open_replica
from fieldapp.sync import state
from fieldapp.sync.credentials import CREDENTIALS
from fieldapp.sync.transport import Transport
from fieldapp.ui.main_window import MainWindow
from tests.sync.conftest import World
from tests.sync.test_sync_flow import create, get, ids_of, setup_two_territories
from tests.syncutil import PASSWORD, MemoryKeyring


def test_sync_from_the_app(
    qtbot: QtBot, pg_world: World, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    world = pg_world
    territories = setup_two_territories(world)
    boss, boss_sync = world.client("boss")
    from_office = create(boss, "accounts", name="Office Made", territory_id=territories["north"])
    boss_sync.sync()

    # Alice's laptop, signed in as `fieldapp login` leaves it: server and user in the
    # replica, the token in the keyring.
    replica = open_replica(tmp_path / "alice")
    transport = Transport(world.server.base)
    token = transport.login("alice", PASSWORD).token
    transport.close()
    with replica.engine.begin() as conn:
        state.put(conn, "server", world.server.base)
        state.put(conn, "username", "alice")
    from_laptop = create(replica, "accounts", name="Laptop Made", territory_id=territories["north"])

    window = MainWindow(
        replica, settings=QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    )
    qtbot.addWidget(window)
    window.show()
    try:
        # Not signed in (no token): the app asks to sign in and keeps working offline.
        assert window.sync_action.shortcut().toString() == "F9"
        with qtbot.waitSignal(window.sync.needs_sign_in, timeout=30_000):
            window.sync_action.trigger()
        assert "offline" in window.sync.label.text()
        qtbot.waitUntil(lambda: window.sync_menu.dialog is not None)
        dialog = window.sync_menu.dialog
        assert dialog is not None and dialog.isVisible()
        assert "Sign in again" in dialog.note.text()
        assert (dialog.server.text(), dialog.user.text()) == (world.server.base, "alice")
        dialog.reject()

        CREDENTIALS.save(world.server.base, "alice", token)
        with qtbot.waitSignal(window.sync.finished, timeout=60_000) as done:
            window.sync_action.trigger()
        report = done.args[0]
        assert report.pushed == 1 and report.pulled >= 1
        label = window.sync.label.text()
        assert "Synced at" in label and "Sent 1 change" in label
        assert ids_of(replica, "accounts") == {from_office, from_laptop}
        qtbot.waitUntil(lambda: window.outbox_label.text() == "all changes synced")
        # The office sees what the laptop made.
        boss_sync.sync()
        assert get(boss, "accounts", from_laptop)["name"] == "Laptop Made"
    finally:
        window.shutdown()
        replica.close()
