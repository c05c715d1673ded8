"""Server reports (``GET /reports/{kind}``) at 100k accounts / 1M visits on PostgreSQL.

Run with ``python -m benchmarks.bench_server_reports`` (PostgreSQL at
``$FIELDAPP_BENCH_PG``, as ``bench_admin``, whose data it seeds: 100k accounts in 50
territories of one rep each, 10 visits per account over the year before 1 Nov 2026, a
deal on every other account, half of them open).
The report tables are then back-filled as server migration s0009 does for an existing
database (its time is printed too), a manager is given all 50 reps, and each report
is asked over HTTP as that manager and as an admin: the median wall time of ``--runs``
asks (after one warm-up) and the server process's CPU per ask, with the load average.
Target: each report ≤ 300 ms on the server.

``--scale 0.1`` makes everything ten times smaller (a quick check).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import date
from typing import Any

import requests
from sqlalchemy.orm import Session

from benchmarks import procstat
from benchmarks.bench_admin import PASSWORD, PG_URL, REPS, seed
from fieldapp.server import admin, audit, users
from fieldapp.server.db import Database
from fieldapp.server.reporting import rows
from tests.syncutil import ServerProcess, pg_schema

TARGET_MS = 300.0
# The seed's visits end on 1 Nov 2026: its October is "last month".
OCTOBER = {"from": "2026-10-01", "to": "2026-10-31"}
QUARTER = {"from": "2026-08-01", "to": "2026-10-31"}
YEAR = {"from": "2025-11-02", "to": "2026-11-01"}


def cases() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        ("visits by rep, October", "visits", {"by": "rep", **OCTOBER}),
        ("visits by week, a quarter", "visits", {"by": "week", **QUARTER}),
        ("visits by territory, October", "visits", {"by": "territory", **OCTOBER}),
        ("visits by rep, October, one territory", "visits",
         {"by": "rep", "territory": "T07", **OCTOBER}),
        ("visits by rep, 12 months (1M)", "visits", {"by": "rep", **YEAR}),
        ("visits by month, all time (1M)", "visits", {"by": "month"}),
        ("coverage by territory, today", "coverage", {"by": "territory"}),
        ("coverage by rep, today", "coverage", {"by": "rep"}),
        ("coverage by territory, as of 15 Oct", "coverage",
         {"by": "territory", "to": "2026-10-15"}),
        ("coverage of one rep", "coverage", {"by": "territory", "rep": "rep07"}),
        ("pipeline by stage (25k open deals)", "pipeline", {"by": "stage"}),
        ("pipeline by rep", "pipeline", {"by": "rep"}),
        ("pipeline by territory", "pipeline", {"by": "territory"}),
        ("forecast by month", "forecast", {"by": "month"}),
        ("wins by reason, 12 months", "wins", {"by": "reason", **YEAR}),
        ("wins by rep, 12 months", "wins", {"by": "rep", **YEAR}),
    ]  # fmt: skip


def _token(base: str, name: str) -> str:
    reply = requests.post(
        f"{base}/auth/login", json={"username": name, "password": PASSWORD}, timeout=60
    )
    reply.raise_for_status()
    return str(reply.json()["token"])


def measure(
    base: str, pid: int, token: str, kind: str, params: dict[str, Any], runs: int
) -> dict[str, float]:
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {token}"
    url = f"{base}/reports/{kind}"
    http.get(url, params=params, timeout=120).raise_for_status()  # warm-up
    walls, cpus = [], []
    for _ in range(runs):
        cpu, started = procstat.cpu_s(pid), time.perf_counter()
        reply = http.get(url, params=params, timeout=120)
        walls.append((time.perf_counter() - started) * 1000)
        cpus.append((procstat.cpu_s(pid) - cpu) * 1000)
        reply.raise_for_status()
    http.close()
    return {
        "wall_ms": round(statistics.median(walls), 1),
        "slowest_ms": round(max(walls), 1),
        "server_cpu_ms": round(statistics.median(cpus), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    figures: dict[str, Any] = {"accounts": int(100_000 * args.scale)}
    with pg_schema(PG_URL) as url:
        db = Database.open(url)
        started = time.perf_counter()
        seed(db, args.scale)
        figures["seed_s"] = round(time.perf_counter() - started, 1)
        # The seed writes records by COPY, past the writer: fill the tables as s0009 does.
        started = time.perf_counter()
        with Session(db.engine) as session:
            rows.backfill(session)
            session.commit()
        # VACUUM as autovacuum would after such a load: index-only scans need the
        # visibility map it writes.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE report_accounts")
            conn.exec_driver_sql("VACUUM ANALYZE report_visits")
        figures["backfill_s"] = round(time.perf_counter() - started, 1)
        print(f"seeded and back-filled: {figures}", file=sys.stderr)
        admin.add_user(db, "maria", PASSWORD, "manager")
        for i in range(REPS):
            users.change_user(db, audit.OPERATOR, f"rep{i:02}", manager="maria")
        server = ServerProcess(url)
        try:
            tokens = {who: _token(server.base, who) for who in ("maria", "boss")}
            results: dict[str, dict[str, dict[str, float]]] = {}
            for name, kind, params in cases():
                results[name] = {
                    who: measure(server.base, server.proc.pid, token, kind, params, args.runs)
                    for who, token in tokens.items()
                }
                print(name, results[name], f"load {procstat.load_average()}", file=sys.stderr)
        finally:
            server.stop()
            db.close()
    figures["reports"] = results
    figures["load_average"] = procstat.load_average()
    figures["day"] = date.today().isoformat()
    print(json.dumps(figures, indent=2))
    for name, by_role in results.items():
        for who, f in by_role.items():
            verdict = "met" if f["wall_ms"] <= TARGET_MS else "NOT met"
            role = "manager" if who == "maria" else "admin"
            print(
                f"{name} as {role}: wall {f['wall_ms']:.0f} ms, server CPU "
                f"{f['server_cpu_ms']:.0f} ms (target ≤ {TARGET_MS:.0f} ms) {verdict}"
            )
    print(f"load average {procstat.load_average()}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
