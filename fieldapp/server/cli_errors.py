"""The ``fieldapp-server`` command's error boundary: a mistake the operator can fix is
one line on stderr and exit status 1; a bug's traceback goes to ``fieldapp-server.log``
in the server's data dir, exit status 70.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

import platformdirs
from sqlalchemy.exc import ArgumentError, OperationalError

from fieldapp.errors import FieldappError
from fieldapp.server.db import ServerError

log = logging.getLogger("fieldapp.server")

EXIT_USER_ERROR = 1
EXIT_BUG = 70  # EX_SOFTWARE


def log_file() -> Path:
    return (
        Path(platformdirs.user_data_dir("fieldapp-server", appauthor=False)) / "fieldapp-server.log"
    )


def _setup_logging(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)


def _say(message: str) -> int:
    print(f"fieldapp-server: {message}", file=sys.stderr)
    return EXIT_USER_ERROR


def guarded(work: Callable[[], int], log_path: Path) -> int:
    """Run a command: user errors as one line (exit 1), bugs to the log (exit 70)."""
    try:
        code = work()
        sys.stdout.flush()
        return code
    except (ServerError, FieldappError) as exc:
        return _say(str(exc))
    except ArgumentError:
        return _say("not a database URL (expected e.g. postgresql://user@host/fieldapp)")
    except OperationalError as exc:
        _setup_logging(log_path)
        log.warning("database error: %s", exc)
        return _say(
            "the database cannot be reached or opened (is it running, and is the URL right?); "
            f"details in {log_path}"
        )
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        return _say(f"{exc.strerror or 'input/output error'}{where}")
    except (EOFError, KeyboardInterrupt):
        print("fieldapp-server: interrupted", file=sys.stderr)
        return 130
    except Exception:
        _setup_logging(log_path)
        log.exception("unexpected error running %s", sys.argv)
        _say(f"internal error (a bug); details were written to {log_path}")
        return EXIT_BUG
