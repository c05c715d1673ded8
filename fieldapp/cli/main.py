"""The ``fieldapp`` command.

With no subcommand it opens the desktop app. Every failure a user can cause (bad
input, a locked or damaged data dir, a full disk) ends as one line on stderr and a
non-zero exit; anything else is a bug and its traceback goes to the log file, not
the terminal.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path

from sqlalchemy.exc import OperationalError

from fieldapp import __version__
from fieldapp.errors import FieldappError
from fieldapp.store import private
from fieldapp.store.db import Replica, default_data_dir, open_replica

from . import (
    admin_cmds,
    data,
    doctor,
    maps_cmds,
    records,
    report_cmds,
    sync_cmds,
    visits_cmds,
)

log = logging.getLogger("fieldapp")

EXIT_USER_ERROR = 1
EXIT_BUG = 70  # EX_SOFTWARE


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fieldapp",
        description="Offline-first field CRM. With no command, opens the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"fieldapp {__version__}")
    parser.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help="where the replica lives (default: $FIELDAPP_DATA_DIR or the user data dir)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    records.add_parsers(sub)
    visits_cmds.add_parsers(sub)
    data.add_parsers(sub)
    maps_cmds.add_parsers(sub)
    sync_cmds.add_parsers(sub)
    admin_cmds.add_parsers(sub)
    report_cmds.add_parsers(sub)
    doctor.add_parsers(sub)
    return parser


_warned: set[str] = set()


def _open(args: argparse.Namespace) -> Replica:
    replica = open_replica(args.data_dir or default_data_dir())
    # Said once per run (a command may open the replica more than once).
    warning = replica.protection.warning
    if warning and warning not in _warned:
        _warned.add(warning)
        print(f"fieldapp: warning: {warning}", file=sys.stderr)
    return replica


def _log_file(args: argparse.Namespace) -> Path:
    return Path(args.data_dir or default_data_dir()) / "fieldapp.log"


def _setup_logging(path: Path) -> None:
    try:
        private.private_dir(path.parent)
        private.private_file(path)  # the log names records and errors: 0600, as the replica
        handler: logging.Handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)


def _describe_operational(exc: OperationalError) -> str:
    text = str(exc.orig)
    if "disk is full" in text or "disk I/O" in text:
        return "the disk is full or failing; nothing was saved — free some space and try again"
    if "locked" in text:
        return "the replica is busy in another program (locked); try again in a moment"
    return f"database error: {text}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _warned.clear()
    if args.command is None:
        return data.launch_gui(args, parser)
    _setup_logging(_log_file(args))
    try:
        if args.command in records.ENTITIES:
            with closing(_open(args)) as replica:
                code = records.run(args, replica)
        elif args.command in visits_cmds.COMMANDS:
            with closing(_open(args)) as replica:
                code = visits_cmds.run(args, replica)
        elif args.command in maps_cmds.COMMANDS:
            code = maps_cmds.run(args, _open)
        elif args.command in sync_cmds.COMMANDS:
            code = sync_cmds.run(args, _open)
        elif args.command in admin_cmds.COMMANDS:
            code = admin_cmds.run(args, _open)
        elif args.command in report_cmds.COMMANDS:
            code = report_cmds.run(args, _open)
        elif args.command in doctor.COMMANDS:
            code = doctor.run(args)
        else:
            code = data.run(args, _open)
        sys.stdout.flush()
        return code
    except FieldappError as exc:
        print(f"fieldapp: {exc.plain}", file=sys.stderr)
        return EXIT_USER_ERROR
    except OperationalError as exc:
        log.exception("database error")
        print(f"fieldapp: {_describe_operational(exc)}", file=sys.stderr)
        return EXIT_USER_ERROR
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away: not an error for a command line tool.
        # Point stdout at devnull so the interpreter's final flush stays quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        print(
            f"fieldapp: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr
        )
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("fieldapp: interrupted; nothing half-written was kept", file=sys.stderr)
        return 130
    except Exception:
        log.exception("unexpected error running %s", sys.argv)
        print(
            f"fieldapp: internal error (a bug); details were written to {_log_file(args)}",
            file=sys.stderr,
        )
        return EXIT_BUG
