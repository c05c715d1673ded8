"""Agenda figures on a replica of 100k accounts and 1M visits.

    python -m benchmarks.bench_agenda [--data-dir DIR] [--accounts N] [--visits N] [--runs N]

Builds the replica once (bulk inserts; reused when DIR already holds it): 50 reps'
visits over five years (a third of them planned first), eight weeks of planned
visits ahead, tasks, and a visit frequency on a fifth of the accounts; signed in as
the first rep, whose agenda the app shows. Prints:

- the week's agenda query for one rep and for everyone in the replica (a manager's);
- the week view opening in the app: the Agenda panel opened the first time (built,
  the week read on the background helper, laid out and painted), and another week
  asked for until it is painted; target ≤ 200 ms;
- the due-for-a-visit list (every account judged against its frequency);
- the longest GUI-thread stall while the agenda is opened, stepped through twelve
  weeks, switched between day and week, three visits moved (each reloading the week
  and then the due list), measured by a 2 ms heartbeat; target ≤ 100 ms; and the same
  for the start-up before it (every panel the rep sees built and loaded);
- for each stall, how much of it the GUI thread and the whole app were on the CPU (the
  rest is waiting for a core, on a machine shared with other work).

Runs offscreen unless QT_QPA_PLATFORM says otherwise.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.bench_ui.common import CollectorWatch, Heartbeat, qt_app, wait

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPS = 50
CHUNK = 100_000


def rep_ids() -> list[str]:
    return [f"00000000-0000-4000-8000-{n:012d}" for n in range(REPS)]


def build(data_dir: Path, accounts: int, visits: int, seed: int = 1) -> None:
    """Fill ``data_dir`` once; a replica that already has the visits is kept."""
    from sqlalchemy import text

    from fieldapp.store import services
    from fieldapp.store.db import open_replica
    from fieldapp.store.types import utcnow

    rng = random.Random(seed)
    replica = open_replica(data_dir)
    try:
        with replica.read_session() as s:
            if services.count(s, "visits") >= visits:
                return
        reps = rep_ids()
        ids: list[str] = []
        for start in range(0, accounts, CHUNK):
            rows = [
                {
                    "name": f"Account {i}",
                    "type": rng.choice(["customer", "prospect", "partner"]),
                    "status": "active" if rng.random() < 0.95 else "inactive",
                    "city": rng.choice(["Köln", "Bonn", "Düsseldorf", "Aachen", "Essen"]),
                    "latitude": 50.9 + rng.uniform(-0.3, 0.3),
                    "longitude": 6.9 + rng.uniform(-0.3, 0.3),
                    "owner_id": reps[i % REPS],
                    "visit_frequency_days": rng.choice([14, 28, 56])
                    if rng.random() < 0.2
                    else None,
                }
                for i in range(start, min(start + CHUNK, accounts))
            ]
            with replica.session() as s:
                ids += services.bulk_create(s, "accounts", rows)
        now = utcnow().replace(second=0, microsecond=0)
        ahead = visits // 80  # eight weeks of plans for 50 reps
        for start in range(0, visits, CHUNK):
            rows = []
            for n in range(start, min(start + CHUNK, visits)):
                account = rng.randrange(len(ids))
                row: dict[str, Any] = {"account_id": ids[account], "owner_id": reps[account % REPS]}
                if n < ahead:
                    begin = now + timedelta(days=rng.randint(0, 55), minutes=rng.randint(-600, 600))
                    row["planned_start"] = begin
                    row["planned_end"] = begin + timedelta(minutes=45)
                else:
                    checkin = now - timedelta(minutes=rng.randint(60, 5 * 365 * 24 * 60))
                    row["checkin_at"] = checkin
                    row["checkout_at"] = checkin + timedelta(minutes=rng.randint(20, 70))
                    row["outcome"] = "successful"
                    if rng.random() < 0.33:
                        row["planned_start"] = checkin - timedelta(minutes=rng.randint(0, 20))
                        row["planned_end"] = row["planned_start"] + timedelta(minutes=45)
                rows.append(row)
            with replica.session() as s:
                services.bulk_create(s, "visits", rows)
        tasks = [
            {
                "title": f"Task {i}",
                "account_id": rng.choice(ids),
                "due_at": now + timedelta(hours=rng.randint(-2000, 2000)),
                "owner_id": rng.choice(reps),
            }
            for i in range(accounts // 5)
        ]
        with replica.session() as s:
            services.bulk_create(s, "tasks", tasks)
        with replica.session() as s:
            # Signed in as the first rep: the agenda is theirs (as after a first sync).
            s.execute(
                text("INSERT INTO sync_state (key, value) VALUES ('user_id', :user)"),
                {"user": reps[0]},
            )
        replica.wait_for_checkpoint()
        # Fold the WAL into the file: reads through a 1 GB WAL are slower than a
        # replica that has been in use for a while ever is.
        with replica.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        replica.close()


def _timed(fn: Any, runs: int) -> tuple[float, Any]:
    """Median wall time in ms of ``runs`` calls, and the last result."""
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), result


def queries(data_dir: Path, runs: int) -> dict[str, Any]:
    from fieldapp.store import agenda, due
    from fieldapp.store.db import open_replica

    replica = open_replica(data_dir)
    me = rep_ids()[0]
    today = agenda.local_today()
    past = today - timedelta(days=200)
    out: dict[str, Any] = {}
    try:
        with replica.read_session() as s:
            out["week_me_ms"], week = _timed(
                lambda: agenda.agenda_for(s, today, week=True, owner_id=me), runs
            )
            out["week_me_items"] = len(week.visits) + len(week.tasks)
            out["past_week_me_ms"], _ = _timed(
                lambda: agenda.agenda_for(s, past, week=True, owner_id=me), runs
            )
            out["week_all_ms"], week = _timed(lambda: agenda.agenda_for(s, past, week=True), runs)
            out["week_all_items"] = len(week.visits) + len(week.tasks)
            out["due_ms"], listed = _timed(lambda: due.due_for_visit(s), max(1, runs // 2))
            out["due_total"] = listed.total
    finally:
        replica.close()
    return out


def agenda_week(day: date) -> date:
    return day - timedelta(days=day.weekday())


def in_the_app(data_dir: Path, runs: int) -> dict[str, Any]:
    from PySide6.QtCore import QSettings

    from fieldapp.store.db import open_replica
    from fieldapp.ui.agenda_panel import AgendaPanel
    from fieldapp.ui.main_window import MainWindow

    qt_app()
    replica = open_replica(data_dir)
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "ui.ini"), QSettings.Format.IniFormat)
    window = MainWindow(replica, settings=settings)
    window.resize(1280, 800)
    window.show()
    # Start-up first (every panel the role shows is built, one per event-loop turn, and
    # loads, over this replica's 1M visits and 20k tasks), under its own heartbeat: the
    # figures below are the agenda's, not the other panels'.
    heartbeat, collector = Heartbeat(), CollectorWatch()
    wait(
        lambda: (
            all(s.key in window.panels for s in window.specs if window.allowed(s))
            and window.bg.pending() == 0
        ),
        timeout=120,
    )
    startup = {
        "startup_stall_ms": heartbeat.stop(),
        "startup_busy": heartbeat.busy_text(),
        "startup_collections": collector.stop(),
    }

    heartbeat, collector = Heartbeat(), CollectorWatch()

    # Opening an Agenda: the panel is built, finds whose agenda it is, reads the
    # week and paints it (the window's own was built at start-up; this is a second
    # one, opened from scratch in the settled app).
    t0 = time.perf_counter()
    fresh = AgendaPanel(window.ctx)
    fresh.resize(1150, 700)
    fresh.show()
    wait(lambda: fresh.shown_start is not None)
    fresh.view.viewport().repaint()
    first_open = (time.perf_counter() - t0) * 1000
    wait(lambda: window.bg.pending() == 0 and fresh.due_total is not None)
    fresh.close()
    fresh.deleteLater()
    panel = window.show_panel("agenda")
    assert isinstance(panel, AgendaPanel)

    # Another week: from asking for it until it is painted.
    opens: list[float] = []
    today = date.today()
    for n in range(runs):
        day = today - timedelta(weeks=n + 1)
        t0 = time.perf_counter()
        panel.show_range(day, week=True)
        wait(lambda d=day: panel.shown_start == agenda_week(d))
        panel.view.viewport().repaint()
        opens.append((time.perf_counter() - t0) * 1000)
    panel.go_today()
    for _ in range(12):
        panel.go_next()
        wait(lambda: window.bg.pending() == 0)
    panel.set_week(False)
    wait(lambda: window.bg.pending() == 0)
    panel.set_week(True)
    wait(lambda: window.bg.pending() == 0)
    # Three drags: each writes, and the change notice reloads the week and (once the
    # burst is over) the due list, which judges all 100k accounts.
    panel.go_today()
    wait(lambda: window.bg.pending() == 0)
    movable = [v for v in panel.view.visits.values() if v.movable]
    for visit in movable[:3]:
        later = visit.start + timedelta(minutes=30)
        panel.move_visit(visit.id, later, later + (visit.end - visit.start))
        wait(lambda: window.bg.pending() == 0)
    settle = time.perf_counter() + 0.5  # the due list's reload waits out the burst
    wait(lambda: time.perf_counter() > settle and window.bg.pending() == 0)
    # A manager's view: every rep's visits of a past week (~4k).
    panel.set_owner(None)
    t0 = time.perf_counter()
    panel.show_range(today - timedelta(weeks=30), week=True)
    wait(lambda: panel.shown_start == agenda_week(today - timedelta(weeks=30)))
    panel.view.viewport().repaint()
    everyone = (time.perf_counter() - t0) * 1000
    everyone_items = len(panel.view.visits)
    wait(lambda: window.bg.pending() == 0)
    heartbeat.stop()
    collections = collector.stop()
    visible = len(panel.view.visits)
    window.shutdown()
    replica.close()
    return {
        "first_open_ms": first_open,
        "open_week_ms": statistics.median(opens),
        "open_week_max_ms": max(opens),
        **startup,
        "worst_stall_ms": heartbeat.worst,
        "worst_stall_busy": heartbeat.busy_text(),
        "collections": collections,
        "everyone_ms": everyone,
        "everyone_items": everyone_items,
        "items_last_week": visible,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--visits", type=int, default=1_000_000)
    parser.add_argument("--data-dir", type=Path, help="reuse (or fill) this data dir")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    data_dir = args.data_dir or Path(tempfile.gettempdir()) / "fieldapp-bench-agenda"
    t0 = time.perf_counter()
    build(data_dir, args.accounts, args.visits)
    print(
        f"replica: {data_dir} ({args.accounts:,} accounts, {args.visits:,} visits; "
        f"ready in {time.perf_counter() - t0:.1f} s)"
    )
    q = queries(data_dir, args.runs)
    ui = in_the_app(data_dir, args.runs)
    rows = [
        (
            "week agenda query, one rep",
            "",
            f"{q['week_me_ms']:.1f} ms ({q['week_me_items']} items)",
        ),
        ("  … a past week, one rep", "", f"{q['past_week_me_ms']:.1f} ms"),
        (
            "  … a past week, all 50 reps",
            "",
            f"{q['week_all_ms']:.1f} ms ({q['week_all_items']} items)",
        ),
        (
            "Agenda opened (built, its week read and painted)",
            "≤ 200 ms",
            f"{ui['first_open_ms']:.0f} ms",
        ),
        (
            "  … another week (read and painted)",
            "≤ 200 ms",
            f"{ui['open_week_ms']:.0f} ms (max {ui['open_week_max_ms']:.0f})",
        ),
        ("due-for-a-visit list", "", f"{q['due_ms']:.0f} ms ({q['due_total']:,} due)"),
        (
            "  … a past week of all 50 reps (a manager)",
            "",
            f"{ui['everyone_ms']:.0f} ms ({ui['everyone_items']:,} visits)",
        ),
        (
            "longest GUI-thread stall, agenda",
            "≤ 100 ms",
            f"{ui['worst_stall_ms']} ms",
        ),
        (
            "  … of which on the CPU: the GUI thread",
            "",
            ui["worst_stall_busy"],
        ),
        ("  … longest garbage collection meanwhile", "", ui["collections"]),
        (
            "longest GUI-thread stall, start-up (all panels)",
            "≤ 100 ms",
            f"{ui['startup_stall_ms']} ms",
        ),
        ("  … of which on the CPU: the GUI thread", "", ui["startup_busy"]),
        ("  … longest garbage collection meanwhile", "", ui["startup_collections"]),
    ]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{os.cpu_count()} CPUs, load average {load:.1f} when measured ({datetime.now():%H:%M})")
    print(f"{'what':<44} {'target':>9} {'measured':>28}")
    for what, target, measured in rows:
        print(f"{what:<44} {target:>9} {measured:>28}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
