"""Screenshots of the Agenda (week and day) and of a verified check-in, at 1280×800.

Saved to the folder named by FIELDAPP_SCREENSHOTS, as tests/ui/test_screenshots.py
does; rendered (and checked for content) either way.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from fieldapp.store import agenda, scheduling, services
from fieldapp.store.db import Replica
from fieldapp.ui.accounts_panel import AccountsPanel
from fieldapp.ui.agenda_panel import AgendaPanel
from fieldapp.ui.main_window import MainWindow
from tests.ui.builders import fill
from tests.ui.positioning import GPS
from tests.ui.test_screenshots import distinct_colours


def plan_a_week(replica: Replica, accounts: list[str]) -> None:
    """A rep's week: visits on weekdays, some overlapping, a few done, tasks for the day."""
    rng = random.Random(11)
    monday = agenda.week_start(agenda.local_today())
    with replica.session() as s:
        for i, account in enumerate(accounts[100:126]):
            day = monday + timedelta(days=i % 5)
            local = datetime(day.year, day.month, day.day, 8 + (i * 3) % 9, rng.choice([0, 15, 30]))
            scheduling.schedule_visit(
                s, account, local.astimezone(), minutes=rng.choice([30, 45, 60])
            )
        for i, title in enumerate(["Send price list", "Prepare trade fair", "Order samples"]):
            due = datetime.combine(monday + timedelta(days=i * 2), datetime.min.time()).astimezone()
            services.create(s, "tasks", {"title": title, "account_id": accounts[i], "due_at": due})
        for account in accounts[2:22]:  # visited 1-90 days ago, weekly: most are due
            services.update(s, "accounts", account, {"visit_frequency_days": 7})


def test_screenshots_of_the_agenda(
    qtbot: QtBot, replica: Replica, make_window: Callable[..., MainWindow]
) -> None:
    demo = fill(replica, accounts=300, seed=7)
    plan_a_week(replica, demo.accounts)
    with replica.read_session() as s:
        pinned = services.get(s, "accounts", demo.accounts[1])
    # Checked in ~1 km from the account's pin: the visit says it is far.
    gps = GPS(pinned["latitude"] + 0.009, pinned["longitude"])
    window = make_window(position=gps.provider())
    window.resize(1280, 800)
    folder = os.environ.get("FIELDAPP_SCREENSHOTS")
    shots: dict[str, QImage] = {}

    def shoot(name: str) -> None:
        qtbot.wait(50)
        image = window.grab().toImage()
        shots[name] = image
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            assert image.save(str(Path(folder) / f"{name}.png"))

    panel = window.show_panel("agenda")
    assert isinstance(panel, AgendaPanel)
    qtbot.waitUntil(lambda: len(panel.view.visits) >= 26 and (panel.due_total or 0) > 10)
    planned = sorted((v for v in panel.view.visits.values() if v.planned), key=lambda v: v.start)
    panel.view.select("visit", planned[len(planned) // 2].id)
    shoot("10-agenda-week")
    panel.set_week(False)
    qtbot.waitUntil(lambda: len(panel.view.days) == 1 and panel.shown_start is not None)
    shoot("11-agenda-day")

    accounts = window.show_panel("accounts")
    assert isinstance(accounts, AccountsPanel)
    window.open_account(demo.accounts[1])
    detail = accounts.detail
    qtbot.waitUntil(
        lambda: detail.account_id == demo.accounts[1] and detail.checkin_button.isEnabled()
    )
    detail.check_in()
    qtbot.waitUntil(lambda: "far —" in detail.visit_state.text(), timeout=8000)
    detail.tabs.setCurrentIndex(detail.tabs.indexOf(detail.visits))
    shoot("12-check-in-far")

    for name, image in shots.items():
        assert (image.width(), image.height()) == (1280, 800), name
        assert distinct_colours(image) > 20, f"{name} looks blank"
