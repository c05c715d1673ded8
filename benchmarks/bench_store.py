"""Replica store figures at 100k accounts: bulk insert, CSV import, search, open.

Run: ``python -m benchmarks.bench_store [--accounts N] [--queries Q] [--ab-rounds R]
[--ab-only] [--cli-only] [--startup-only] [--search-only] [--import-only]``. Prints one
line per figure (the CSV import of a million rows, with its peak memory, is
``benchmarks.bench_import``); the README and the issue notes quote them. Rates are given per
wall-clock second and per CPU second: on a shared 2-core machine the second is the
one that does not depend on what else is running.

Replicas are encrypted, as on a machine with a keyring (the benchmark gives itself an
in-memory one). The first section runs the command line in new processes (``fieldapp
demo`` and the start-up of a command, see :mod:`benchmarks.startup`); the last section
measures bulk insert and search with and without encryption side by side, alternating
the two, so both see the same machine load.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import keyring
import keyring.backend

from benchmarks import startup
from fieldapp.store import csv_io, demo_towns, demo_words, services
from fieldapp.store.db import Replica, open_replica
from fieldapp.store.search import search_ids


def account_rows(n: int, rng: random.Random) -> list[dict[str, Any]]:
    """Valid, varied accounts shaped like the demo's (what an import would hold)."""
    places = demo_towns.towns(rng)
    rows = []
    for i in range(n):
        town = rng.choice(places)
        family = rng.choice(demo_words.SURNAMES)
        trade, industry = rng.choice(demo_words.TRADES)
        rows.append(
            {
                "name": f"{family} {trade} {rng.choice(demo_words.FORMS)} {i}",
                "type": rng.choice(("customer", "prospect", "partner")),
                "industry": industry,
                "phone": f"+49 {rng.randint(200, 9999)} {rng.randint(100000, 9999999)}",
                "email": f"info{i}@{demo_words.slug(family + trade)}.de",
                "street": f"{rng.choice(demo_words.STREETS)} {rng.randint(1, 180)}",
                "city": town.name,
                "postcode": town.postcode,
                "country": "Germany",
                "latitude": round(town.latitude + rng.uniform(-0.02, 0.02), 6),
                "longitude": round(town.longitude + rng.uniform(-0.03, 0.03), 6),
                "tags": rng.choice((None, "retail", "key account,wholesale")),
                "description": f"{industry} business in {town.name}",
            }
        )
    return rows


def queries(rows: list[dict[str, Any]], count: int, rng: random.Random) -> list[str]:
    """Prefixes of 1-6 characters of words people search for: names, towns, postcodes."""
    words = [w for r in rows[:5000] for w in (r["name"].split()[0], r["city"], r["postcode"])]
    out = []
    for i in range(count):
        word = rng.choice(words)
        out.append(word[: 1 + i % 6])
    return out


def place_queries(rows: list[dict[str, Any]], count: int, rng: random.Random) -> list[str]:
    """Phone numbers in other spellings, and names with umlauts written out or typed.

    A third each: a stored "+49 228 1234567" typed as "0228 1234567" (whole or a
    prefix), a surname typed with its umlaut written out ("mueller"), and typed with
    it ("Müller") — the queries that take the extra OR branches.
    """
    out = []
    sample = rows[:5000]
    for i in range(count):
        row = rng.choice(sample)
        if i % 3 == 0:
            _, area, number = row["phone"].split()
            out.append(f"0{area} {number[: 3 + i % 5]}")
        else:
            word = row["name"].split()[0][: 3 + i % 5]
            if i % 3 == 1:
                for letter, spelled in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
                    word = word.replace(letter, spelled)
            out.append(word)
    return out


def percentile(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def report_rate(
    what: str, items: str, count: int, replica: Replica, started: float, cpu: float
) -> None:
    """Print the rate up to the commit, then the WAL checkpoint the commit left behind.

    The checkpoint after a bulk commit runs on the replica's own thread (the caller
    can go on at once); it is waited for here and printed on its own line, with the
    rate it gives when counted in.
    """
    elapsed, cpu_used = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"{what}: {items} in {elapsed:.2f} s = {count / elapsed:,.0f} rows/s "
        f"({count / cpu_used:,.0f} rows per CPU second) until the commit returns"
    )
    checkpoint = replica.wait_for_checkpoint()
    total, cpu_total = time.perf_counter() - started, time.process_time() - cpu
    if checkpoint is None:
        print("  no background checkpoint (the commit checkpointed)")
        return
    print(
        f"  then the WAL checkpoint on the replica's thread: {checkpoint.seconds:.2f} s "
        f"({checkpoint.cpu_seconds:.2f} CPU s), done {total - elapsed:.2f} s after the commit; "
        f"counting it: {count / total:,.0f} rows/s ({count / cpu_total:,.0f} per CPU second)"
    )


