"""Refused changes in the desktop app: open the record, fix it, resend; discard, against
the real server on loopback."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from fieldapp.server.models import Record
from fieldapp.store.db import Replica
from fieldapp.ui import dialogs
from fieldapp.ui.contact_editor import ContactDialog
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.refused_panel import RefusedPanel
from tests.sync.conftest import World
from tests.sync.test_gui_inbox import alice_window, sync_in_app
from tests.sync.test_sync_flow import create, ids_of

__all__ = ["alice_window"]  # the fixture, shared with the inbox tests


def on_server(world: World, row_id: str) -> dict[str, object] | None:
    with world.db.session() as s:
        rec = s.scalar(select(Record).where(Record.id == row_id))
        return None if rec is None else json.loads(rec.data)


def select_row(panel: RefusedPanel, text: str) -> None:
    for i in range(panel.list.topLevelItemCount()):
        item = panel.list.topLevelItem(i)
        if item is not None and text in item.text(0):
            panel.list.setCurrentItem(item)
            return
    raise AssertionError(f"no refused change for {text}")


def test_fix_and_resend_a_refused_change_then_discard_one(
    qtbot: QtBot,
    alice_window: tuple[World, Replica, MainWindow],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world, alice, window = alice_window
    south = world.territories["south"]  # type: ignore[attr-defined]
    sync_in_app(qtbot, window)  # learns her territories
    outside = create(alice, "accounts", name="Outside GmbH", territory_id=south)
    contact = create(alice, "contacts", account_id=outside, first_name="Ida", last_name="Kern")
    mine = create(alice, "accounts", name="Mine AG", postcode="N1 2AB")
    report = sync_in_app(qtbot, window)
    assert {r.row_id for r in report.rejections} == {outside, contact}  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: "2 refused by the server" in window.outbox_label.text())

    panel = window.show_panel("refused")
    assert isinstance(panel, RefusedPanel)
    qtbot.waitUntil(lambda: panel.list.topLevelItemCount() == 2)
    select_row(panel, "Contact: Ida Kern")
    item = panel.list.currentItem()
    assert item is not None and item.text(1) == "New"
    assert "outside your scope" in item.text(2) or "not on the server" in item.text(2)
    assert "The server said:" in panel.detail.text()

    # Open the record, fix it in its editor (another account), resend.
    dialog = panel.open_current()
    assert isinstance(dialog, ContactDialog)
    editor = dialog.editor
    qtbot.waitUntil(lambda: editor.form.editors["last_name"].text() == "Kern")
    picker = editor.account
    picker.edit.clear()
    qtbot.keyClicks(picker.edit, "Mine A")
    qtbot.waitUntil(lambda: any(c.id == mine for c in picker.matches()))
    picker.pick(next(i for i, c in enumerate(picker.matches()) if c.id == mine))
    with qtbot.waitSignal(editor.saved):
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    select_row(panel, "Contact: Ida Kern")
    with qtbot.waitSignal(window.sync.finished, timeout=60_000):
        panel.resend_button.click()
    qtbot.waitUntil(lambda: panel.list.topLevelItemCount() == 1)
    server_copy = on_server(world, contact)
    assert server_copy is not None and server_copy["account_id"] == mine

    # Discard the account the server will not take: asked first, then gone from here.
    select_row(panel, "Account: Outside GmbH")
    asked: list[str] = []
    monkeypatch.setattr(dialogs, "confirm", lambda _p, _t, text: asked.append(text) or False)
    panel.discard_button.click()
    assert "removed from this laptop" in asked[0]
    assert outside in ids_of(alice, "accounts")  # said no: nothing happened
    monkeypatch.setattr(dialogs, "confirm", lambda *_a: True)
    panel.discard_button.click()
    qtbot.waitUntil(lambda: panel.list.topLevelItemCount() == 0)
    assert "Nothing refused" in panel.empty.hint()
    assert outside not in ids_of(alice, "accounts") and on_server(world, outside) is None
    qtbot.waitUntil(lambda: "refused" not in window.outbox_label.text())
