"""Signing in and out from the desktop app, against the real server on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from fieldapp.store.db import Replica, open_replica
from fieldapp.sync.credentials import CREDENTIALS
from fieldapp.sync.signin import sign_in
from fieldapp.sync.transport import Transport
from fieldapp.ui import dialogs
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.signin_dialog import SignInDialog
from tests.sync.conftest import World
from tests.sync.test_sync_flow import create, ids_of, setup_two_territories
from tests.syncutil import PASSWORD, free_port


@pytest.fixture
def laptop(tmp_path: Path) -> Iterator[Replica]:
    replica = open_replica(tmp_path / "laptop")
    yield replica
    replica.close()


@pytest.fixture
def app_window(qtbot: QtBot, laptop: Replica, tmp_path: Path) -> Iterator[MainWindow]:
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    window = MainWindow(laptop, settings=settings)
    qtbot.addWidget(window)
    window.show()
    yield window
    window.shutdown()


def fill_in(dialog: SignInDialog, server: str, user: str, password: str) -> None:
    dialog.server.setText(server)
    dialog.user.setText(user)
    dialog.password.setText(password)
    dialog.ok.click()


def error_after(qtbot: QtBot, dialog: SignInDialog) -> str:
    qtbot.waitUntil(lambda: not dialog.busy and dialog.ok.isEnabled(), timeout=30_000)
    return dialog.error.text()


def test_sign_in_through_the_dialog_then_sync_and_sign_out(
    qtbot: QtBot,
    pg_world: World,
    laptop: Replica,
    app_window: MainWindow,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = pg_world
    territories = setup_two_territories(world)
    window = app_window
    made_here = create(laptop, "accounts", name="Laptop Made", territory_id=territories["north"])
    assert window.sync_menu.account_label.text() == "Not signed in"
    assert [s.toString() for s in window.sync_action.shortcuts()] == ["F9", "Ctrl+Shift+S"]

    # Sync now without a sign-in opens the dialog and says why.
    window.sync_action.trigger()
    qtbot.waitUntil(lambda: window.sync_menu.dialog is not None, timeout=10_000)
    dialog = window.sync_menu.dialog
    assert dialog is not None and dialog.isVisible()
    assert "Sign in to sync" in dialog.note.text()

    # Every mistake in words, the dialog stays open, nothing is stored.
    fill_in(dialog, "", "alice", PASSWORD)
    assert "enter the server's address" in error_after(qtbot, dialog).lower()
    fill_in(dialog, "sync.example", "alice", PASSWORD)
    assert "https://" in error_after(qtbot, dialog)
    nobody = f"http://127.0.0.1:{free_port()}"
    fill_in(dialog, nobody, "alice", PASSWORD)
    text = error_after(qtbot, dialog)
    assert text == (
        f"The server at {nobody} cannot be reached; your changes are kept and will be sent later"
    )
    fill_in(dialog, world.server.base, "alice", "wrong")
    assert "Wrong user name or password" in error_after(qtbot, dialog)
    assert dialog.isVisible() and CREDENTIALS.load(world.server.base, "alice") is None

    with qtbot.waitSignal(window.sync.finished, timeout=60_000) as synced:
        fill_in(dialog, world.server.base, "alice", PASSWORD)
    assert synced.args[0].pushed == 1
    assert window.sync_menu.dialog is None
    qtbot.waitUntil(lambda: window.sync_menu.account_label.text() == f"alice @ {world.server.base}")
    assert CREDENTIALS.where(world.server.base, "alice") == "keyring"
    assert "Synced at" in window.sync.label.text()
    qtbot.waitUntil(lambda: window.outbox_label.text() == "all changes synced")
    boss, boss_sync = world.client("boss")
    boss_sync.sync()
    assert made_here in ids_of(boss, "accounts")

    # The address and user are remembered for the next sign-in; the password is not.
    again = window.sync_menu.sign_in()
    assert (again.server.text(), again.user.text(), again.password.text()) == (
        world.server.base,
        "alice",
        "",
    )
    again.reject()

    # Sign out (confirmed): the token is forgotten, the records stay.
    monkeypatch.setattr(dialogs, "confirm", lambda *_a: True)
    window.sync_menu.sign_out_action.trigger()
    qtbot.waitUntil(
        lambda: window.sync_menu.account_label.text().startswith("Signed out"), timeout=15_000
    )
    assert CREDENTIALS.load(world.server.base, "alice") is None
    assert not window.sync_menu.sign_out_action.isEnabled()
    assert made_here in ids_of(laptop, "accounts")


def test_without_a_keyring_the_sign_in_lasts_the_run_and_says_so_once(
    qtbot: QtBot,
    pg_world: World,
    app_window: MainWindow,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = pg_world
    setup_two_territories(world)
    window = app_window
    told: list[str] = []
    window.ctx.message.connect(lambda text, _undo: told.append(text))
    monkeypatch.setattr(keyring, "get_keyring", fail.Keyring)
    try:
        for _ in range(2):
            dialog = window.sync_menu.sign_in()
            with qtbot.waitSignal(window.sync.finished, timeout=60_000):
                fill_in(dialog, world.server.base, "alice", PASSWORD)
        assert CREDENTIALS.where(world.server.base, "alice") == "memory"
        memory_notes = [t for t in told if "kept in memory until fieldapp closes" in t]
        assert len(memory_notes) == 1 and "no keyring backend" in memory_notes[0]
        qtbot.waitUntil(lambda: "until fieldapp closes" in window.sync_menu.account_label.toolTip())
    finally:
        CREDENTIALS.delete(world.server.base, "alice")


def test_a_sign_in_the_server_ended_asks_again_in_words(
    qtbot: QtBot, pg_world: World, laptop: Replica, app_window: MainWindow
) -> None:
    world = pg_world
    setup_two_territories(world)
    window = app_window
    sign_in(laptop, world.server.base, "alice", PASSWORD)
    token = CREDENTIALS.load(world.server.base, "alice")
    revoke = Transport(world.server.base, token)
    revoke.logout()  # e.g. an admin ended the session, or it expired
    revoke.close()

    with qtbot.waitSignal(window.sync.needs_sign_in, timeout=60_000):
        window.sync_action.trigger()
    qtbot.waitUntil(lambda: window.sync_menu.dialog is not None)
    dialog = window.sync_menu.dialog
    assert dialog is not None and dialog.isVisible()
    assert "The server ended your sign-in" in dialog.note.text()
    assert dialog.user.text() == "alice" and dialog.password.text() == ""
    assert CREDENTIALS.load(world.server.base, "alice") is None  # forgotten, as the CLI does
    qtbot.waitUntil(lambda: window.sync_menu.account_label.text().startswith("Signed out"))
    with qtbot.waitSignal(window.sync.finished, timeout=60_000):
        fill_in(dialog, world.server.base, "alice", PASSWORD)
