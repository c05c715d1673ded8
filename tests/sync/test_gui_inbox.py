"""The conflict inbox and the refused changes in the desktop app, against the real server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QLabel, QLineEdit, QRadioButton
from pytestqt.qtbot import QtBot

from fieldapp.store import services
from fieldapp.store.db import Replica, open_replica
from fieldapp.sync.engine import conflict_rows
from fieldapp.sync.signin import sign_in
from fieldapp.ui.conflicts_panel import ConflictsPanel
from fieldapp.ui.main_window import MainWindow
from tests.sync.conftest import World
from tests.sync.test_sync_flow import create, get, ids_of, setup_two_territories, update
from tests.syncutil import PASSWORD


@pytest.fixture
def alice_window(
    qtbot: QtBot, pg_world: World, tmp_path: Path
) -> Iterator[tuple[World, Replica, MainWindow]]:
    """Alice's laptop, signed in, in the app (the territories set up)."""
    territories = setup_two_territories(pg_world)
    pg_world.territories = territories  # type: ignore[attr-defined]
    replica = open_replica(tmp_path / "alice")
    sign_in(replica, pg_world.server.base, "alice", PASSWORD)
    window = MainWindow(
        replica, settings=QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    )
    qtbot.addWidget(window)
    window.show()
    try:
        yield pg_world, replica, window
    finally:
        window.shutdown()
        replica.close()


def sync_in_app(qtbot: QtBot, window: MainWindow) -> object:
    with qtbot.waitSignal(window.sync.finished, timeout=60_000) as done:
        window.sync_action.trigger()
    return done.args[0]


def texts(panel: ConflictsPanel, name: str) -> list[str]:
    return [w.text() for w in panel.grid_host.findChildren(QLabel, name)]


def test_resolve_conflicts_from_the_inbox(
    qtbot: QtBot, alice_window: tuple[World, Replica, MainWindow]
) -> None:
    world, alice, window = alice_window
    north = world.territories["north"]  # type: ignore[attr-defined]
    boss, boss_sync = world.client("boss")
    acc = create(boss, "accounts", name="Acme", city="Leeds", territory_id=north)
    boss_sync.sync()
    sync_in_app(qtbot, window)
    assert get(alice, "accounts", acc)["city"] == "Leeds"

    update(alice, "accounts", acc, city="York", name="Acme Ltd")
    update(boss, "accounts", acc, city="Hull", name="Acme Group")
    boss_sync.sync()
    report = sync_in_app(qtbot, window)
    assert report.conflicts == 2  # type: ignore[attr-defined]

    panel = window.show_panel("conflicts")
    assert isinstance(panel, ConflictsPanel)
    qtbot.waitUntil(lambda: panel.records.count() == 1 and len(panel.choices) == 2)
    assert "Account: Acme Group" in panel.records.item(0).text()
    # Base, mine and theirs side by side, per field (in the order the conflicts came).
    by_field = {c.item.field: c for c in panel.choices}
    assert set(by_field) == {"city", "name"}
    columns = (texts(panel, "base"), texts(panel, "mine"), texts(panel, "theirs"))
    rows = list(zip(*columns, strict=True))
    assert sorted(rows) == [("Acme", "Acme Ltd", "Acme Group"), ("Leeds", "York", "Hull")]

    # Keep mine for the city; type a merged name.
    city, name = by_field["city"], by_field["name"]
    keep_mine = city.group.button(0)
    assert isinstance(keep_mine, QRadioButton) and keep_mine.isChecked()  # the default
    assert isinstance(name.typed, QLineEdit) and name.typed.text() == "Acme Ltd"
    qtbot.keyClicks(name.typed, " & Group")
    assert name.group.checkedId() == 2  # typing chose "Type:"
    with qtbot.waitSignal(window.sync.finished, timeout=60_000):
        panel.resolve_button.click()
    qtbot.waitUntil(lambda: panel.records.count() == 0)
    assert "No conflicts" in panel.empty.hint()

    for replica in (alice,):
        row = get(replica, "accounts", acc)
        assert (row["city"], row["name"]) == ("York", "Acme Ltd & Group")
    boss_sync.sync()
    row = get(boss, "accounts", acc)
    assert (row["city"], row["name"]) == ("York", "Acme Ltd & Group")
    assert conflict_rows(alice) == [] and conflict_rows(boss) == []


