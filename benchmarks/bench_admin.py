"""Reassignment benchmarks against a real server process on PostgreSQL.

Run with ``python -m benchmarks.bench_admin`` (PostgreSQL at ``$FIELDAPP_BENCH_PG``,
default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``; a throw-away schema is
made and dropped). 100k accounts in 50 territories of one rep each, a deal on every
other account and 10 visits per account (1M), written by COPY, and the report tables
back-filled from them as a real server keeps them (server/reporting); then, through
the admin API as the `fieldapp admin` commands call it, 10k accounts of five reps move
to a sixth:

1. preview: create the proposal and get its diff (target ≤ 1 s);
2. apply it (target ≤ 3 s);
3. the next sync of each of the six affected reps, each replica synced in full before
   (target ≤ 2 s each);
4. the rollback to before the proposal, and the reps' syncs after it (figures only).

Each step's wall time, the CPU time of this process (the clients) and of the server
process in it, and the load average at the end (PostgreSQL's own CPU is not counted).

``--scale 0.1`` makes everything ten times smaller (a quick check).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import keyring
from sqlalchemy import text
from sqlalchemy.orm import Session

from fieldapp.server import admin
from fieldapp.server.db import Database
from fieldapp.server.reporting import rows as report_rows
from fieldapp.store import services
from fieldapp.store.db import open_replica
from fieldapp.sync.admin_api import AdminApi
from fieldapp.sync.engine import SyncEngine
from fieldapp.sync.transport import Transport
from tests.syncutil import ServerProcess, pg_schema
from tests.testkeyring import MemoryKeyring

PG_URL = os.environ.get("FIELDAPP_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PASSWORD = "bench password"
REPS = 50
LOSERS = 5  # reps whose territories give up accounts; the next rep gains them
TARGETS = {"preview_s": 1.0, "apply_s": 3.0, "rep_sync_s": 2.0}


def seed(db: Database, scale: float) -> dict[str, Any]:
    """Users and territories through the admin functions; the bulk records through COPY."""
    admin.add_user(db, "boss", PASSWORD, "admin")
    reps, territories = [], []
    for i in range(REPS):
        reps.append(admin.add_user(db, f"rep{i:02}", PASSWORD, "rep"))
        territories.append(admin.add_territory(db, f"T{i:02}", None, [f"P{i:02}"]))
        admin.assign_territory(db, f"T{i:02}", f"rep{i:02}")
    n_accounts = int(100_000 * scale)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    stamp = {"created_at": now.isoformat(), "updated_at": now.isoformat(), "deleted_at": None}
    with db.engine.connect() as conn:
        version = int(
            conn.execute(text("SELECT value FROM counters WHERE name='seq'")).scalar_one()
        )
    by_territory: dict[int, list[str]] = {}
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        columns = "id, entity, version, data, deleted, account_id, territory_id, owner_id"
        with cur.copy(f"COPY records ({columns}) FROM STDIN") as copy:
            for i in range(n_accounts):
                t = i % REPS
                acc = str(uuid.uuid4())
                by_territory.setdefault(t, []).append(acc)
                version += 1
                data = {
                    "id": acc, "name": f"Account {i}", "type": "customer",
                    "postcode": f"P{t:02} {i % 1000}", "territory_id": territories[t],
                    "owner_id": reps[t], "status": "active", **stamp,
                }  # fmt: skip
                copy.write_row(
                    (acc, "accounts", version, json.dumps(data), False, acc, territories[t],
                     reps[t])
                )  # fmt: skip
                rows = []
                if i % 2 == 0:
                    deal = {
                        "id": str(uuid.uuid4()), "account_id": acc, "name": f"Deal {i}",
                        "stage": "Proposal" if i % 4 == 0 else "Closed Won",
                        "amount": f"{1000 + i % 97 * 10}.00", "currency": "EUR",
                        "owner_id": reps[t], **stamp,
                    }  # fmt: skip
                    rows.append(("opportunities", deal))
                for v in range(10):
                    start = now - timedelta(days=(i + v * 37) % 365)
                    visit = {
                        "id": str(uuid.uuid4()), "account_id": acc, "owner_id": reps[t],
                        "planned_start": start.isoformat(), "checkin_at": start.isoformat(),
                        "checkout_at": (start + timedelta(minutes=40)).isoformat(),
                        "outcome": "successful", "notes": "Spring order; wants a quote.",
                        **stamp,
                    }  # fmt: skip
                    rows.append(("visits", visit))
                for entity, doc in rows:
                    version += 1
                    # In scope through its account: no territory of its own (server/scope.py).
                    copy.write_row(
                        (doc["id"], entity, version, json.dumps(doc), False, acc, None, reps[t])
                    )  # fmt: skip
        cur.execute("UPDATE counters SET value = %s WHERE name IN ('seq', 'scope')", (version,))
        cur.execute("ANALYZE records")
        raw.commit()
    finally:
        raw.close()
    fill_report_tables(db)
    return {"by_territory": by_territory}


def fill_report_tables(db: Database) -> None:
    """The report tables as a real server keeps them (COPY went past the records' writer):
    back-filled as server migration s0009 does, then vacuumed as autovacuum would."""
    with Session(db.engine) as session:
        report_rows.backfill(session)
        session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("report_accounts", "report_visits", "report_deals"):
            conn.exec_driver_sql(f"VACUUM ANALYZE {table}")


def _client(base: str, work: Path, name: str) -> tuple[Any, SyncEngine]:
    replica = open_replica(work / name)
    transport = Transport(base)
    transport.login(name, PASSWORD)
    return replica, SyncEngine(replica, transport, chunk_size=5000)


def _accounts(replica: Any) -> int:
    with replica.read_session() as s:
        return int(services.count(s, "accounts"))


def _process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process used so far, from /proc (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Clock:
    """Wall time of a step, and the CPU time this process and the server's spent in it."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.cpu: dict[str, dict[str, float]] = {}

    def timed(self, name: str, work: Any) -> tuple[Any, float]:
        started, cpu, server = time.perf_counter(), time.process_time(), self._server()
        result = work()
        wall = time.perf_counter() - started
        self.cpu[name] = {
            "client_cpu_s": round(time.process_time() - cpu, 3),
            "server_cpu_s": round(self._server() - server, 3),
        }
        return result, wall

    def _server(self) -> float:
        # uvicorn's worker processes are the server's children.
        pids = [self.server_pid]
        children = Path(f"/proc/{self.server_pid}/task/{self.server_pid}/children")
        if children.exists():
            pids += [int(p) for p in children.read_text().split()]
        return sum(_process_cpu(p) for p in pids)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    per_rep = int(100_000 * args.scale) // REPS
    with pg_schema(PG_URL) as url, tempfile.TemporaryDirectory() as tmp:
        # The replicas' keys and the sign-ins in memory: never the machine's own keyring.
        keyring.set_keyring(MemoryKeyring(Path(tmp) / "keyring.json"))
        db = Database.open(url)
        started = time.perf_counter()
        seeded = seed(db, args.scale)
        print(f"seeded in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        server = ServerProcess(url, workers=args.workers)
        try:
            work = Path(tmp)
            names = [f"rep{i:02}" for i in range(LOSERS + 1)]
            clients = {n: _client(server.base, work, n) for n in names}
            for replica, engine in clients.values():
                engine.sync()
                assert _accounts(replica) == per_rep
            print("replicas synced; reassigning", file=sys.stderr)
            clock = Clock(server.proc.pid)
            boss = Transport(server.base)
            boss.login("boss", PASSWORD)
            api = AdminApi(boss)
            moving = [a for t in range(LOSERS) for a in seeded["by_territory"][t]]
            target = f"T{LOSERS:02}"

            def preview() -> dict[str, Any]:
                return api.diff(api.propose(target, accounts=moving))

            diff, preview_s = clock.timed("preview", preview)
            assert diff["territory_moves"] == len(moving)
            applied, apply_s = clock.timed("apply", lambda: api.apply(diff["version"]))
            assert applied["moving_count"] == len(moving)
            syncs = {}
            for name, (_replica, engine) in clients.items():
                _, syncs[name] = clock.timed(f"sync {name}", engine.sync)
            gainer = clients[names[-1]][0]
            assert _accounts(gainer) == per_rep * (LOSERS + 1), _accounts(gainer)
            assert all(_accounts(clients[n][0]) == 0 for n in names[:-1])
            _, rollback_s = clock.timed("rollback", lambda: api.rollback(0))
            back = {}
            for name, (_replica, engine) in clients.items():
                _, back[name] = clock.timed(f"sync after rollback {name}", engine.sync)
            assert all(_accounts(clients[n][0]) == per_rep for n in names)
            boss.close()
            for replica, engine in clients.values():
                engine.transport.close()
                replica.close()
        finally:
            server.stop()
            db.close()
    figures = {
        "accounts": int(100_000 * args.scale),
        "moved": len(moving),
        "preview_s": round(preview_s, 3),
        "apply_s": round(apply_s, 3),
        "rep_sync_s": {k: round(v, 3) for k, v in syncs.items()},
        "rollback_s": round(rollback_s, 3),
        "rep_sync_after_rollback_s": {k: round(v, 3) for k, v in back.items()},
        "cpu": clock.cpu,
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(figures, indent=2))
    worst = max(syncs.values())
    for what, value in (("preview_s", preview_s), ("apply_s", apply_s), ("rep_sync_s", worst)):
        verdict = "met" if value <= TARGETS[what] else "NOT met"
        print(f"{what}: {value:.2f} s (target ≤ {TARGETS[what]:g} s) {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
