"""The Nearby and unplotted-accounts dialogs at 1280×800: saved for a person to look at
(to the folder named by FIELDAPP_SCREENSHOTS) and checked for clipped widgets."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from fieldapp.store import services
from fieldapp.store.db import Replica
from fieldapp.ui.accounts_panel import AccountsPanel
from fieldapp.ui.main_window import MainWindow
from tests.ui.builders import fill
from tests.ui.test_editor_screenshots import clipped
from tests.ui.test_screenshots import distinct_colours


def test_places_dialogs(
    qtbot: QtBot, replica: Replica, make_window: Callable[..., MainWindow]
) -> None:
    demo = fill(replica, accounts=120, seed=3)
    with replica.session() as s:
        for i in range(6):
            services.create(
                s, "accounts", {"name": f"Neukunde {i}", "street": "Am Markt 1", "city": "Bonn"}
            )
    window = make_window()
    window.resize(1280, 800)
    folder = os.environ.get("FIELDAPP_SCREENSHOTS")
    problems: dict[str, list[str]] = {}

    def shoot(name: str, widget: QWidget) -> None:
        qtbot.wait(80)
        image = widget.grab().toImage()
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            assert image.save(str(Path(folder) / f"{name}.png"))
        assert distinct_colours(image) > 20, f"{name} looks blank"
        found = clipped(widget)
        if found:
            problems[name] = found

    accounts = window.show_panel("accounts")
    assert isinstance(accounts, AccountsPanel)
    window.open_account(demo.accounts[0])
    qtbot.waitUntil(lambda: accounts.detail.account_id == demo.accounts[0])
    qtbot.waitUntil(lambda: accounts.detail.form.text("name") != "")
    shoot("30-accounts-with-nearby", window)
    nearby = accounts.show_nearby()
    nearby.km.setValue(25)
    nearby.search_nearby()
    qtbot.waitUntil(lambda: nearby.results.topLevelItemCount() > 3)
    shoot("31-nearby", nearby)
    nearby.close()
    unplotted = accounts.show_unplotted()
    qtbot.waitUntil(lambda: unplotted.list.topLevelItemCount() == 6)
    shoot("32-unplotted", unplotted)
    unplotted.close()
    assert not problems, problems
