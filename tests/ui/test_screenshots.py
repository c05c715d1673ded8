"""Screenshots of the main screens with demo-like data, for a person to look at.

Saved to the folder named by FIELDAPP_SCREENSHOTS; rendered (and checked) either way.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from fieldapp.store.db import Replica
from fieldapp.ui.accounts_panel import AccountsPanel
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.pipeline_panel import PipelinePanel
from fieldapp.ui.position import PositionProvider
from fieldapp.ui.tasks_panel import TasksPanel
from fieldapp.ui.today_panel import TodayPanel
from tests.ui.builders import fill


def distinct_colours(image: QImage) -> int:
    step = 7
    return len(
        {
            image.pixel(x, y)
            for x in range(0, image.width(), step)
            for y in range(0, image.height(), step)
        }
    )


def test_screenshots_of_main_screens(
    qtbot: QtBot, replica: Replica, make_window: Callable[..., MainWindow]
) -> None:
    demo = fill(replica, accounts=300, seed=7)
    window = make_window()
    window.resize(1400, 860)
    folder = os.environ.get("FIELDAPP_SCREENSHOTS")
    shots: dict[str, QImage] = {}

    def shoot(name: str) -> None:
        qtbot.wait(50)
        image = window.grab().toImage()
        shots[name] = image
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            assert image.save(str(Path(folder) / f"{name}.png"))

    today = window.show_panel("today")
    assert isinstance(today, TodayPanel)
    qtbot.waitUntil(lambda: today.planned.count() == 4 and today.recent.count() > 0)
    shoot("01-today")

    accounts = window.show_panel("accounts")
    assert isinstance(accounts, AccountsPanel)
    qtbot.waitUntil(lambda: accounts.model.rowCount() == 300 and accounts.model.is_loaded(0))
    window.open_account(demo.accounts[0])
    qtbot.waitUntil(lambda: accounts.detail.timeline.topLevelItemCount() > 0)
    qtbot.waitUntil(lambda: all(accounts.model.is_loaded(r) for r in range(30)))
    shoot("02-accounts")

    accounts.detail.form.editors["email"].setText("not-an-email")
    accounts.detail.form.editors["website"].setText("nope")
    accounts.detail.save()
    shoot("03-account-invalid")
    accounts.detail.revert()
    qtbot.waitUntil(lambda: not accounts.detail.form.is_modified())
    # No position source: the platform's may wait its whole timeout for a fix.
    window.ctx.position = PositionProvider(window.ctx, platform=False)
    accounts.detail.check_in()
    qtbot.waitUntil(lambda: "no fix" in accounts.detail.visit_state.text())
    qtbot.waitUntil(lambda: window.toast.isVisible())
    shoot("03b-checked-in")

    leads = window.show_panel("leads")
    qtbot.waitUntil(lambda: leads.model.rowCount() == 12)  # type: ignore[attr-defined]
    leads.table.selectRow(0)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: leads.form.text("last_name") != "")  # type: ignore[attr-defined]
    shoot("04-leads")

    pipeline = window.show_panel("pipeline")
    assert isinstance(pipeline, PipelinePanel)
    qtbot.waitUntil(lambda: len(pipeline.columns) == 7 and "forecast" in pipeline.summary.text())
    shoot("05-pipeline")

    tasks = window.show_panel("tasks")
    assert isinstance(tasks, TasksPanel)
    qtbot.waitUntil(lambda: tasks.model.rowCount() == 3)
    shoot("06-tasks")

    for name, image in shots.items():
        assert (image.width(), image.height()) == (1400, 860), name
        assert distinct_colours(image) > 20, f"{name} looks blank"
