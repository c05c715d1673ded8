"""Timed child processes run with their bytecode cached, as an installed app has it.

``pip install`` compiles every module's bytecode, so an installed fieldapp never
compiles at start. A shell with ``PYTHONDONTWRITEBYTECODE`` set (as on the shared
development machine, whose checkout has no ``__pycache__``) would make every timed
child compile all of fieldapp anew: ~25% of the desktop window's import CPU. The cache
goes to a directory of its own (``PYTHONPYCACHEPREFIX``), not into the checkout; the
first child fills it, so measurements start with an untimed run.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

CACHE_DIR = Path(tempfile.gettempdir()) / "fieldapp-bench-pycache"


def cached(env: dict[str, str] | None = None) -> dict[str, str]:
    """``env`` (default: this process's) with bytecode written to and read from CACHE_DIR."""
    result = dict(os.environ if env is None else env)
    result.pop("PYTHONDONTWRITEBYTECODE", None)
    result["PYTHONPYCACHEPREFIX"] = str(CACHE_DIR)
    return result
