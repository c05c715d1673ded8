"""The Admin panel at 1280×800 for a person to look at: the territory map with accounts
coloured by territory and a shape being drawn, the users, and both dialogs.

Saved to the folder named by FIELDAPP_SCREENSHOTS (as tests/ui/test_screenshots.py) as
admin-*.png; rendered and checked for clipped labels either way.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from fieldapp.store import records
from fieldapp.store.db import Replica
from fieldapp.store.models import Territory
from fieldapp.sync.account import sync_now
from fieldapp.sync.territory_changes import TerritoryValues
from fieldapp.ui.admin_territory_dialog import TerritoryDialog
from fieldapp.ui.admin_user_dialog import UserDialog
from fieldapp.ui.main_window import MainWindow
from tests.ui.test_admin_panel import CALL_MS, Served, open_admin, page_ready, served, settle
from tests.ui.test_editor_screenshots import clipped
from tests.ui.test_screenshots import distinct_colours

__all__ = ["served"]  # the fixture, shared with the panel tests

SQUARE = [[50.90, 6.90], [51.00, 6.90], [51.00, 7.00], [50.90, 7.00]]


def _lasso(south: float, west: float, size: float) -> list[list[float]]:
    points = []
    for i in range(30):
        points.append([south + size * i / 30, west])
    for i in range(30):
        points.append([south + size, west + size * i / 30])
    for i in range(30):
        points.append([south + size - size * i / 30, west + size])
    return points


def test_screenshots_of_the_admin_panel(
    qtbot: QtBot, served: Served, replica: Replica, make_window: Callable[..., MainWindow]
) -> None:
    panel = open_admin(qtbot, make_window)
    window = panel.window()
    assert isinstance(window, MainWindow)
    window.resize(1280, 800)
    tab = panel.territories
    polygon = {"type": "Polygon", "coordinates": [[[lon, lat] for lat, lon in SQUARE]]}
    made = [
        TerritoryValues("Cologne", [], [], "maria", ["ana"], polygon),
        TerritoryValues("Bonn", ["531", "532"], [], "maria", ["ben"], None),
        TerritoryValues("Bavaria", [], ["Bavaria"], None, ["cleo", "ben"], None),
    ]
    for v in made:
        with qtbot.waitSignal(tab.sent, timeout=CALL_MS):
            tab.create_territory(v)
        settle(qtbot, panel)
    sync_now(replica)  # the shapes reach the replica, as the tab's sync request does
    with replica.session() as session:
        ids = dict(session.execute(select(Territory.name, Territory.id)).all())
        for i in range(24):
            lat, lon = 50.91 + (i % 6) * 0.015, 6.91 + (i // 6) * 0.02
            where = "Cologne" if i % 3 else "Bonn"
            records.create(
                session,
                "accounts",
                {
                    "name": f"Shop {i}",
                    "latitude": lat,
                    "longitude": lon,
                    "territory_id": ids[where],
                },
            )
    sync_now(replica)  # the accounts reach the server, which counts them per territory
    area = tab.map
    assert area.map is not None
    with qtbot.waitSignal(area.map.map_ready, timeout=CALL_MS):  # the new page, not the old
        panel.refresh()  # F5: the list from the server, the map from the replica
    settle(qtbot, panel)
    page_ready(qtbot, area.map)
    tab.select("Cologne")  # the map shows its polygon
    with qtbot.waitSignal(area.drawn, timeout=CALL_MS):
        area.map.run_js(f"window.fieldappLasso({json.dumps(_lasso(50.93, 6.93, 0.03))})")
    settle(qtbot, panel)

    folder = os.environ.get("FIELDAPP_SCREENSHOTS")
    shots: dict[str, QImage] = {}

    def shoot(name: str, widget: QWidget) -> None:
        qtbot.wait(500)  # the web view paints a moment after it reports ready
        image = widget.grab().toImage()
        shots[name] = image
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            assert image.save(str(Path(folder) / f"{name}.png"))

    assert clipped(panel) == []
    shoot("admin-territories", window)
    panel.tabs.setCurrentWidget(panel.users)
    panel.users.select("ana")
    assert clipped(panel) == []
    shoot("admin-users", window)
    users = panel.users.rows
    dialog = TerritoryDialog(window, users, tab.row("Bonn"))
    dialog.show()
    qtbot.addWidget(dialog)
    assert clipped(dialog) == []
    shoot("admin-territory-dialog", dialog)
    add = UserDialog(window, [u["username"] for u in users if u["role"] != "rep"])
    add.show()
    qtbot.addWidget(add)
    assert clipped(add) == []
    shoot("admin-user-dialog", add)
    for name, image in shots.items():
        assert distinct_colours(image) > 20, f"{name} looks blank"
    assert (shots["admin-territories"].width(), shots["admin-territories"].height()) == (1280, 800)
