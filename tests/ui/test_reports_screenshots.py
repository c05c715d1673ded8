"""Screenshots of the Reports panel, one per report, at 1280×800, for a person to look at.

Saved to the folder named by FIELDAPP_SCREENSHOTS (as tests/ui/test_screenshots.py
does); rendered and checked for content either way.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from fieldapp.store import services
from fieldapp.store.db import Replica
from fieldapp.store.models import VISIT_OUTCOMES
from fieldapp.store.types import utcnow
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.reports_panel import ReportsPanel
from tests.ui.test_screenshots import distinct_colours

REPS = ["Ana Silva", "Ben Braun", "Cleo Dupont", "David Okafor", "Eva Lindqvist", "Femi Adeyemi"]
TERRITORIES = ["Köln Nord", "Köln Süd", "Bonn", "Düsseldorf"]
STAGES = ["Prospecting", "Qualification", "Needs Analysis", "Proposal", "Negotiation"]
REASONS = {
    "Closed Won": ["Best price", "Relationship", "Product fit"],
    "Closed Lost": ["Went with a competitor", "No budget", "Timing", "Price"],
}


def team(replica: Replica, seed: int = 3) -> None:
    """A manager's team over the last three months: reps, territories, visits, deals."""
    rng = random.Random(seed)
    now = utcnow().replace(microsecond=0)
    with replica.session() as s:
        reps = [
            services.create(
                s,
                "users",
                {"username": name.split()[0].lower(), "display_name": name, "role": "rep"},
            )
            for name in REPS
        ]
        places = [services.create(s, "territories", {"name": n}) for n in TERRITORIES]
        homes = {rep: places[i % len(places)] for i, rep in enumerate(reps)}
        accounts = []
        for i in range(240):
            rep = rng.choice(reps)
            accounts.append(
                (
                    services.create(
                        s,
                        "accounts",
                        {"name": f"Kunde {i:03d}", "owner_id": rep, "territory_id": homes[rep]},
                    ),
                    rep,
                )
            )
        visits = []
        for account, rep in accounts:
            for _ in range(rng.choice([0, 1, 2, 3, 4, 5])):
                start = now - timedelta(days=rng.randrange(0, 88), hours=rng.randrange(0, 9))
                visits.append(
                    {
                        "account_id": account,
                        "owner_id": rep,
                        "checkin_at": start,
                        "checkout_at": start + timedelta(minutes=rng.randrange(15, 90)),
                        "outcome": rng.choice(VISIT_OUTCOMES),
                    }
                )
        services.bulk_create(s, "visits", visits)
        for i in range(90):
            account, rep = rng.choice(accounts)
            stage = rng.choice([*STAGES, *STAGES, "Closed Won", "Closed Lost"])
            closed = stage.startswith("Closed")
            services.create(
                s,
                "opportunities",
                {
                    "account_id": account,
                    "owner_id": rep,
                    "name": f"Deal {i}",
                    "stage": stage,
                    "amount": str(rng.randrange(20, 400) * 100),
                    "currency": "USD" if i % 9 == 0 else "EUR",
                    "close_date": (now + timedelta(days=rng.randrange(-80, 80))).date(),
                    "won_lost_reason": rng.choice(REASONS[stage]) if closed else None,
                },
            )
        for i in range(40):
            account, rep = rng.choice(accounts)
            services.create(
                s,
                "notes",
                {
                    "body": f"Spoke with the buyer about order {i}",
                    "account_id": account,
                    "owner_id": rep,
                },
            )


def test_screenshots_of_every_report(
    qtbot: QtBot, replica: Replica, make_window: Callable[..., MainWindow]
) -> None:
    team(replica)
    window = make_window()
    window.resize(1280, 800)
    panel = window.show_panel("reports")
    assert isinstance(panel, ReportsPanel)
    qtbot.waitUntil(lambda: panel.filters.rep.count() == len(REPS) + 1)
    folder = os.environ.get("FIELDAPP_SCREENSHOTS")
    today = utcnow().date()
    shots: dict[str, QImage] = {}

    def show(name: str, kind: str, by: str | None, period: str = "custom") -> None:
        with qtbot.waitSignal(panel.shown, timeout=15_000):
            panel.set_report(kind, by)
            panel.set_period(period, today - timedelta(days=89), today)
        qtbot.wait(50)
        image = window.grab().toImage()
        shots[name] = image
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            assert image.save(str(Path(folder) / f"{name}.png"))

    show("07-reports-visits-per-rep", "visits", "rep")
    show("08-reports-visits-per-week", "visits", "week")
    show("09-reports-coverage", "coverage", "territory")
    show("10-reports-pipeline-by-stage", "pipeline", "stage", "all")
    show("11-reports-pipeline-per-rep", "pipeline", "rep", "all")
    show("12-reports-forecast", "forecast", "month", "all")
    show("13-reports-won-lost", "wins", "reason")
    show("14-reports-activity", "activity", None)

    for name, image in shots.items():
        assert (image.width(), image.height()) == (1280, 800), name
        assert distinct_colours(image) > 20, f"{name} looks blank"
