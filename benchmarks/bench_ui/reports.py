"""The Reports panel: every report and grouping, and a PDF export, under a heartbeat."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.bench_ui.common import CollectorWatch, Heartbeat, open_window, qt_app, wait


def reports_stall(data_dir: Path) -> dict[str, Any]:
    """Run every report in the Reports panel (and one PDF export) under a heartbeat."""

    from fieldapp.domain.reports import GROUPINGS
    from fieldapp.store.db import open_replica
    from fieldapp.ui.reports_panel import ReportsPanel

    qt_app()
    replica = open_replica(data_dir)
    window = open_window(replica)
    panel = window.show_panel("reports")
    assert isinstance(panel, ReportsPanel)
    runs = [0]
    panel.shown.connect(lambda: runs.__setitem__(0, runs[0] + 1))
    wait(lambda: runs[0] > 0 and window.bg.pending() == 0)
    heartbeat, collector = Heartbeat(), CollectorWatch()
    started = time.perf_counter()
    for period in ("this_quarter", "all"):
        for kind, groupings in GROUPINGS.items():
            for by in groupings:
                before = runs[0]
                panel.set_report(kind, by)
                panel.set_period(period)
                wait(lambda n=before: runs[0] > n and window.bg.pending() == 0, timeout=120)
    pdf = Path(tempfile.mkdtemp()) / "report.pdf"
    panel.set_report("visits", "week")
    before = runs[0]
    wait(lambda: runs[0] > before and window.bg.pending() == 0, timeout=120)
    panel.export_pdf(pdf)
    wait(lambda: pdf.exists() and window.bg.pending() == 0, timeout=60)
    worst = heartbeat.stop()
    collections = collector.stop()
    elapsed = time.perf_counter() - started
    window.shutdown()
    replica.close()
    return {
        "reports_runs": runs[0],
        "reports_seconds": elapsed,
        "reports_worst_stall_ms": worst,
        "reports_worst_busy": heartbeat.busy_text(),
        "reports_collections": collections,
    }


def rows(f: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (
            "longest GUI-thread stall, Reports panel",
            "≤ 100 ms",
            f"{f['reports_worst_stall_ms']} ms",
        ),
        ("  … of which on the CPU: the GUI thread", "", f["reports_worst_busy"]),
        ("  … longest garbage collection meanwhile", "", f["reports_collections"]),
        (f"  … {f['reports_runs']} reports and a PDF, in", "", f"{f['reports_seconds']:.1f} s"),
    ]
