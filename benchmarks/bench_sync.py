"""Sync benchmarks against a real server process on PostgreSQL.

Run with ``python -m benchmarks.bench_sync`` (PostgreSQL at ``$FIELDAPP_BENCH_PG``, default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``; a throw-away schema is made and
dropped). Prints three figures:

1. initial sync of 50k accounts + 100k contacts + 200k visits into an empty replica
   (rows/s end to end, peak memory of the client process and of the server worker);
2. a one-change round trip (push one edited field, pull it back: ms and bytes on the wire);
3. 100 simulated reps syncing concurrently, each a few times with a short random pause
   (p50 / p95 latency of one sync, errors, rows/s pulled, the server's CPU seconds per sync);
4. 1,000 simulated reps each syncing about once a minute with a few edits, for
   ``--fleet-minutes`` (default 3; 0 skips it): p50 / p95, errors, the server's CPU and
   memory (see :mod:`benchmarks.sync_fleet`).

``--scale 0.1`` makes everything ten times smaller (a quick check); ``--only`` runs some of
the figures. The load average is printed with each, since the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from benchmarks import procstat, sync_fleet
from fieldapp.server import admin
from fieldapp.server.db import Database, counter
from fieldapp.store import services
from fieldapp.store.db import open_replica
from fieldapp.sync import incoming
from fieldapp.sync.engine import SyncEngine
from fieldapp.sync.protocol import Mutation
from fieldapp.sync.transport import Transport
from tests.syncutil import ServerProcess, pg_schema

PG_URL = os.environ.get("FIELDAPP_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PASSWORD = "bench password"
REPS = 100
# Each simulated rep waits 0..PAUSE_S seconds (uniform) before each of its syncs: 100 reps
# then send about 100 / (PAUSE_S / 2) syncs a second, all of them in flight together.
PAUSE_S = 2.0
TARGETS = {
    "initial_rows_per_s": 40_000,
    "initial_peak_mb": 500,
    "round_trip_ms": 50,
    "round_trip_bytes": 1024,
    "concurrent_p95_ms": 300,
}


def _iso(dt: datetime) -> str:
    return dt.isoformat()


def seed(db: Database, scale: float) -> dict[str, Any]:
    """Users and territories through the admin API; the bulk records through COPY."""
    admin.add_user(db, "boss", PASSWORD, "admin")
    admin.add_user(db, "mgr", PASSWORD, "manager")
    reps, territories = [], []
    for i in range(REPS):
        reps.append(admin.add_user(db, f"rep{i:03}", PASSWORD, "rep", "mgr"))
        territories.append(admin.add_territory(db, f"T{i:03}", None, [f"P{i:03}"]))
        admin.assign_territory(db, f"T{i:03}", f"rep{i:03}")
    n_accounts = int(50_000 * scale)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    stamp = {"created_at": _iso(now), "updated_at": _iso(now), "deleted_at": None}
    rng = random.Random(1)
    with db.engine.connect() as conn:
        version = int(
            conn.execute(text("SELECT value FROM counters WHERE name='seq'")).scalar_one()
        )
    rows: list[tuple[Any, ...]] = []
    accounts: list[tuple[str, int]] = []
    for i in range(n_accounts):
        version += 1
        t = i % REPS
        acc = str(uuid.uuid4())
        accounts.append((acc, t))
        data = {
            "id": acc,
            "name": f"Account {i}",
            "type": "customer",
            "city": rng.choice(["Leeds", "York", "Hull", "Bonn", "Kiel"]),
            "postcode": f"P{t:03} {i % 1000}",
            "phone": f"+4411349{i:05}",
            "latitude": 50 + rng.random(),
            "longitude": 7 + rng.random(),
            "territory_id": territories[t],
            "owner_id": reps[t],
            "status": "active",
            **stamp,
        }
        rows.append(
            (acc, "accounts", version, json.dumps(data), False, acc, territories[t], reps[t])
        )
    for i in range(2 * n_accounts):
        version += 1
        acc, t = accounts[i % n_accounts]
        cid = str(uuid.uuid4())
        data = {
            "id": cid,
            "account_id": acc,
            "first_name": "Jana",
            "last_name": f"Novak {i}",
            "email": f"jana{i}@example.com",
            "owner_id": reps[t],
            **stamp,
        }
        rows.append(
            (cid, "contacts", version, json.dumps(data), False, acc, territories[t], reps[t])
        )
    for i in range(4 * n_accounts):
        version += 1
        acc, t = accounts[i % n_accounts]
        vid = str(uuid.uuid4())
        start = now - timedelta(days=i % 365)
        data = {
            "id": vid,
            "account_id": acc,
            "owner_id": reps[t],
            "planned_start": _iso(start),
            "checkin_at": _iso(start),
            "checkout_at": _iso(start + timedelta(minutes=40)),
            "outcome": "successful",
            "notes": "Talked about the spring order; wants a quote.",
            **stamp,
        }
        rows.append((vid, "visits", version, json.dumps(data), False, acc, territories[t], reps[t]))
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        columns = "id, entity, version, data, deleted, account_id, territory_id, owner_id"
        with cur.copy(f"COPY records ({columns}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            for row in rows:
                copy.write_row(row)
        cur.execute("UPDATE counters SET value = %s WHERE name IN ('seq', 'scope')", (version,))
        cur.execute("ANALYZE records")
        raw.commit()
    finally:
        raw.close()
    return {"rows": len(rows), "accounts": accounts, "reps": reps, "territories": territories}


def peak_rss_mb() -> float:
    """This process's peak RSS, MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_initial(base: str, work: Path, rows: int) -> tuple[dict[str, float], Any, SyncEngine]:
    replica = open_replica(work / "mgr")
    transport = Transport(base)
    transport.login("mgr", PASSWORD)
    engine = SyncEngine(replica, transport, chunk_size=5000)
    started = time.perf_counter()
    report = engine.sync()
    elapsed = time.perf_counter() - started
    with replica.read_session() as s:
        local = sum(services.count(s, e) for e in ("accounts", "contacts", "visits"))
    assert local == rows, f"replica has {local} rows, expected {rows}"
    return (
        {
            "rows": report.pulled,
            "seconds": elapsed,
            "rows_per_s": report.pulled / elapsed,
            "client_peak_mb": peak_rss_mb(),
            "bytes_received": transport.bytes_received,
        },
        replica,
        engine,
    )


