"""The sync screens at 1280×800 (Conflicts and Refused panels, sign-in dialog, history): saved for
a person to look at (to the folder named by FIELDAPP_SCREENSHOTS) and checked for
clipped buttons, labels and tabs, as tests/ui/test_editor_screenshots.py does."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select, update

from fieldapp.store.db import Replica
from fieldapp.store.models import Outbox
from fieldapp.store.types import utcnow
from fieldapp.sync import state
from fieldapp.sync.report import SyncReport, record_run
from fieldapp.ui.conflicts_panel import ConflictsPanel
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.refused_panel import RefusedPanel
from tests.syncutil import free_port
from tests.ui.builders import fill
from tests.ui.test_editor_screenshots import SIZE, clipped
from tests.ui.test_screenshots import distinct_colours


def store_conflicts(replica: Replica, account: str, task: str) -> None:
    """Conflicts as a pull stores them (the engine's table, the server's fields)."""
    rows = [
        ("city", "Leeds", "York", "Hull"),
        ("phone", "+44 113 496 0000", "+44 113 496 0101", "+44 113 496 0999"),
        ("name", "Acme", "Acme Ltd", "Acme Group Holdings"),
    ]
    with replica.engine.begin() as conn:
        for seq, (field, base, mine, theirs) in enumerate(rows, 1):
            conn.execute(
                state.conflicts.insert().values(
                    id=f"00000000-0000-4000-8000-00000000000{seq}",
                    seq=seq,
                    entity="accounts",
                    row_id=account,
                    kind="field",
                    field=field,
                    base=base,
                    mine=mine,
                    theirs=theirs,
                    created_at="2026-12-01T09:00:00+00:00",
                )
            )
        conn.execute(
            state.conflicts.insert().values(
                id="00000000-0000-4000-8000-000000000009",
                seq=9,
                entity="tasks",
                row_id=task,
                kind="deleted",
                field=None,
                mine={"title": "Send the price list", "priority": "high"},
                theirs={"id": task},
                created_at="2026-12-01T09:05:00+00:00",
            )
        )


def test_sync_screens_fit_at_1280x800(
    qtbot: QtBot, replica: Replica, make_window: Callable[..., MainWindow]
) -> None:
    demo = fill(replica, accounts=300, seed=7)
    store_conflicts(replica, demo.accounts[0], demo.tasks[0])
    window = make_window()
    window.resize(*SIZE)
    folder = os.environ.get("FIELDAPP_SCREENSHOTS")
    problems: dict[str, list[str]] = {}

    def shoot(name: str, widget: QWidget | None = None) -> None:
        qtbot.wait(80)
        target = widget or window
        image = target.grab().toImage()
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            assert image.save(str(Path(folder) / f"{name}.png"))
        assert distinct_colours(image) > 20, f"{name} looks blank"
        if widget is None:
            assert (image.width(), image.height()) == SIZE, name
        found = clipped(target)
        if found:
            problems[name] = found

    panel = window.show_panel("conflicts")
    assert isinstance(panel, ConflictsPanel)
    qtbot.waitUntil(lambda: panel.records.count() == 2 and len(panel.choices) == 3)
    shoot("30-conflicts")
    panel.records.setCurrentRow(1)
    qtbot.waitUntil(lambda: len(panel.choices) == 1)
    assert panel.choices[0].typed is None  # a deleted record takes no typed value
    shoot("31-conflict-deleted")

    dialog = window.sync_menu.sign_in()
    dialog.server.setText(f"http://127.0.0.1:{free_port()}")
    dialog.user.setText("alice")
    dialog.password.setText("secret")
    dialog.ok.click()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=30_000)
    assert "cannot be reached" in dialog.error.text()
    shoot("32-sign-in", dialog)
    dialog.reject()

    started = "2026-12-01T09:00:00+00:00"
    record_run(replica, started, SyncReport(pushed=3, pulled=120, conflicts=2))
    record_run(
        replica,
        started,
        SyncReport(),
        "the server at https://crm.example.com cannot be reached; "
        "your changes are kept and will be sent later",
    )
    history = window.sync_menu.show_history()
    qtbot.waitUntil(lambda: history.list.topLevelItemCount() == 2)
    newest = history.list.topLevelItem(0)
    assert newest is not None and newest.text(1) == "not synced"
    assert newest.text(2).startswith("The server at https://crm.example.com cannot be reached")
    shoot("33-sync-history", history)
    history.reject()

    # Refused changes, as a push stores the server's answers (the engine's own states).
    with replica.engine.begin() as conn:
        entries = conn.execute(
            select(Outbox.seq).where(Outbox.entity == "accounts").order_by(Outbox.seq).limit(3)
        ).scalars()
        for seq in list(entries):
            conn.execute(
                update(Outbox)
                .where(Outbox.seq == seq)
                .values(
                    state="refused",
                    error="the account is outside your scope (territory South)",
                    refused_at=utcnow(),
                )
            )
    refused = window.show_panel("refused")
    assert isinstance(refused, RefusedPanel)
    refused.refresh()
    qtbot.waitUntil(lambda: refused.list.topLevelItemCount() == 3)
    shoot("34-refused")

    assert not problems, problems
