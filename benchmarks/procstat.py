"""CPU time and memory of a server process and its workers, read from /proc (Linux)."""

from __future__ import annotations

import os
from pathlib import Path


def tree(pid: int) -> list[int]:
    """The process and its children (uvicorn's workers)."""
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    return pids


def _status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1])
    return 0


def peak_rss_mb(pid: int) -> float:
    """Sum of the peak RSS (VmHWM) of the process and its children, in MB."""
    return sum(_status_kb(p, "VmHWM:") for p in tree(pid)) / 1024


def rss_mb(pid: int) -> float:
    """Sum of the current RSS of the process and its children, in MB."""
    return sum(_status_kb(p, "VmRSS:") for p in tree(pid)) / 1024


def cpu_s(pid: int) -> float:
    """User + system CPU seconds used so far by the process and its live children."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in tree(pid):
        # The command name (field 2) may hold spaces; the fields after ")" are fixed.
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} / {five:.1f} / {fifteen:.1f}"