def bench_round_trip(replica: Any, engine: SyncEngine, repeats: int = 20) -> dict[str, float]:
    transport = engine.transport
    with replica.read_session() as s:
        [acc] = services.list_records(s, "accounts", limit=1)
    times, sizes = [], []
    for i in range(repeats):
        with replica.session() as s:
            services.update(s, "accounts", acc["id"], {"description": f"call back {i}"})
        sent, received = transport.bytes_sent, transport.bytes_received
        started = time.perf_counter()
        report = engine.sync()
        times.append((time.perf_counter() - started) * 1000)
        sizes.append(transport.bytes_sent - sent + transport.bytes_received - received)
        assert report.pushed == 1 and not report.rejections
    return {"ms_p50": statistics.median(times), "ms_max": max(times), "bytes": max(sizes)}


def bench_concurrent(
    base: str,
    seeded: dict[str, Any],
    rounds: int,
    start: int,
    pause: float = PAUSE_S,
    server_pid: int | None = None,
) -> dict[str, float]:
    """100 reps, each signed in once, syncing ``rounds`` times with a random pause.

    The 100 reps run at once (threads, one connection each), each pausing 0..PAUSE_S s
    before each sync: about 100 syncs a second reach the server.

    Each sync is what the engine sends for a small edit: hello, a push of one change and
    pulls from the rep's cursor until caught up. The reps start from a cursor at the end
    of their initial sync (measured above), as they would on a normal working day.
    """
    by_rep: dict[int, list[str]] = {}
    for acc, t in seeded["accounts"]:
        by_rep.setdefault(t, []).append(acc)
    latencies: list[float] = []
    errors: list[str] = []
    pulled = [0]
    lock = threading.Lock()
    barrier = threading.Barrier(REPS)

    # Signed in first, one after another: a rep signs in once a fortnight, and the
    # server throttles a burst of sign-ins from one address (bench_auth measures that);
    # the figure here is the syncs.
    transports = []
    for i in range(REPS):
        signed_in = Transport(base, retries=0, timeout=30)
        signed_in.login(f"rep{i:03}", PASSWORD)
        transports.append(signed_in)

    def rep(i: int) -> None:
        rng = random.Random(i)
        transport = transports[i]
        try:
            hello = transport.hello()
            cursor = scope_seq = start
            assert hello.user.username == f"rep{i:03}"
            barrier.wait()
            for r in range(rounds):
                time.sleep(rng.random() * pause)
                acc = rng.choice(by_rep[i])
                m = Mutation(
                    mutation_id=str(uuid.uuid4()),
                    entity="accounts",
                    row_id=acc,
                    op="update",
                    changes={"description": [None, f"rep{i} round {r}"]},
                )
                started = time.perf_counter()
                transport.hello()
                [result] = transport.push([m])
                n = 0
                while True:
                    chunk = incoming.decode(transport.pull_body(cursor, 2000, scope_seq))
                    n += chunk.count
                    cursor, scope_seq = chunk.cursor, chunk.scope_seq
                    if not chunk.more:
                        break
                took = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(took)
                    pulled[0] += n
                    if result.status == "rejected":
                        errors.append(result.reason or "rejected")
        except Exception as exc:  # counted, not raised: the figure is the error count
            with lock:
                errors.append(repr(exc))
            barrier.abort()
        finally:
            transport.close()

    threads = [threading.Thread(target=rep, args=(i,)) for i in range(REPS)]
    cpu_before = procstat.cpu_s(server_pid) if server_pid else 0.0
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    server_cpu = procstat.cpu_s(server_pid) - cpu_before if server_pid else float("nan")
    latencies.sort()
    p = (
        (lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))])
        if latencies
        else (lambda q: float("nan"))
    )
    return {
        "syncs": len(latencies),
        "p50_ms": p(0.50),
        "p95_ms": p(0.95),
        "errors": len(errors),
        "rows_per_s": pulled[0] / elapsed,
        "server_cpu_ms_per_sync": server_cpu * 1000 / max(1, len(latencies)),
        "first_error": errors[0] if errors else "",  # type: ignore[dict-item]
    }


