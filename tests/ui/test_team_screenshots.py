"""Screenshots of the Team panel at 1280×800 for a person to look at: the reps' table
beside the team map, a rep's route, and the rep's week in the Agenda.

Saved to the folder named by FIELDAPP_SCREENSHOTS (as tests/ui/test_screenshots.py);
rendered and checked either way.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from fieldapp.store.db import Replica
from fieldapp.ui.agenda_panel import AgendaPanel
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.team_panel import TeamPanel
from tests.ui.test_screenshots import distinct_colours
from tests.ui.test_team_panel import _located_team, signed_in_as


def test_screenshots_of_the_team_panel(
    qtbot: QtBot, replica: Replica, make_window: Callable[..., MainWindow]
) -> None:
    ids = _located_team(replica)
    signed_in_as(replica, "manager")
    window = make_window()
    window.resize(1280, 800)
    qtbot.waitUntil(lambda: window.role == "manager")
    panel = window.panel("team")
    assert isinstance(panel, TeamPanel)
    loaded: list[bool] = []
    panel.loaded.connect(lambda: loaded.append(True))
    window.show_panel("team")
    assert panel.map is not None
    ready: list[int] = []
    panel.map.map_ready.connect(ready.append)  # the page loads while the table computes
    qtbot.waitUntil(lambda: bool(loaded and ready), timeout=30_000)
    folder = os.environ.get("FIELDAPP_SCREENSHOTS")
    shots: dict[str, QImage] = {}

    def shoot(name: str) -> None:
        qtbot.wait(400)  # the web view paints a moment after it reports ready
        image = window.grab().toImage()
        shots[name] = image
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            assert image.save(str(Path(folder) / f"{name}.png"))

    panel.select_rep(ids["ana"])
    shoot("30-team")
    day = date.today() + timedelta(days=7)
    panel.plan_route(day)
    route = panel.route
    assert route is not None
    qtbot.waitUntil(lambda: len(route.stop_ids) == 5, timeout=10_000)
    with qtbot.waitSignal(route.plan_changed, timeout=30_000):
        route.optimise_button.click()
    shoot("31-team-route")
    with qtbot.waitSignal(route.saved, timeout=10_000):
        route.save_button.click()
    panel.open_agenda()
    agenda = window.current_panel()
    assert isinstance(agenda, AgendaPanel)
    agenda.show_range(day)
    qtbot.waitUntil(lambda: len(agenda.view.visits) == 5, timeout=10_000)
    shoot("32-team-rep-agenda")

    for name, image in shots.items():
        assert (image.width(), image.height()) == (1280, 800), name
        assert distinct_colours(image) > 20, f"{name} looks blank"
