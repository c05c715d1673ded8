"""bench_sync's second load run: 1,000 reps, each syncing about once a minute.

Each simulated rep has their own connection and token and shares one of the seeded
territories with nine colleagues (a team covering an area), so every pull brings back
what the others changed there. Once a minute on average (uniformly 0.5–1.5 × the
interval apart, the first sync at a random moment of the first interval) a rep syncs
what the engine would send after a few minutes of work: hello, a push of a checked-in
visit and 0–2 edited account fields, pulls until caught up. The reps are driven by a
pool of threads from one schedule, so the client does not need 1,000 threads; a sync
that starts more than a second after it was due is counted as late (the client, not
the server, was then the bottleneck, and the figure says so).

The fleet's users are written straight into the server's tables (one password hash for
all, tokens issued as a sign-in would): signing in is bench_auth's subject, and 1,000
argon2 hashes would only make the set-up slow.
"""

from __future__ import annotations

import heapq
import json
import random
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from benchmarks import procstat
from fieldapp.server.auth import hash_password, hash_token, token_lifetime
from fieldapp.server.db import Database, next_seqs
from fieldapp.server.models import Assignment, Record, Token, User
from fieldapp.sync import incoming
from fieldapp.sync.protocol import Mutation
from fieldapp.sync.transport import Transport

TEAM = 10  # reps sharing one territory
LATE_S = 1.0


@dataclass
class Rep:
    name: str
    token: str
    territory: int
    accounts: list[str]
    user_id: str
    cursor: int = 0
    scope_seq: int = 0
    client_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    # What this rep last wrote into each account's description (its base for the next edit).
    known: dict[str, str | None] = field(default_factory=dict)


