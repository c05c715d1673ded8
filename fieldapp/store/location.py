"""Where the replica lives, without importing the database layer.

Kept apart from :mod:`fieldapp.store.db` so a command that never opens the
replica (``--version``, ``--help``, ``doctor``) does not pay for SQLAlchemy.
"""

from __future__ import annotations

import os
from pathlib import Path

DB_FILENAME = "replica.sqlite3"
ENV_DATA_DIR = "FIELDAPP_DATA_DIR"


def default_data_dir() -> Path:
    """``--data-dir`` beats ``FIELDAPP_DATA_DIR`` beats the platform's user data dir."""
    env = os.environ.get(ENV_DATA_DIR)
    if env:
        return Path(env)
    # Imported only here: with --data-dir or the variable set (scripts, the benchmarks)
    # a command does not pay for platformdirs and the tempfile/random/shutil it loads.
    import platformdirs

    return Path(platformdirs.user_data_dir("fieldapp", appauthor=False))