def _print_initial(server: ServerProcess, tmp: Path, seeded: dict[str, Any]) -> None:
    initial, replica, engine = bench_initial(server.base, tmp, seeded["rows"])
    print(
        f"initial sync: {initial['rows']} rows in {initial['seconds']:.1f} s = "
        f"{initial['rows_per_s']:,.0f} rows/s (target >= "
        f"{TARGETS['initial_rows_per_s']:,}); client peak memory "
        f"{initial['client_peak_mb']:.0f} MB (target <= {TARGETS['initial_peak_mb']}); "
        f"{initial['bytes_received'] / 1e6:.0f} MB received; load {procstat.load_average()}",
        flush=True,
    )
    trip = bench_round_trip(replica, engine)
    print(
        f"one-change round trip: {trip['ms_p50']:.1f} ms median, {trip['ms_max']:.1f} ms "
        f"max (target <= {TARGETS['round_trip_ms']}); {trip['bytes']:.0f} bytes of "
        f"payload (target <= {TARGETS['round_trip_bytes']})",
        flush=True,
    )
    replica.close()
    engine.transport.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=5, help="syncs per rep (concurrent run)")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument(
        "--pause",
        type=float,
        action="append",
        help=f"longest pause before each rep's sync, s (repeatable; default {PAUSE_S})",
    )
    parser.add_argument("--fleet", type=int, default=1000, help="reps of the once-a-minute run")
    parser.add_argument(
        "--fleet-minutes", type=float, default=3.0, help="length of that run (0 skips it)"
    )
    parser.add_argument(
        "--only",
        choices=("initial", "burst", "fleet"),
        action="append",
        help="run only these figures (repeatable; default all)",
    )
    args = parser.parse_args(argv)
    only = set(args.only or ("initial", "burst", "fleet"))
    with pg_schema(PG_URL) as url, tempfile.TemporaryDirectory() as tmp:
        db = Database.open(url)
        t0 = time.perf_counter()
        seeded = seed(db, args.scale)
        print(f"seeded {seeded['rows']} records in {time.perf_counter() - t0:.1f} s", flush=True)
        server = ServerProcess(url, workers=args.workers)
        try:
            if "initial" in only:
                _print_initial(server, Path(tmp), seeded)
            with db.session() as s:
                start = counter(s, "seq")
            for pause in (args.pause or [PAUSE_S]) if "burst" in only else []:
                conc = bench_concurrent(
                    server.base, seeded, args.rounds, start, pause, server.proc.pid
                )
                print(
                    f"{REPS} reps concurrently (pause 0-{pause:g} s), {conc['syncs']} syncs: "
                    f"p50 {conc['p50_ms']:.0f} ms, "
                    f"p95 {conc['p95_ms']:.0f} ms (target <= {TARGETS['concurrent_p95_ms']}), "
                    f"errors {conc['errors']}, {conc['rows_per_s']:,.0f} rows/s pulled; server "
                    f"CPU {conc['server_cpu_ms_per_sync']:.1f} ms a sync; load "
                    f"{procstat.load_average()}"
                    + (f" (first error: {conc['first_error']})" if conc["errors"] else ""),
                    flush=True,
                )
            if "fleet" in only and args.fleet_minutes > 0:
                reps = sync_fleet.add_fleet(db, seeded, args.fleet)
                sync_fleet.report(
                    sync_fleet.run(server.base, server.proc.pid, reps, args.fleet_minutes),
                    len(reps),
                    TARGETS["concurrent_p95_ms"],
                )
        finally:
            server.stop()
            db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
