"""Contacts: the lazy, searchable panel; add, edit, delete + undo, in the panel and the account."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from fieldapp.store import services
from fieldapp.store.db import Replica
from fieldapp.ui import dialogs
from fieldapp.ui.contacts_panel import ContactsModel, ContactsPanel
from fieldapp.ui.lazy_model import PLACEHOLDER
from fieldapp.ui.main_window import MainWindow
from tests.ui.builders import Demo


def contacts_panel(qtbot: QtBot, window: MainWindow) -> ContactsPanel:
    panel = window.show_panel("contacts")
    assert isinstance(panel, ContactsPanel)
    qtbot.waitUntil(lambda: panel.model.has_loaded and panel.model.rowCount() > 0)
    return panel


def live_contacts(replica: Replica, **where: str) -> list[dict[str, object]]:
    with replica.read_session() as s:
        return services.list_records(s, "contacts", limit=None, where=where or None)


def test_contacts_model_is_lazy_and_passes_qtmodeltester(
    qtbot: QtBot, qtmodeltester: ModelTester, replica: Replica, window: MainWindow
) -> None:
    with replica.session() as s:
        services.bulk_create(
            s,
            "contacts",
            [{"last_name": f"Zander {i:04}", "first_name": "Ute"} for i in range(700)],
        )
    total = len(live_contacts(replica))
    model = ContactsModel(window.bg)
    with qtbot.waitSignal(model.loaded):
        model.reload()
    assert model.rowCount() == total > 700
    assert model.is_loaded(0) and not model.is_loaded(650)  # only a screenful came
    assert model.index(650, 0).data() == PLACEHOLDER  # ... asking fetches its block
    qtbot.waitUntil(lambda: model.is_loaded(650))
    assert model.index(650, 0).data().startswith("Ute Zander")
    qtmodeltester.check(model, force_py=True)


def test_search_as_you_type_finds_people_and_their_accounts(
    qtbot: QtBot, replica: Replica, demo: Demo, window: MainWindow
) -> None:
    with replica.session() as s:
        account = services.create(s, "accounts", {"name": "Bäckerei Sonnenschein"})
        services.create(
            s, "contacts", {"account_id": account, "last_name": "Öztürk", "email": "oz@baeck.de"}
        )
        services.create(s, "contacts", {"last_name": "Quandt", "phone": "+49 30 998877"})
    panel = contacts_panel(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_F5)
    qtbot.keyClicks(panel.search, "quan")
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1 and panel.model.is_loaded(0))
    assert panel.model.index(0, 0).data() == "Quandt"
    assert panel.model.index(0, 4).data() == "+49 30 998877"
    panel.search.setText("sonnensch")  # the account's name finds its people
    qtbot.waitUntil(lambda: panel.model.index(0, 0).data() == "Öztürk")
    assert panel.model.rowCount() == 1
    assert panel.model.index(0, 2).data() == "Bäckerei Sonnenschein"
    panel.search.setText("xyzzy")
    qtbot.waitUntil(lambda: panel.model.rowCount() == 0)
    assert (
        panel.hint.hint() == "No contacts match “xyzzy”.\nCheck the spelling or clear the search."
    )
    assert panel.count_label.text() == "0 contacts"


def test_add_edit_delete_and_undo_in_the_panel(
    qtbot: QtBot, replica: Replica, demo: Demo, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    panel = contacts_panel(qtbot, window)
    editor = panel.editor
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert editor.heading.text() == "New contact"
    form = editor.form
    qtbot.keyClicks(form.editors["first_name"], "Lena")
    qtbot.keyClicks(form.editors["last_name"], "Vogt")
    qtbot.keyClicks(form.editors["email"], "lena@")
    editor.save()
    assert form.error_text("email") == "Email must look like name@example.com (got lena@)"
    assert live_contacts(replica, last_name="Vogt") == []  # nothing written, nothing lost
    qtbot.keyClicks(form.editors["email"], "vogt.example")
    # The account is picked by searching.
    with replica.read_session() as s:
        account = services.get(s, "accounts", demo.accounts[3])
    picker = editor.account
    qtbot.keyClicks(picker.edit, account["name"][:-1])  # not the whole name: choose
    qtbot.waitUntil(lambda: any(c.id == account["id"] for c in picker.matches()))
    picker.pick(next(i for i, c in enumerate(picker.matches()) if c.id == account["id"]))
    assert picker.text() == account["id"] and picker.name() == account["name"]
    with qtbot.waitSignal(editor.saved) as saved:
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    contact_id = saved.args[0]
    [stored] = live_contacts(replica, last_name="Vogt")
    assert (stored["id"], stored["email"], stored["account_id"]) == (
        contact_id,
        "lena@vogt.example",
        account["id"],
    )
    # The new contact is selected in the list and shown with its links.
    qtbot.waitUntil(lambda: editor.heading.text() == f"Lena Vogt — {account['name']}")
    qtbot.waitUntil(lambda: panel.model.row_of(contact_id) >= 0)
    assert "mailto:lena@vogt.example" in editor.links.text()

    form.editors["title"].setText("Einkauf")
    form.editors["title"].textEdited.emit("Einkauf")
    with qtbot.waitSignal(editor.saved):
        editor.save()
    assert live_contacts(replica, last_name="Vogt")[0]["title"] == "Einkauf"

    monkeypatch.setattr(dialogs, "confirm", lambda *_a: True)
    qtbot.keyClick(window, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: live_contacts(replica, last_name="Vogt") == [])
    qtbot.waitUntil(
        lambda: window.toast.isVisible() and "Deleted Lena Vogt" in window.toast.label.text()
    )
    assert editor.contact_id is None
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # Undo
    qtbot.waitUntil(lambda: len(live_contacts(replica, last_name="Vogt")) == 1)
    qtbot.waitUntil(lambda: panel.model.row_of(contact_id) >= 0)


def test_contact_from_the_account_add_edit_delete_undo(
    qtbot: QtBot, replica: Replica, demo: Demo, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts = window.show_panel("accounts")
    account_id = demo.accounts[30]  # the builder gave it no contacts
    window.open_account(account_id)
    detail = accounts.detail  # type: ignore[attr-defined]
    tab = detail.contacts_tab
    with replica.read_session() as s:
        name = services.get(s, "accounts", account_id)["name"]
    qtbot.waitUntil(lambda: detail.heading.text() == name)
    assert tab.tree.topLevelItemCount() == 0
    assert tab.hint.hint().startswith("No contacts at this account")
    dialog = tab.add()
    editor = dialog.editor
    assert editor.account.text() == account_id  # the account is filled in
    qtbot.keyClicks(editor.form.editors["last_name"], "Brandt")
    qtbot.keyClicks(editor.form.editors["phone"], "0221 4711")
    with qtbot.waitSignal(dialog.finished):
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.tree.topLevelItemCount() == 1)
    [stored] = live_contacts(replica, account_id=account_id)
    assert (stored["last_name"], stored["phone"]) == ("Brandt", "0221 4711")

    tab.tree.setCurrentItem(tab.tree.topLevelItem(0))
    dialog = tab.edit_selected()
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.editor.form.text("last_name") == "Brandt")
    dialog.editor.form.editors["first_name"].setText("Kai")
    dialog.editor.form.editors["first_name"].textEdited.emit("Kai")
    with qtbot.waitSignal(dialog.finished):
        dialog.editor.save()
    qtbot.waitUntil(lambda: tab.tree.topLevelItem(0).text(0) == "Kai Brandt")

    monkeypatch.setattr(dialogs, "confirm", lambda *_a: True)
    tab.tree.setCurrentItem(tab.tree.topLevelItem(0))
    tab.delete_selected()
    qtbot.waitUntil(lambda: tab.tree.topLevelItemCount() == 0)
    assert live_contacts(replica, account_id=account_id) == []
    assert window.toast.trigger()  # Undo
    qtbot.waitUntil(lambda: tab.tree.topLevelItemCount() == 1)
    QApplication.processEvents()
