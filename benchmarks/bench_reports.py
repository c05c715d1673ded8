"""Report figures on a manager's replica: 100k accounts, 50 reps, 1M visits.

    python -m benchmarks.bench_reports [--data-dir DIR] [--scale F] [--runs N] [--plans]

Builds the replica once with bulk inserts (kept in --data-dir for the next run: a
second run measures at once), then times each report as the CLI, the Reports panel
and the Team panel ask for it: a fresh read session, the query, the plain report
back. Prints the median and the slowest of --runs runs per report; target ≤ 200 ms
each. --plans prints SQLite's query plan of each report's statements.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from fieldapp import reports
from fieldapp.domain.reports import ReportFilter
from fieldapp.reports import periods
from fieldapp.store import services
from fieldapp.store.db import Replica, open_replica
from fieldapp.store.models import VISIT_OUTCOMES, Account

REPS = 50
TERRITORIES = 10
STAGES = (
    ("Prospecting", 10),
    ("Qualification", 20),
    ("Needs Analysis", 40),
    ("Proposal", 60),
    ("Negotiation", 80),
    ("Closed Won", 100),
    ("Closed Lost", 0),
)
REASONS = ("Price", "Timing", "Competitor", "No budget", "Relationship", "Product fit", None)
CHUNK = 100_000


def build(replica: Replica, scale: float, seed: int = 1) -> dict[str, int]:
    """Fill an empty replica; returns what it holds. Deterministic for a seed."""
    rng = random.Random(seed)
    today = datetime.now(UTC).replace(microsecond=0)
    n_accounts = int(100_000 * scale)
    n_visits = int(1_000_000 * scale)
    with replica.session() as s:
        manager = services.create(s, "users", {"username": "maria", "role": "manager"})
        reps = [
            services.create(
                s,
                "users",
                {
                    "username": f"rep{i:02d}",
                    "display_name": f"Rep {i:02d}",
                    "role": "rep",
                    "manager_id": manager,
                },
            )
            for i in range(REPS)
        ]
        territories = [
            services.create(s, "territories", {"name": f"Territory {i + 1}"})
            for i in range(TERRITORIES)
        ]
    per_territory = REPS // TERRITORIES
    owners: list[str] = []
    account_ids: list[str] = []
    for start in range(0, n_accounts, CHUNK):
        rows = []
        for i in range(start, min(start + CHUNK, n_accounts)):
            t = rng.randrange(TERRITORIES)
            owner = reps[t * per_territory + rng.randrange(per_territory)]
            owners.append(owner)
            rows.append(
                {
                    "name": f"Account {i}",
                    "type": rng.choice(("customer", "prospect", "partner")),
                    "status": "active" if rng.random() < 0.95 else "inactive",
                    "city": "Köln",
                    "territory_id": territories[t],
                    "owner_id": owner,
                }
            )
        with replica.session() as s:
            account_ids += services.bulk_create(s, "accounts", rows)
    # Visits over the last two years, busier accounts visited more often.
    weights = [rng.random() ** 2 for _ in account_ids]
    for start in range(0, n_visits, CHUNK):
        count = min(CHUNK, n_visits - start)
        picks = rng.choices(range(len(account_ids)), weights, k=count)
        rows = []
        for a in picks:
            at = today - timedelta(days=rng.randrange(730), minutes=rng.randrange(8 * 60, 18 * 60))
            timed = rng.random() < 0.85
            rows.append(
                {
                    "account_id": account_ids[a],
                    "owner_id": owners[a],
                    "checkin_at": at,
                    "checkout_at": at + timedelta(minutes=rng.randrange(10, 120)) if timed else at,
                    "outcome": rng.choice(VISIT_OUTCOMES),
                }
            )
        with replica.session() as s:
            services.bulk_create(s, "visits", rows)
    # Deals, notes and done tasks on a tenth of the accounts each.
    deals, notes, tasks = [], [], []
    for _ in range(n_accounts // 2):
        a = rng.randrange(len(account_ids))
        stage, probability = rng.choice(STAGES)
        closed = stage.startswith("Closed")
        deals.append(
            {
                "account_id": account_ids[a],
                "owner_id": owners[a],
                "name": f"Deal {len(deals)}",
                "stage": stage,
                "probability": probability,
                "amount": rng.randrange(1_000, 200_000),
                "currency": "EUR" if rng.random() < 0.95 else "USD",
                "close_date": (today + timedelta(days=rng.randrange(-365, 365))).date(),
                "won_lost_reason": rng.choice(REASONS) if closed else None,
            }
        )
    for _ in range(n_accounts * 2):
        a = rng.randrange(len(account_ids))
        notes.append(
            {
                "account_id": account_ids[a],
                "owner_id": owners[a],
                "body": "Talked about the next order",
            }
        )
    for _ in range(n_accounts):
        a = rng.randrange(len(account_ids))
        done = rng.random() < 0.6
        due = today - timedelta(days=rng.randrange(-30, 365))
        tasks.append(
            {
                "account_id": account_ids[a],
                "owner_id": owners[a],
                "title": "Send the offer",
                "due_at": due,
                "done": done,
                "done_at": due if done else None,
            }
        )
    with replica.session() as s:
        services.bulk_create(s, "opportunities", deals)
        services.bulk_create(s, "notes", notes)
        services.bulk_create(s, "tasks", tasks)
    return {"accounts": n_accounts, "visits": n_visits, "deals": len(deals)}


def holds(replica: Replica) -> int:
    with replica.read_session() as s:
        return s.scalar(select(func.count()).select_from(Account)) or 0


def cases(replica: Replica) -> list[tuple[str, Callable[[Session], Any]]]:
    today = date.today()
    last_month = periods.period("last_month", today)
    quarter = periods.period("this_quarter", today)
    year = (today - timedelta(days=364), today)
    with replica.read_session() as s:
        territory = reports.people.places(s)[0].id
        rep = next(p.id for p in reports.people.people(s) if p.role == "rep")

    def f(period: tuple[date, date] | None, **kw: Any) -> ReportFilter:
        start, end = period or (None, None)
        return ReportFilter(start=start, end=end, **kw)

    return [
        ("visits by rep, last month", lambda s: reports.visits(s, f(last_month), "rep")),
        ("visits by week, this quarter", lambda s: reports.visits(s, f(quarter), "week")),
        (
            "visits by territory, last month",
            lambda s: reports.visits(s, f(last_month), "territory"),
        ),
        (
            "visits by rep, last month, one territory",
            lambda s: reports.visits(s, f(last_month, territory_id=territory), "rep"),
        ),
        ("visits by rep, last 12 months", lambda s: reports.visits(s, f(year), "rep")),
        ("visits by month, all time (1M)", lambda s: reports.visits(s, f(None), "month")),
        ("coverage by territory, today", lambda s: reports.coverage(s, f(None), "territory")),
        ("coverage by rep, today", lambda s: reports.coverage(s, f(None), "rep")),
        (
            "coverage of one rep",
            lambda s: reports.coverage(s, f(None, rep_id=rep), "territory"),
        ),
        (
            "overdue accounts of one rep (Team)",
            lambda s: reports.overdue_accounts(s, f(None, rep_id=rep)),
        ),
        ("pipeline by stage", lambda s: reports.pipeline(s, f(None), "stage")),
        ("pipeline by rep", lambda s: reports.pipeline(s, f(None), "rep")),
        (
            "pipeline by close month, one territory",
            lambda s: reports.pipeline(s, f(None, territory_id=territory), "month"),
        ),
        ("forecast by month, this quarter", lambda s: reports.forecast(s, f(quarter), "month")),
        ("wins by reason, last 12 months", lambda s: reports.wins(s, f(year), "reason")),
        ("wins by rep, last 12 months", lambda s: reports.wins(s, f(year), "rep")),
        ("activity, everyone, newest 200", lambda s: reports.activity(s, f(None))),
        (
            "activity of one rep, last month",
            lambda s: reports.activity(s, f(last_month, rep_id=rep)),
        ),
        ("team view, every rep (6 reports)", lambda s: reports.team(s)),
    ]


def measure(replica: Replica, runs: int, plans: bool) -> list[tuple[str, float, float, float]]:
    """(report, median ms, slowest ms, median CPU ms) per case."""
    figures = []
    for name, fn in cases(replica):
        times, cpu = [], []
        for _ in range(runs):
            started, used = time.perf_counter(), time.process_time()
            with replica.read_session() as s:
                fn(s)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - used) * 1000)
        figures.append((name, statistics.median(times), max(times), statistics.median(cpu)))
        if plans:
            print_plan(replica, name, fn)
    return figures


def print_plan(replica: Replica, name: str, fn: Callable[[Session], Any]) -> None:
    statements: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "sqlite_master" not in statement:
            statements.append((statement, params))

    event.listen(replica.engine, "before_cursor_execute", keep)
    try:
        with replica.read_session() as s:
            fn(s)
    finally:
        event.remove(replica.engine, "before_cursor_execute", keep)
    print(f"-- {name}")
    with replica.engine.connect() as conn:
        for statement, params in statements:
            for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params):
                print("   ", row[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data-dir", type=Path, help="reuse (or fill) this data dir")
    parser.add_argument("--scale", type=float, default=1.0, help="0.1: 10k accounts, 100k visits")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--plans", action="store_true", help="print each query plan")
    args = parser.parse_args(argv)
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="fieldapp-bench-reports-"))
    replica = open_replica(data_dir)
    try:
        if holds(replica) == 0:
            started = time.perf_counter()
            built = build(replica, args.scale)
            print(
                f"built {data_dir}: {built['accounts']:,} accounts, {built['visits']:,} visits, "
                f"{built['deals']:,} deals in {time.perf_counter() - started:.0f} s"
            )
        else:
            print(f"replica: {data_dir} ({holds(replica):,} accounts)")
        figures = measure(replica, args.runs, args.plans)
    finally:
        replica.close()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{os.cpu_count()} CPUs, load average {load:.1f} when measured")
    print(f"{'report':<44} {'target':>8} {'median':>9} {'slowest':>9} {'CPU':>9}")
    for name, median, slowest, cpu in figures:
        print(f"{name:<44} {'≤ 200 ms':>8} {median:>6.0f} ms {slowest:>6.0f} ms {cpu:>6.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