def test_a_decision_made_offline_waits_and_can_be_taken_back(
    qtbot: QtBot, alice_window: tuple[World, Replica, MainWindow]
) -> None:
    world, alice, window = alice_window
    north = world.territories["north"]  # type: ignore[attr-defined]
    boss, boss_sync = world.client("boss")
    acc = create(boss, "accounts", name="Offline Co", city="Leeds", territory_id=north)
    boss_sync.sync()
    sync_in_app(qtbot, window)
    update(alice, "accounts", acc, city="York")
    update(boss, "accounts", acc, city="Hull")
    boss_sync.sync()
    sync_in_app(qtbot, window)

    panel = window.show_panel("conflicts")
    assert isinstance(panel, ConflictsPanel)
    qtbot.waitUntil(lambda: len(panel.choices) == 1)
    world.server.stop()  # offline from here
    panel.choices[0].group.button(1).click()  # keep theirs
    with qtbot.waitSignal(window.sync.failed, timeout=60_000) as failed:
        panel.resolve_button.click()
    assert failed.args[0] == (
        f"The server at {world.server.base} cannot be reached; "
        "your changes are kept and will be sent later"
    )
    qtbot.waitUntil(lambda: "decided, not sent yet" in panel.records.item(0).text())
    assert "keep theirs" in panel.state.text()
    assert [c["resolution"] for c in conflict_rows(alice)] == ["theirs"]
    assert panel.take_back_button.isVisible()
    panel.take_back_button.click()
    qtbot.waitUntil(lambda: "decided" not in panel.records.item(0).text())
    assert [c["resolution"] for c in conflict_rows(alice)] == [None]


def test_automatic_sync_is_off_by_default_and_skips_an_unreachable_server(
    qtbot: QtBot, alice_window: tuple[World, Replica, MainWindow]
) -> None:
    world, alice, window = alice_window
    north = world.territories["north"]  # type: ignore[attr-defined]
    menu = window.sync_menu
    assert not window.sync.timer.isActive() and menu.auto_actions[0].isChecked()

    # Every 5 minutes (a 300 ms period here): the laptop's work goes without F9.
    made = create(alice, "accounts", name="Auto Sent", territory_id=north)
    menu.auto_actions[5].trigger()
    assert window.settings.value("sync/auto_minutes") in (5, "5")
    window.sync.set_auto_minutes(5, interval_ms=300)
    with qtbot.waitSignal(window.sync.finished, timeout=60_000):
        pass
    boss, boss_sync = world.client("boss")
    boss_sync.sync()
    assert get(boss, "accounts", made)["name"] == "Auto Sent"

    # Offline: the timer's runs find the server unreachable and neither sync nor nag.
    world.server.stop()
    failures: list[str] = []
    window.sync.failed.connect(failures.append)
    told: list[str] = []
    window.ctx.message.connect(lambda text, _undo: told.append(text))
    qtbot.waitUntil(lambda: "offline" in window.sync.label.text(), timeout=30_000)
    qtbot.wait(1000)  # a few more ticks
    assert failures == [] and not [t for t in told if "Not synced" in t]
    assert "could not be reached" in window.sync.label.toolTip()
    menu.auto_actions[0].trigger()
    assert not window.sync.timer.isActive()


def test_restore_a_record_deleted_on_the_server_from_the_inbox(
    qtbot: QtBot, alice_window: tuple[World, Replica, MainWindow]
) -> None:
    world, alice, window = alice_window
    north = world.territories["north"]  # type: ignore[attr-defined]
    boss, boss_sync = world.client("boss")
    acc = create(boss, "accounts", name="Gone Ltd", territory_id=north)
    contact = create(boss, "contacts", account_id=acc, last_name="Lee")
    boss_sync.sync()
    sync_in_app(qtbot, window)
    with boss.session() as s:
        services.delete(s, "accounts", acc)
    boss_sync.sync()
    update(alice, "contacts", contact, title="Buyer")
    report = sync_in_app(qtbot, window)
    assert report.conflicts == 1  # type: ignore[attr-defined]

    panel = window.show_panel("conflicts")
    assert isinstance(panel, ConflictsPanel)
    qtbot.waitUntil(lambda: panel.records.count() == 1 and len(panel.choices) == 1)
    assert "deleted on the server" in panel.records.item(0).text()
    [choice] = panel.choices
    assert choice.typed is None  # a deletion takes no typed value
    assert texts(panel, "theirs") == ["deleted"] and "Buyer" in texts(panel, "mine")[0]
    restore = choice.group.button(0)
    assert restore.text() == "Restore mine" and restore.isChecked()
    with qtbot.waitSignal(window.sync.finished, timeout=60_000):
        panel.resolve_button.click()
    qtbot.waitUntil(lambda: panel.records.count() == 0)
    # Kept mine: the contact is back with the edit, here and for the office (the server
    # restores the record the conflict is about; its account stays as the office left it).
    assert contact in ids_of(alice, "contacts")
    assert get(alice, "contacts", contact)["title"] == "Buyer"
    boss_sync.sync()
    assert contact in ids_of(boss, "contacts")
    assert get(boss, "contacts", contact)["title"] == "Buyer"