def add_fleet(db: Database, seeded: dict[str, Any], count: int) -> list[Rep]:
    """``count`` reps with a token each, TEAM to a seeded territory."""
    territories: list[str] = seeded["territories"]
    by_territory: dict[int, list[str]] = {}
    for acc, t in seeded["accounts"]:
        by_territory.setdefault(t, []).append(acc)
    hashed = hash_password(secrets.token_urlsafe(16))
    now = datetime.now(UTC)
    stamp = now.isoformat()
    reps: list[Rep] = []
    with db.session() as s:
        users = []
        for i in range(count):
            user_id = str(uuid.uuid4())
            name = f"fleet{i:04}"
            t = (i // TEAM) % len(territories)
            token = secrets.token_urlsafe(32)
            users.append((user_id, name))
            s.add(
                User(
                    id=user_id,
                    username=name,
                    password_hash=hashed,
                    role="rep",
                    failed_logins=0,
                    created_at=now,
                    active=True,
                )
            )
            reps.append(Rep(name, token, t, by_territory.get(t, []), user_id))
        s.flush()  # the users before what refers to them (no ORM relationships here)
        for rep in reps:
            s.add(Assignment(territory_id=territories[rep.territory], user_id=rep.user_id))
            s.add(
                Token(
                    token_hash=hash_token(rep.token),
                    user_id=rep.user_id,
                    created_at=now,
                    expires_at=now + token_lifetime(),
                )
            )
        s.flush()
        first = next_seqs(s, count, scope=True)
        for j, (user_id, name) in enumerate(users):
            doc = {
                "id": user_id,
                "username": name,
                "display_name": name,
                "email": None,
                "role": "rep",
                "manager_id": None,
                "created_at": stamp,
                "updated_at": stamp,
                "deleted_at": None,
            }
            s.add(
                Record(
                    id=user_id,
                    entity="users",
                    version=first + j,
                    data=json.dumps(doc),
                    deleted=False,
                    owner_id=user_id,
                )
            )
    with db.session() as s:
        head = int(s.scalar(select(Record.version).order_by(Record.version.desc()).limit(1)) or 0)
    for rep in reps:
        rep.cursor = rep.scope_seq = head  # as after their initial sync
    return reps


def _mutations(rep: Rep, rng: random.Random, n: int) -> list[Mutation]:
    now = datetime.now(UTC)
    start = (now - timedelta(minutes=45)).isoformat()
    account = rng.choice(rep.accounts)
    visit = str(uuid.uuid4())
    doc = {
        "id": visit,
        "account_id": account,
        "owner_id": rep.user_id,
        "planned_start": start,
        "checkin_at": start,
        "checkout_at": now.isoformat(),
        "outcome": "successful",
        "notes": f"Visit {n}: talked about the spring order.",
        "created_at": now.isoformat(),
        "updated_at": now.isoformat(),
    }
    found = [
        Mutation(
            mutation_id=str(uuid.uuid4()),
            entity="visits",
            row_id=visit,
            op="insert",
            changes={k: [None, v] for k, v in doc.items()},
        )
    ]
    for _ in range(rng.randint(0, 2)):
        acc = rng.choice(rep.accounts)
        text = f"{rep.name}, sync {n}: call back next week"
        found.append(
            Mutation(
                mutation_id=str(uuid.uuid4()),
                entity="accounts",
                row_id=acc,
                op="update",
                changes={"description": [rep.known.get(acc), text]},
            )
        )
        rep.known[acc] = text
    return found


def run(
    base: str,
    server_pid: int,
    reps: list[Rep],
    minutes: float,
    interval: float = 60.0,
    threads: int = 48,
) -> dict[str, Any]:
    """Drive the fleet for ``minutes``; latencies, errors, server CPU and memory."""
    rng = random.Random(7)
    transports = [Transport(base, token=rep.token, retries=0, timeout=30) for rep in reps]
    started = time.monotonic()
    stop_at = started + minutes * 60
    due = [(started + rng.random() * interval, i) for i in range(len(reps))]
    heapq.heapify(due)
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []
    late = [0]
    statuses: dict[str, int] = {}
    rss_peak = [procstat.rss_mb(server_pid)]
    cpu_before = procstat.cpu_s(server_pid)

    def sync_once(i: int, n: int) -> None:
        rep, transport = reps[i], transports[i]
        mutations = _mutations(rep, random.Random(n * 7919 + i), n)
        t0 = time.perf_counter()
        transport.hello(rep.client_id)
        results = transport.push(mutations, rep.client_id, rep.scope_seq)
        while True:
            body = transport.pull_body(rep.cursor, 2000, rep.scope_seq, client_id=rep.client_id)
            chunk = incoming.decode(body)
            rep.cursor, rep.scope_seq = chunk.cursor, chunk.scope_seq
            if not chunk.more:
                break
        took = (time.perf_counter() - t0) * 1000
        with lock:
            latencies.append(took)
            for r in results:
                statuses[r.status] = statuses.get(r.status, 0) + 1
                if r.status == "rejected":
                    errors.append(r.reason or "rejected")

    def worker() -> None:
        n = 0
        while True:
            with lock:
                if not due:
                    return
                when, i = heapq.heappop(due)
            if when >= stop_at:
                return
            wait = when - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            elif -wait > LATE_S:
                with lock:
                    late[0] += 1
            n += 1
            try:
                sync_once(i, n)
            except Exception as exc:  # counted, not raised: the figure is the error count
                with lock:
                    errors.append(repr(exc))
            with lock:
                heapq.heappush(due, (when + interval * (0.5 + rng.random()), i))

    def watch_memory() -> None:
        while time.monotonic() < stop_at:
            rss_peak[0] = max(rss_peak[0], procstat.rss_mb(server_pid))
            time.sleep(1.0)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    pool.append(threading.Thread(target=watch_memory))
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.monotonic() - started
    cpu = procstat.cpu_s(server_pid) - cpu_before
    for transport in transports:
        transport.close()
    latencies.sort()

    def p(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else 0.0

    return {
        "syncs": len(latencies),
        "seconds": elapsed,
        "p50_ms": p(0.50),
        "p95_ms": p(0.95),
        "max_ms": latencies[-1] if latencies else 0.0,
        "errors": len(errors),
        "first_error": errors[0] if errors else "",
        "late": late[0],
        "statuses": statuses,
        "server_cpu_s": cpu,
        "server_rss_mb": rss_peak[0],
        "server_peak_mb": procstat.peak_rss_mb(server_pid),
    }


def report(fleet: dict[str, Any], reps: int, target_ms: float) -> None:
    statuses = ", ".join(f"{n} {k}" for k, n in sorted(fleet["statuses"].items()))
    per_sync = fleet["server_cpu_s"] * 1000 / max(1, fleet["syncs"])
    print(
        f"{reps} reps syncing about once a minute for {fleet['seconds'] / 60:.1f} min, "
        f"{fleet['syncs']} syncs ({fleet['syncs'] / fleet['seconds']:.1f}/s; mutations "
        f"{statuses}): p50 {fleet['p50_ms']:.0f} ms, p95 {fleet['p95_ms']:.0f} ms (target <= "
        f"{target_ms:g}), max {fleet['max_ms']:.0f} ms, errors {fleet['errors']}, "
        f"{fleet['late']} started late; server CPU {fleet['server_cpu_s']:.1f} s "
        f"({per_sync:.1f} ms a sync), server memory at most {fleet['server_rss_mb']:.0f} MB "
        f"during the run (sum of its processes' peak RSS {fleet['server_peak_mb']:.0f} MB); "
        f"load {procstat.load_average()}"
        + (f" (first error: {fleet['first_error']})" if fleet["errors"] else ""),
        flush=True,
    )
