"""Command-line figures for ``bench_store``: ``fieldapp demo``, and start-up of a command.

Each command runs in a new interpreter, as a user's shell would start it. Times are
the best of several runs, as wall-clock seconds and as CPU seconds of the child
(user + system): on a shared machine the second hardly depends on the load. The
children share the benchmark's keys through the test suite's file-backed in-memory
keyring (``tests/testkeyring.py``), so they open the encrypted replicas as a user's
shell would, without touching a real keyring, and cache their bytecode as an installed
app does (:mod:`benchmarks.bytecode`).
"""

from __future__ import annotations

import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path

import keyring

from benchmarks import bytecode
from fieldapp.store import encryption
from fieldapp.store.db import DB_FILENAME

ROOT = Path(__file__).resolve().parent.parent


def cli_env(keyring_file: Path) -> dict[str, str]:
    """Environment for child processes: this checkout first, keys in ``keyring_file``."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {
        **bytecode.cached(),
        "PYTHONPATH": path,
        "PYTHON_KEYRING_BACKEND": "tests.testkeyring.MemoryKeyring",
        "FIELDAPP_TEST_KEYRING": str(keyring_file),
    }


def timed(argv: Sequence[str], env: dict[str, str]) -> tuple[float, float]:
    """Run ``argv`` once: (wall seconds, CPU seconds of the child)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def best_of(argv: Sequence[str], env: dict[str, str], runs: int) -> tuple[float, float]:
    """Best wall time and best CPU time over ``runs`` runs (after one to warm the caches)."""
    timed(argv, env)
    results = [timed(argv, env) for _ in range(runs)]
    return min(w for w, _ in results), min(c for _, c in results)


def print_startup(data_dir: Path, env: dict[str, str], runs: int) -> None:
    """Start-up of ``accounts list --limit 5`` and ``--version`` against a bare import."""
    py = sys.executable
    base_wall, base_cpu = best_of([py, "-c", "import sqlite3, sqlalchemy"], env, runs)
    print(
        f"bare `python -c 'import sqlite3, sqlalchemy'`: {base_wall:.3f} s wall, "
        f"{base_cpu:.3f} s CPU (best of {runs})"
    )
    commands = {
        "accounts list --limit 5": [
            "--data-dir",
            str(data_dir),
            "accounts",
            "list",
            "--limit",
            "5",
        ],
        "--version": ["--version"],
    }
    for label, args in commands.items():
        wall, cpu = best_of([py, "-m", "fieldapp", *args], env, runs)
        print(
            f"`fieldapp {label}`: {wall:.3f} s wall ({wall / base_wall:.2f}x bare), "
            f"{cpu:.3f} s CPU ({cpu / base_cpu:.2f}x bare)"
        )


def fill(data_dir: Path, rows: list[dict[str, object]], keyring_file: Path) -> None:
    """A replica of ``rows`` accounts for the start-up figures alone (``--startup-only``),
    made in this process in seconds instead of by ``fieldapp demo``; its key goes to
    the children's keyring file."""
    from fieldapp.store import services
    from fieldapp.store.db import open_replica
    from tests.testkeyring import MemoryKeyring

    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring(keyring_file))
    try:
        replica = open_replica(data_dir)
        with replica.session() as session:
            services.bulk_create(session, "accounts", rows)
        replica.close()
    finally:
        keyring.set_keyring(previous)


def print_demo(data_dir: Path, accounts: int, env: dict[str, str]) -> None:
    """``fieldapp demo --accounts N`` in a new process: time, peak memory, replica size.

    Must be the benchmark's first child process: the peak memory is the largest of
    all the children waited for so far.
    """
    argv = [sys.executable, "-m", "fieldapp", "--data-dir", str(data_dir), "demo"]
    wall, cpu = timed([*argv, "--accounts", str(accounts)], env)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    files = sorted(data_dir.glob(DB_FILENAME + "*"))
    size_mb = sum(f.stat().st_size for f in files) / 1e6
    print(
        f"`fieldapp demo --accounts {accounts}`: {wall:.1f} s wall, {cpu:.1f} s CPU, "
        f"peak RSS {peak_mb:.0f} MB; replica {size_mb:.0f} MB"
    )
    print_table_sizes(data_dir / DB_FILENAME, env["FIELDAPP_TEST_KEYRING"])


def print_table_sizes(db: Path, keyring_file: str) -> None:
    """Bytes per table and index (its search index's shadow tables counted with it).

    SQLCipher is built without the ``dbstat`` table, so the replica is copied to a
    plaintext file with ``sqlcipher_export`` (same page size) and measured there by
    Python's own SQLite.
    """
    from tests.testkeyring import MemoryKeyring

    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring(Path(keyring_file)))
    try:
        with tempfile.TemporaryDirectory() as tmp, closing(encryption.connect_file(db)) as con:
            plain = Path(tmp) / "plain.sqlite3"
            page_size = con.execute("PRAGMA page_size").fetchone()[0]
            con.execute(f"ATTACH DATABASE '{plain}' AS plain KEY ''")
            con.execute(f"PRAGMA plain.page_size = {page_size}")
            con.execute("SELECT sqlcipher_export('plain')")
            con.execute("DETACH DATABASE plain")
            with closing(sqlite3.connect(plain)) as copy:
                sizes = copy.execute(
                    "SELECT d.name, coalesce(m.tbl_name, d.name), sum(d.pgsize) FROM dbstat d "
                    "LEFT JOIN sqlite_master m ON m.name = d.name GROUP BY d.name"
                ).fetchall()
                tables = {n for (n,) in copy.execute("SELECT name FROM sqlite_master")}
    finally:
        keyring.set_keyring(previous)
    by_table: dict[str, list[int]] = {}  # table: [rows' bytes, indexes' bytes, search bytes]
    for name, table, size in sizes:
        owner = table
        search = False
        for suffix in ("_fts", "_fts_data", "_fts_idx", "_fts_docsize", "_fts_config"):
            if table.endswith(suffix) and table[: -len(suffix)] in tables:
                owner, search = table[: -len(suffix)], True
        slot = by_table.setdefault(owner, [0, 0, 0])
        slot[2 if search else 0 if name == table else 1] += size
    total = sum(sum(v) for v in by_table.values())
    print(f"  per table, MB (rows + indexes + search index), of {total / 1e6:.0f} MB in pages:")
    for table, (rows, indexes, search) in sorted(by_table.items(), key=lambda kv: -sum(kv[1])):
        if sum((rows, indexes, search)) < 0.005 * total:
            continue
        print(
            f"    {table:<16} {sum((rows, indexes, search)) / 1e6:6.1f} = {rows / 1e6:.1f} + "
            f"{indexes / 1e6:.1f} + {search / 1e6:.1f}"
        )
