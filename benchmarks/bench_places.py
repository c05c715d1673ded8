"""Nearby at 100k accounts: accounts within R km of a point, nearest first.

Run: ``python -m benchmarks.bench_places [--accounts N] [--queries Q]``. Prints p50,
p95 and max per radius; the README's performance table quotes the 10 and 25 km rows.
The accounts are the store benchmark's (spread over German towns, as a national
replica would be), the centres are random accounts' pins.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import keyring

from benchmarks.bench_store import BenchKeyring, account_rows, percentile
from fieldapp.store import places, services
from fieldapp.store.db import open_replica

RADII_KM = (2.0, 10.0, 25.0, 50.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    keyring.set_keyring(BenchKeyring())
    rng = random.Random(7)
    rows = account_rows(args.accounts, rng)
    centres = [(r["latitude"], r["longitude"]) for r in rng.sample(rows, args.queries)]
    with tempfile.TemporaryDirectory() as tmp:
        replica = open_replica(Path(tmp) / "places")
        with replica.session() as session:
            services.bulk_create(session, "accounts", rows)
        with replica.read_session() as session:
            places.nearby(session, centres[0], 10.0)  # warm the index pages
            for radius in RADII_KM:
                timings, found = [], []
                for centre in centres:
                    started = time.perf_counter()
                    hits = places.nearby(session, centre, radius, limit=50)
                    timings.append((time.perf_counter() - started) * 1000)
                    found.append(len(places.nearby(session, centre, radius, limit=None)))
                print(
                    f"nearby {radius:g} km over {len(rows)} accounts ({len(centres)} centres, "
                    f"median {sorted(found)[len(found) // 2]} within, 50 listed): "
                    f"p50 {percentile(timings, 50):.2f} ms, p95 {percentile(timings, 95):.2f} ms, "
                    f"max {max(timings):.2f} ms"
                )
                del hits
        replica.close()


if __name__ == "__main__":
    main()
