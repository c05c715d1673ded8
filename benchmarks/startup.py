"""Command-line figures for ``bench_store``: start-up of a command, and ``fieldapp demo``.

Each command runs in a new interpreter, as a user's shell would start it. Times are
the best of several runs, as wall-clock seconds and as CPU seconds of the child
(user + system): on a shared machine the second hardly depends on the load. The
children share the benchmark's keys through the test suite's file-backed in-memory
keyring (``tests/testkeyring.py``), so they open the encrypted replicas as a user's
shell would, without touching a real keyring.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def cli_env(keyring_file: Path) -> dict[str, str]:
    """Environment for child processes: this checkout first, keys in ``keyring_file``."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {
        **os.environ,
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
        "accounts list --limit 5": ["--data-dir", str(data_dir), "accounts", "list", "--limit", "5"],
        "--version": ["--version"],
    }
    for label, args in commands.items():
        wall, cpu = best_of([py, "-m", "fieldapp", *args], env, runs)
        print(
            f"`fieldapp {label}`: {wall:.3f} s wall ({wall / base_wall:.2f}x bare), "
            f"{cpu:.3f} s CPU ({cpu / base_cpu:.2f}x bare)"
        )
