"""Sign-in under a flood: the server's memory and how syncs fare meanwhile.

Run with ``python -m benchmarks.bench_auth [--logins 400] [--parallel 64] [--postgresql]``.
Starts a real server process (SQLite file by default, or a throw-away PostgreSQL schema
at ``$FIELDAPP_BENCH_PG``), then sends ``--logins`` sign-ins from ``--parallel`` threads
(right passwords, so every one runs argon2) while one client keeps syncing. Prints:

1. the server process's peak RSS (VmHWM) before and after the flood;
2. how the logins were answered (200 / 503 busy) and their p50 / p95 latency;
3. the p50 / p95 / max latency of a sync round trip (hello + pull) during the flood;
4. median time of a failed login for a known and an unknown user name (their timing class).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import requests

from benchmarks.procstat import peak_rss_mb
from fieldapp.server import admin
from fieldapp.server.db import Database
from fieldapp.sync.transport import Transport
from tests.syncutil import ServerProcess, pg_schema

PASSWORD = "flood-password"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--logins", type=int, default=400)
    ap.add_argument("--parallel", type=int, default=64)
    ap.add_argument("--postgresql", action="store_true")
    args = ap.parse_args()
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        url = (
            stack.enter_context(pg_schema())
            if args.postgresql
            else f"sqlite:///{tmp / 'server.sqlite3'}"
        )
        db = Database.open(url)
        admin.add_user(db, "flood", PASSWORD, "rep")
        admin.add_user(db, "syncer", PASSWORD, "admin")
        server = ServerProcess(url)
        stack.callback(server.stop)
        base = server.base
        before = peak_rss_mb(server.proc.pid)

        syncer = Transport(base)
        syncer.login("syncer", PASSWORD)
        stop = threading.Event()
        sync_ms: list[float] = []

        def keep_syncing() -> None:
            while not stop.is_set():
                began = time.perf_counter()
                syncer.hello()
                syncer.pull_body(0, 100, 0)
                sync_ms.append((time.perf_counter() - began) * 1000)
                time.sleep(0.05)

        statuses: Counter[int] = Counter()
        login_ms: list[float] = []
        lock = threading.Lock()
        left = iter(range(args.logins))

        def flood() -> None:
            http = requests.Session()
            while True:
                with lock:
                    if next(left, None) is None:
                        return
                began = time.perf_counter()
                r = http.post(
                    base + "/auth/login",
                    json={"username": "flood", "password": PASSWORD},
                    timeout=120,
                )
                with lock:
                    statuses[r.status_code] += 1
                    login_ms.append((time.perf_counter() - began) * 1000)

        probe = threading.Thread(target=keep_syncing)
        probe.start()
        began = time.perf_counter()
        threads = [threading.Thread(target=flood) for _ in range(args.parallel)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        flood_s = time.perf_counter() - began
        stop.set()
        probe.join()
        after = peak_rss_mb(server.proc.pid)

        timing: dict[str, list[float]] = {"known": [], "unknown": []}
        for i in range(6):
            for kind, name in (("known", "flood"), ("unknown", f"nobody-{i}")):
                t0 = time.perf_counter()
                requests.post(
                    base + "/auth/login", json={"username": name, "password": f"x{i}"}, timeout=60
                )
                timing[kind].append((time.perf_counter() - t0) * 1000)
                time.sleep(0.6)  # stay under the per-name limit's first wait
        syncer.close()
        db.close()

    backend = "PostgreSQL" if args.postgresql else "SQLite"
    print(f"bench_auth ({backend}): {args.logins} logins from {args.parallel} threads")
    print(f"  server peak RSS: {before:.0f} MB before, {after:.0f} MB after the flood")
    print(
        f"  logins: {dict(statuses)} in {flood_s:.1f} s; "
        f"p50 {pct(login_ms, 0.5):.0f} ms, p95 {pct(login_ms, 0.95):.0f} ms"
    )
    print(
        f"  sync round trips during the flood: {len(sync_ms)}, p50 {pct(sync_ms, 0.5):.0f} ms, "
        f"p95 {pct(sync_ms, 0.95):.0f} ms, max {max(sync_ms, default=0):.0f} ms"
    )
    print(
        f"  failed login, median: known name {statistics.median(timing['known']):.0f} ms, "
        f"unknown name {statistics.median(timing['unknown']):.0f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
