"""CSV import at scale: rows per second and the importing process's peak memory.

Run: ``python -m benchmarks.bench_import [--rows N] [--server]``. Writes a
Salesforce-shaped account export of N rows (default 1,000,000: BOM, every cell
quoted, CRM ids, a multi-line street in every tenth row), then imports it into a
new replica in a child process and prints the rate and that process's peak RSS
(the figure the 400 MB target is about). ``--server`` also loads it into a new
server database (SQLite). Figures only; nothing here asserts.
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fieldapp.store import demo_towns, demo_words

HEADER = [
    "Account ID", "Account Name", "Type", "Industry", "Billing Street", "Billing City",
    "Billing Zip/Postal Code", "Billing Country", "Phone", "Website", "Billing Latitude",
    "Billing Longitude", "Account Owner", "Description",
]  # fmt: skip
TYPES = ("Customer - Direct", "Customer - Channel", "Prospect", "Channel Partner / Reseller")


def write_export(path: Path, rows: int, rng: random.Random) -> None:
    places = demo_towns.towns(rng)
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(HEADER)
        for i in range(rows):
            town = rng.choice(places)
            family = rng.choice(demo_words.SURNAMES)
            trade, industry = rng.choice(demo_words.TRADES)
            street = f"{rng.choice(demo_words.STREETS)} {rng.randint(1, 180)}"
            if i % 10 == 0:
                street += "\r\nHinterhaus"
            writer.writerow(
                [
                    f"001{i:015d}",
                    f"{family} {trade} {rng.choice(demo_words.FORMS)} {i}",
                    rng.choice(TYPES),
                    industry,
                    street,
                    town.name,
                    town.postcode,
                    "Germany",
                    f"+49 {rng.randint(200, 9999)} {rng.randint(100000, 9999999)}",
                    f"www.{demo_words.slug(family + trade)}{i}.de",
                    f"{town.latitude + rng.uniform(-0.02, 0.02):.6f}",
                    f"{town.longitude + rng.uniform(-0.03, 0.03):.6f}",
                    "Jane Rep",
                    f"{industry} business in {town.name}",
                ]
            )


def child(kind: str, csv_file: Path, target: Path) -> None:
    """Import ``csv_file`` (in this process, so that its peak RSS is the import's)."""
    started, cpu = time.perf_counter(), time.process_time()
    if kind == "replica":
        from fieldapp.store import csv_import
        from fieldapp.store.db import open_replica

        replica = open_replica(target)
        with replica.session() as session:
            report = csv_import.import_file(session, "accounts", csv_file)
        committed = time.perf_counter() - started
        replica.close()  # waits for the background WAL checkpoint
    else:
        from fieldapp.server import admin
        from fieldapp.server.db import Database

        db = Database.open(f"sqlite:///{target / 'server.sqlite3'}")
        report = admin.import_accounts(db, csv_file)
        committed = time.perf_counter() - started
        db.close()
    elapsed, cpu_used = time.perf_counter() - started, time.process_time() - cpu
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    n = report.imported
    print(
        f"{kind} import of {n:,} rows ({report.invalid_rows} invalid): "
        f"{n / committed:,.0f} rows/s until the commit returns, {n / elapsed:,.0f} rows/s "
        f"with the checkpoint ({elapsed:.1f} s; {n / cpu_used:,.0f} rows per CPU second); "
        f"peak RSS {peak_mb:,.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--server", action="store_true", help="also import into a server")
    parser.add_argument(
        "--child", nargs=3, metavar=("KIND", "CSV", "TARGET"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        export = base / "accounts.csv"
        started = time.perf_counter()
        write_export(export, args.rows, random.Random(7))
        size = export.stat().st_size / 1e6
        print(f"wrote {args.rows:,} rows, {size:,.0f} MB, in {time.perf_counter() - started:.0f} s")
        for kind in ("replica", "server") if args.server else ("replica",):
            target = base / kind
            target.mkdir()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "benchmarks.bench_import",
                    "--child",
                    kind,
                    str(export),
                    str(target),
                ],
                check=True,
            )


if __name__ == "__main__":
    main()
