"""Nearby and the unplotted queue under a heartbeat."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.bench_ui.common import Heartbeat, open_window, qt_app, wait
from benchmarks.bench_ui.replica import locate


def places_stall(data_dir: Path) -> dict[str, Any]:
    """Nearby (10 and 25 km from an account, and from a typed point) and the unplotted
    queue (10% of the accounts without a location) under a heartbeat."""
    from sqlalchemy import text

    from fieldapp.store.db import open_replica
    from fieldapp.ui.accounts_panel import AccountsPanel

    qt_app()
    replica = open_replica(data_dir)
    with replica.session() as s:
        locate(s)
        first = s.execute(
            text("SELECT id FROM accounts WHERE latitude IS NOT NULL ORDER BY rowid LIMIT 1")
        ).scalar_one()
    window = open_window(replica)
    panel = window.show_panel("accounts")
    assert isinstance(panel, AccountsPanel)
    wait(lambda: window.bg.pending() == 0 and panel.model.rowCount() > 0, 300)
    panel.select_account(first)
    wait(lambda: panel.detail.account_id == first and window.bg.pending() == 0, 300)
    heartbeat = Heartbeat()
    listed: dict[str, int] = {}
    for km in (10.0, 25.0):
        dialog = panel.show_nearby()
        dialog.km.setValue(km)
        dialog.search_nearby()
        wait(lambda d=dialog: window.bg.pending() == 0 and d.results.topLevelItemCount() > 0, 300)
        listed[f"{km:g} km"] = dialog.results.topLevelItemCount()
    dialog.where.setText("50.73, 7.10")
    dialog.search_nearby()
    wait(lambda: window.bg.pending() == 0 and "50.73" in dialog.status.text(), 300)
    dialog.close()
    unplotted = panel.show_unplotted()
    wait(lambda: unplotted.summary.text() != "Loading…" and window.bg.pending() == 0, 300)
    worst = heartbeat.stop()
    unplotted.close()
    window.shutdown()
    replica.close()
    return {
        "places_worst_stall_ms": worst,
        "places_worst_busy": heartbeat.busy_text(),
        "nearby_listed": listed,
    }


def rows(f: dict[str, Any]) -> list[tuple[str, str, str]]:
    listed = ", ".join(f"{k}: {v}" for k, v in f["nearby_listed"].items())
    return [
        (
            "longest GUI-thread stall, Nearby + unplotted",
            "≤ 100 ms",
            f"{f['places_worst_stall_ms']} ms",
        ),
        ("  … of which on the CPU: the GUI thread", "", f["places_worst_busy"]),
        (f"  … accounts listed by Nearby ({listed})", "", ""),
    ]
