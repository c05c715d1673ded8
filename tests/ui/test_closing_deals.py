"""Today's deals closing soon: the soonest are listed, every one is counted and totalled."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from pytestqt.qtbot import QtBot

from fieldapp.store import services
from fieldapp.store.db import Replica
from fieldapp.ui.closing_deals import SHOWN
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.today_panel import TodayPanel


def test_many_closing_deals_list_the_soonest_and_count_them_all(
    qtbot: QtBot, make_window: Callable[..., MainWindow], replica: Replica
) -> None:
    many = SHOWN + 30
    with replica.session() as s:
        account = services.create(s, "accounts", {"name": "Kessler GmbH"})
        stage = services.pipeline(s)[0].name  # an open one
        for i in range(many):
            services.create(
                s,
                "opportunities",
                {
                    "account_id": account,
                    "name": f"Deal {i:03}",
                    "stage": stage,
                    "amount": "100.00",
                    "currency": "EUR",
                    "close_date": date.today() + timedelta(days=i % 20),
                },
            )
    window = make_window()
    today = window.panel("today")
    assert isinstance(today, TodayPanel)
    closing = today.closing
    qtbot.waitUntil(lambda: closing.count() == SHOWN + 1)
    lines = [closing.item(i).text() for i in range(closing.count())]
    # The soonest first; the rest are counted, not listed.
    assert "Deal 000" in lines[0] and "Deal 019" not in lines[0]
    assert lines[-1].startswith(f"… and {many - SHOWN} more")
    assert not closing.item(SHOWN).flags()  # the "more" line opens nothing
    heading = closing.heading.text()
    assert heading.startswith(f"{many} deals closing in 30 days")
    assert "13,000.00" in heading or "13.000,00" in heading  # all of them totalled