class BenchKeyring(keyring.backend.KeyringBackend):
    """Keys of the benchmark's throw-away replicas, in memory for the run."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


def search_timings(
    replica: Replica, qs: list[str]
) -> tuple[list[float], dict[int, list[float]], list[float]]:
    """Milliseconds per query (after one warm-up query), overall and by query length;
    and the CPU milliseconds of each (what the machine's load does not change)."""
    timings: list[float] = []
    by_length: dict[int, list[float]] = {}
    cpu: list[float] = []
    with replica.read_session() as session:
        search_ids(session, "accounts", "warm")  # first query loads the FTS pages
        for q in qs:
            started, cpu_started = time.perf_counter(), time.thread_time()
            search_ids(session, "accounts", q, limit=50)
            ms = (time.perf_counter() - started) * 1000
            cpu.append((time.thread_time() - cpu_started) * 1000)
            timings.append(ms)
            by_length.setdefault(len(q), []).append(ms)
    return timings, by_length, cpu


def _spread(wall: list[float], cpu: list[float]) -> str:
    return (
        f"p50 {percentile(wall, 50):.2f} ms, p95 {percentile(wall, 95):.2f} ms, "
        f"p99 {percentile(wall, 99):.2f} ms, max {max(wall):.2f} ms "
        f"(CPU p50 {percentile(cpu, 50):.2f} ms, p95 {percentile(cpu, 95):.2f} ms)"
    )


def search_figures(
    data_dir: Path, rows: list[dict[str, Any]], count: int, rng: random.Random
) -> list[str]:
    """Print the search figures over the replica in ``data_dir``; returns the plain queries."""
    qs = queries(rows, count, rng)
    replica = open_replica(data_dir)
    timings, by_length, cpu = search_timings(replica, qs)
    replica.close()
    print(f"search over {len(rows)} accounts, {len(qs)} queries of 1-6 chars: ", end="")
    print(_spread(timings, cpu))
    for length in sorted(by_length):
        values = by_length[length]
        print(f"  {length} char(s): p95 {percentile(values, 95):.2f} ms ({len(values)} queries)")
    replica = open_replica(data_dir)
    places, _, places_cpu = search_timings(replica, place_queries(rows, count, rng))
    replica.close()
    print(f"search for phone numbers and umlauts over {len(rows)} accounts, {len(places)} queries:")
    print(f"  all: {_spread(places, places_cpu)}")
    for kind, name in enumerate(("phone numbers", "umlauts written out", "typed with umlauts")):
        print(f"  {name}: {_spread(places[kind::3], places_cpu[kind::3])}")
    return qs


def encryption_ab(rows: list[dict[str, Any]], qs: list[str], base: Path, rounds: int) -> None:
    """Bulk insert and search, plain vs encrypted, alternating which goes first."""
    figures: dict[bool, dict[str, list[float]]] = {
        mode: {"commit": [], "total": [], "cpu": [], "p50": [], "p95": [], "p99": []}
        for mode in (False, True)
    }
    for r in range(rounds):
        for encrypt in (False, True) if r % 2 == 0 else (True, False):
            replica = open_replica(base / f"ab-{r}-{int(encrypt)}", encrypt=encrypt)
            assert replica.protection.encrypted is encrypt
            started, cpu = time.perf_counter(), time.process_time()
            with replica.session() as session:
                services.bulk_create(session, "accounts", rows)
            commit = time.perf_counter() - started
            replica.wait_for_checkpoint()  # its thread's CPU time counts in process_time
            total = time.perf_counter() - started
            cpu_used = time.process_time() - cpu
            timings, _, _ = search_timings(replica, qs)
            replica.close()
            mine = figures[encrypt]
            mine["commit"].append(len(rows) / commit)
            mine["total"].append(len(rows) / total)
            mine["cpu"].append(len(rows) / cpu_used)
            for p in (50, 95, 99):
                mine[f"p{p}"].append(percentile(timings, p))
    median = {mode: {k: statistics.median(v) for k, v in f.items()} for mode, f in figures.items()}
    print(f"encryption cost, {len(rows)} accounts, {rounds} rounds alternating (medians):")
    for key, label, unit, higher_is_better in (
        ("commit", "bulk insert until the commit", "rows/s", True),
        ("total", "bulk insert counting the checkpoint", "rows/s", True),
        ("cpu", "bulk insert per CPU second (checkpoint included)", "rows", True),
        ("p50", "search p50", "ms", False),
        ("p95", "search p95", "ms", False),
        ("p99", "search p99", "ms", False),
    ):
        plain, encrypted = median[False][key], median[True][key]
        slower = (plain / encrypted - 1) if higher_is_better else (encrypted / plain - 1)
        fmt = "{:,.0f}" if unit != "ms" else "{:.2f}"

        def spread(mode: bool, key: str = key, fmt: str = fmt) -> str:
            values = figures[mode][key]
            return f"{fmt.format(min(values))}-{fmt.format(max(values))}"

        print(
            f"  {label}: plain {fmt.format(plain)} {unit} ({spread(False)}), encrypted "
            f"{fmt.format(encrypted)} {unit} ({spread(True)}): encrypted "
            f"{abs(slower) * 100:.1f}% {'slower' if slower > 0 else 'faster'}"
        )


def time_import(what: str, csv_file: Path, data_dir: Path, rows: int) -> None:
    """Import the ``rows`` rows of ``csv_file`` into a new replica and print the rate."""
    target = open_replica(data_dir)
    started, cpu = time.perf_counter(), time.process_time()
    with target.session() as session:
        report = csv_io.import_accounts(session, csv_file)
    assert report.imported == rows and not report.invalid
    report_rate(what, f"{report.imported} rows", report.imported, target, started, cpu)
    target.close()


def command_line(base: Path, accounts: int, runs: int) -> None:
    """The command-line figures, each command in a new process (see benchmarks.startup)."""
    env = startup.cli_env(base / "keyring.json")
    data_dir = base / "cli"
    startup.print_demo(data_dir, accounts, env)
    startup.print_startup(data_dir, env, runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=600)
    parser.add_argument("--ab-rounds", type=int, default=4, help="plain/encrypted rounds")
    parser.add_argument("--ab-only", action="store_true", help="only the encryption A/B")
    parser.add_argument("--cli-only", action="store_true", help="only the command-line figures")
    parser.add_argument(
        "--startup-only",
        action="store_true",
        help="only the start-up of a command (the replica bulk-filled, not by the demo)",
    )
    parser.add_argument(
        "--import-only", action="store_true", help="only the bulk insert and the CSV import"
    )
    parser.add_argument("--runs", type=int, default=7, help="runs per start-up figure")
    parser.add_argument("--search-only", action="store_true", help="only the search figures")
    args = parser.parse_args()
    keyring.set_keyring(BenchKeyring())
    rng = random.Random(42)
    rows = account_rows(args.accounts, rng)

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        if args.search_only:
            replica = open_replica(base / "bulk")
            with replica.session() as session:
                services.bulk_create(session, "accounts", rows)
            replica.close()
            search_figures(base / "bulk", rows, args.queries, rng)
            return
        if args.startup_only:
            env = startup.cli_env(base / "keyring.json")
            startup.fill(base / "cli", rows, base / "keyring.json")
            startup.print_startup(base / "cli", env, args.runs)
            return
        if not args.import_only:
            command_line(base, args.accounts, args.runs)
        if args.cli_only:
            return
        if args.ab_only:
            encryption_ab(rows, queries(rows, args.queries, rng), base, args.ab_rounds)
            return
        replica = open_replica(base / "bulk")
        started, cpu = time.perf_counter(), time.process_time()
        with replica.session() as session:
            services.bulk_create(session, "accounts", rows)
        report_rate("bulk insert", f"{len(rows)} accounts", len(rows), replica, started, cpu)

        export = base / "accounts.csv"
        with replica.read_session() as session:
            csv_io.export_accounts(session, export)
        replica.close()

        time_import("CSV import (parse + validate + insert)", export, base / "import", len(rows))
        if args.import_only:
            return

        started = time.perf_counter()
        replica = open_replica(base / "bulk")
        with replica.read_session() as session:
            services.count(session, "accounts")
        print(
            f"open a {len(rows)}-account data dir: {(time.perf_counter() - started) * 1000:.0f} ms"
        )

        replica.close()
        qs = search_figures(base / "bulk", rows, args.queries, rng)

        plain = open_replica(base / "to-encrypt", encrypt=False)
        with plain.session() as session:
            services.bulk_create(session, "accounts", rows)
        plain.close()
        started = time.perf_counter()
        open_replica(base / "to-encrypt").close()
        print(
            f"encrypt a plain {len(rows)}-account replica in place (first open with a keyring): "
            f"{time.perf_counter() - started:.2f} s"
        )

        if args.ab_rounds:
            encryption_ab(rows, qs, base, args.ab_rounds)


if __name__ == "__main__":
    main()
