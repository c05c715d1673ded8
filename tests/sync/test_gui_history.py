"""The account view's History tab, against the real server (issue 14 item 12)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from fieldapp.store.db import open_replica
from fieldapp.sync import state
from fieldapp.sync.credentials import CREDENTIALS
from fieldapp.sync.engine import SyncEngine
from fieldapp.sync.transport import Transport
from fieldapp.ui.accounts_panel import AccountsPanel
from fieldapp.ui.contacts_panel import ContactsPanel
from fieldapp.ui.history_tab import OFFLINE
from fieldapp.ui.main_window import MainWindow
from tests.sync.conftest import World
from tests.sync.test_sync_flow import create, setup_two_territories, update
from tests.syncutil import PASSWORD


def rows(tree: object) -> list[list[str]]:
    return [
        [tree.topLevelItem(i).text(c) for c in range(3)]  # type: ignore[attr-defined]
        for i in range(tree.topLevelItemCount())  # type: ignore[attr-defined]
    ]


def test_history_tab_shows_changes_and_says_offline(
    qtbot: QtBot, world: World, tmp_path: Path
) -> None:
    t = setup_two_territories(world)
    replica = open_replica(tmp_path / "alice")
    transport = Transport(world.server.base)
    token = transport.login("alice", PASSWORD).token
    with replica.engine.begin() as conn:
        state.put(conn, "server", world.server.base)
        state.put(conn, "username", "alice")
    CREDENTIALS.save(world.server.base, "alice", token)
    acc = create(replica, "accounts", name="Acme", city="Leeds", territory_id=t["north"])
    contact = create(replica, "contacts", account_id=acc, last_name="Quist")
    SyncEngine(replica, transport).sync()
    update(replica, "accounts", acc, city="York")
    SyncEngine(replica, transport).sync()
    transport.close()

    window = MainWindow(
        replica, settings=QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    )
    qtbot.addWidget(window)
    window.show()
    try:
        panel = window.show_panel("accounts")
        window.open_account(acc)
        assert isinstance(panel, AccountsPanel)
        detail = panel.detail
        tab = detail.history_tab
        assert detail.tabs.tabText(detail.tabs.indexOf(tab)) == "History"
        qtbot.waitUntil(lambda: tab.record_id == acc)
        assert tab.tree.topLevelItemCount() == 0  # nothing asked while the tab is hidden
        detail.tabs.setCurrentWidget(tab)
        qtbot.waitUntil(lambda: tab.tree.topLevelItemCount() > 0, timeout=30_000)
        shown = rows(tab.tree)
        assert shown[0][1].startswith("alice")
        assert shown[0][2] == "update: city: Leeds → York"  # newest first
        assert "insert: name: (empty) → Acme" in [r[2] for r in shown]

        # The Contacts panel's detail has the same tab for the contact shown.
        contacts = window.show_panel("contacts")
        assert isinstance(contacts, ContactsPanel)
        contacts.select_contact(contact)
        contacts.detail_tabs.setCurrentWidget(contacts.history)
        qtbot.waitUntil(lambda: contacts.history.tree.topLevelItemCount() > 0, timeout=30_000)
        assert "insert: last_name: (empty) → Quist" in [r[2] for r in rows(contacts.history.tree)]

        world.server.stop()  # the server goes away: the tab says so, the view works on
        tab.refresh()
        qtbot.waitUntil(lambda: tab.state.text() == OFFLINE, timeout=60_000)
        assert detail.heading.text() == "Acme"
    finally:
        window.shutdown()
        replica.close()
