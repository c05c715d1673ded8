"""What automation rules cost: in a push, in the server's flag pass, on a replica.

Run with ``python -m benchmarks.bench_rules [--accounts N] [--postgresql]`` (default
20k accounts on SQLite; PostgreSQL at ``$FIELDAPP_BENCH_PG`` in a throw-away schema).
The server's database is driven in-process (``fieldapp.server.sync.push``, as the
``/sync/push`` route calls it), so the figures are the server's work without HTTP:

1. a push of 1000 visits done with outcome ``no_decision``, with no rule and with a
   follow-up rule for that outcome (which then makes 1000 tasks in the same push);
2. the push of a new flag rule, which flags the overdue half of the accounts in it,
   then the server's pass (``fieldapp-server rules run``) that finds nothing new;
3. the same flags on a replica holding the accounts (``fieldapp rules run``).

Each step prints its wall time and this process's CPU time; the load average at the
end. No targets are set for rules: the push must stay within the sync round trip's.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from fieldapp.server import admin, rule_pass, sync
from fieldapp.server.auth import Principal
from fieldapp.server.db import Database
from fieldapp.server.models import Record
from fieldapp.store import rules, services
from fieldapp.store.db import open_replica
from fieldapp.sync.protocol import Mutation
from tests.syncutil import pg_schema

PG_URL = os.environ.get("FIELDAPP_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BATCH = 1000


def _insert(entity: str, **values: Any) -> Mutation:
    return Mutation(
        mutation_id=str(uuid.uuid4()),
        entity=entity,
        row_id=str(uuid.uuid4()),
        op="insert",
        changes={k: [None, v] for k, v in values.items()},
    )


def timed(name: str, work: Callable[[], Any], figures: dict[str, Any]) -> Any:
    started, cpu = time.perf_counter(), time.process_time()
    result = work()
    figures[name] = {
        "wall_s": round(time.perf_counter() - started, 3),
        "cpu_s": round(time.process_time() - cpu, 3),
    }
    print(f"{name:<34} {figures[name]['wall_s']:>8.3f} s wall {figures[name]['cpu_s']:>8.3f} s CPU")
    return result


def _visits(accounts: list[str], when: str, outcome: str) -> list[Mutation]:
    return [_insert("visits", account_id=a, outcome=outcome, checkin_at=when) for a in accounts]


def server_figures(db: Database, count: int, figures: dict[str, Any]) -> list[str]:
    admin.add_user(db, "boss", "bench password", "admin")
    boss = Principal(admin.list_users(db)[0]["id"], "boss", "admin", None)
    accounts: list[str] = []
    for start in range(0, count, BATCH):
        batch = [_insert("accounts", name=f"A{i}") for i in range(start, min(count, start + BATCH))]
        sync.push(db, boss, batch)
        accounts += [m.row_id for m in batch]
    # Half the accounts were visited a year ago (overdue), half last week.
    old = (datetime.now(UTC) - timedelta(days=365)).isoformat()
    recent = (datetime.now(UTC) - timedelta(days=7)).isoformat()
    for start in range(0, count, BATCH):
        part = accounts[start : start + BATCH]
        sync.push(
            db, boss, _visits(part, old if (start // BATCH) % 2 == 0 else recent, "successful")
        )
    sample = accounts[BATCH : 2 * BATCH]  # visited last week: they stay so
    timed(
        "push 1000 visits, no rule",
        lambda: sync.push(db, boss, _visits(sample, recent, "no_decision")),
        figures,
    )
    rule = _insert("rules", name="Chase", kind="follow_up", outcome="no_decision", days=3)
    sync.push(db, boss, [rule])
    timed(
        "push 1000 visits, follow-up rule",
        lambda: sync.push(db, boss, _visits(sample, recent, "no_decision")),
        figures,
    )
    flag_rule = [_insert("rules", name="Overdue", kind="overdue_flag")]
    timed("push a flag rule (its first pass)", lambda: sync.push(db, boss, flag_rule), figures)
    again = timed("server flag pass (nothing new)", lambda: rule_pass.run(db), figures)
    assert again == 0
    with db.session() as s:
        figures["server_flags"] = s.scalar(
            select(func.count()).select_from(Record).where(Record.entity == "flags")
        )
    return accounts


def replica_figures(count: int, work: Path, figures: dict[str, Any]) -> None:
    replica = open_replica(work / "replica")
    try:
        old = datetime.now(UTC) - timedelta(days=365)
        with replica.session() as s:
            ids = services.bulk_create(s, "accounts", [{"name": f"A{i}"} for i in range(count)])
            services.bulk_create(
                s, "visits",
                [{"account_id": a, "outcome": "successful", "checkin_at": old} for a in ids[::2]],
            )  # fmt: skip
            rules.save(s, {"name": "Overdue", "kind": "overdue_flag"})
        with replica.session() as s:
            flagged = timed(
                f"replica flag pass, {count} accounts", lambda: rules.run_flags(s), figures
            )
        figures["replica_flags"] = flagged
    finally:
        replica.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=20_000, help="at least 2000")
    parser.add_argument("--postgresql", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    figures: dict[str, Any] = {"accounts": args.accounts}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.postgresql:
            with pg_schema(PG_URL) as url:
                db = Database.open(url)
                try:
                    server_figures(db, args.accounts, figures)
                finally:
                    db.close()
        else:
            db = Database.open(f"sqlite:///{work / 'server.sqlite3'}")
            try:
                server_figures(db, args.accounts, figures)
            finally:
                db.close()
        replica_figures(args.accounts, work, figures)
    figures["load_average_1m"] = round(os.getloadavg()[0], 2)
    print(f"load average (1 min): {figures['load_average_1m']}")
    if args.json:
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
