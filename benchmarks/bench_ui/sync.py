"""The sync screens: conflicts, refused changes, a failed sync and sign-in."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.bench_ui.common import Heartbeat, open_window, qt_app, wait


def _store_conflicts(replica: Any, count: int, records: int) -> None:
    """Conflicts as a pull stores them: ``count`` field conflicts over ``records`` accounts."""
    from sqlalchemy import select

    from fieldapp.store.models import Account
    from fieldapp.sync import state

    with replica.engine.begin() as conn:
        ids = list(conn.scalars(select(Account.id).limit(records)))
        fields = ["city", "phone", "name", "email", "website", "street"]
        rows = []
        for i in range(count):
            field = fields[(i // len(ids)) % len(fields)]
            rows.append(
                {
                    "id": f"00000000-0000-4000-8000-{i:012d}",
                    "seq": i + 1,
                    "entity": "accounts",
                    "row_id": ids[i % len(ids)],
                    "kind": "field",
                    "field": field,
                    "base": f"before {i}",
                    "mine": f"mine {i}",
                    "theirs": f"theirs {i}",
                    "created_at": "2026-12-01T09:00:00+00:00",
                }
            )
        conn.execute(state.conflicts.insert(), rows)


def sync_stall(data_dir: Path) -> dict[str, Any]:
    """The sync screens under a heartbeat (see the module doc)."""
    import shutil

    from fieldapp.store.db import open_replica
    from fieldapp.sync import state
    from fieldapp.ui import panels

    qt_app()
    # A copy: the conflicts and the sign-in must not stay in the shared replica.
    work = Path(tempfile.mkdtemp(prefix="fieldapp-bench-sync-")) / "data"
    shutil.copytree(data_dir, work)
    replica = open_replica(work)
    _store_conflicts(replica, 300, 100)
    with replica.engine.begin() as conn:
        state.put(conn, "server", "http://127.0.0.1:9")  # the discard port: nobody answers
        state.put(conn, "username", "alice")
    from fieldapp.sync.credentials import CREDENTIALS

    CREDENTIALS.save("http://127.0.0.1:9", "alice", "token")
    window = open_window(replica)
    # Every panel built first (one per event-loop turn after start-up; the map's web view
    # alone takes a second): their building is start-up, not the sync screens.
    built = [s.key for s in window.specs if window.allowed(s)]
    wait(lambda: all(k in window.panels for k in built) and window.bg.pending() == 0, 120)
    heartbeat = Heartbeat()
    started = time.perf_counter()
    phases: dict[str, tuple[int, int, int]] = {}  # the longest stall; CPU: GUI thread, app

    def phase(name: str) -> None:
        phases[name] = heartbeat.lap_busy()

    conflicts = window.show_panel("conflicts")
    wait(lambda: conflicts.records.count() == 100 and window.bg.pending() == 0)  # type: ignore[attr-defined]
    for row in range(100):
        conflicts.records.setCurrentRow(row)  # type: ignore[attr-defined]
        qt_app().processEvents()
        if row % 3 == 0:
            conflicts.resolve()  # type: ignore[attr-defined]
            wait(lambda: window.bg.pending() == 0 and not window.sync.running, timeout=60)
    phase("conflicts")
    if any(spec.key == "refused" for spec in panels.PANELS):
        refused = window.show_panel("refused")
        wait(lambda: window.bg.pending() == 0)
        refused.refresh()
        wait(lambda: window.bg.pending() == 0)
    phase("refused")
    window.sync.start()
    wait(lambda: not window.sync.running and window.bg.pending() == 0, timeout=60)
    phase("sync")
    dialog = window.sync_menu.sign_in()
    dialog.password.setText("secret")
    dialog.ok.click()
    wait(lambda: not dialog.busy and window.bg.pending() == 0, timeout=60)
    dialog.reject()
    phase("sign-in")
    heartbeat.stop()
    worst, gui, app = max(phases.values())
    elapsed = time.perf_counter() - started
    window.shutdown()
    replica.close()
    CREDENTIALS.delete("http://127.0.0.1:9", "alice")
    shutil.rmtree(work.parent, ignore_errors=True)
    return {
        "sync_worst_stall_ms": worst,
        "sync_worst_busy": f"{gui} ms (the whole app {app} ms)",
        "sync_seconds": elapsed,
        "sync_phases": phases,
    }


def rows(f: dict[str, Any]) -> list[tuple[str, str, str]]:
    steps = ", ".join(
        f"{k} {v} ms (on the CPU {gui}/{app})" for k, (v, gui, app) in f["sync_phases"].items()
    )
    return [
        ("longest GUI-thread stall, sync screens", "≤ 100 ms", f"{f['sync_worst_stall_ms']} ms"),
        ("  … of which on the CPU: the GUI thread", "", f["sync_worst_busy"]),
        (f"  … by step: {steps}", "", f"{f['sync_seconds']:.1f} s"),
    ]
