"""The ``fieldapp`` command.

With no subcommand it opens the desktop app. Every failure a user can cause (bad
input, a locked or damaged data dir, a full disk) ends as one line on stderr and a
non-zero exit; anything else is a bug and its traceback goes to the log file, not
the terminal.

A command imports only the module that implements it (:data:`COMMANDS`), so
``accounts list`` does not pay for the route solver, pandas, the server or Qt.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from fieldapp import __version__
from fieldapp.cli import bounds
from fieldapp.errors import FieldappError
from fieldapp.store import private
from fieldapp.store.location import default_data_dir

if TYPE_CHECKING:
    from fieldapp.store.db import Replica

log = logging.getLogger("fieldapp")

EXIT_USER_ERROR = 1
EXIT_BUG = 70  # EX_SOFTWARE


@dataclass(frozen=True)
class Command:
    """Where a command lives and what its ``run`` takes."""

    module: str  # fieldapp.cli.<module>: its add_parsers() and run()
    help: str  # shown by ``fieldapp --help`` without importing the module
    takes: str = "opener"  # "replica": run(args, replica); "opener": run(args, open); "args"


def _entity(name: str) -> Command:
    return Command("records", f"list, show, add, update or delete {name}", "replica")


# Every command, in the order ``--help`` lists them; a module's commands stand
# together. A test keeps each help equal to the one its module registers.
COMMANDS: dict[str, Command] = {
    **{name: _entity(name) for name in ("accounts", "contacts", "leads", "opportunities", "tasks")},
    "visits": Command("visits_cmds", "log, list and schedule visits", "replica"),
    "agenda": Command("visits_cmds", "planned visits and tasks of a day or a week", "replica"),
    "attach": Command(
        "attach_cmds", "attach photos or files to an account, visit or deal", "replica"
    ),
    "attachments": Command("attach_cmds", "an account's photos and files", "replica"),
    "import": Command("transfer", "import records from CSV (Salesforce, HubSpot, Dynamics)"),
    "export": Command("transfer", "export records to CSV (contacts also to vCard)"),
    "demo": Command("demo_cmd", "fill a data dir with a realistic demo territory"),
    "route": Command("maps_cmds", "plan a day's route"),
    "geocode": Command("maps_cmds", "find coordinates for accounts (Nominatim / offline)"),
    "map": Command("maps_cmds", "the accounts map"),
    "login": Command("sync_cmds", "sign in to a sync server"),
    "logout": Command("sync_cmds", "sign out and forget the token"),
    "password": Command(
        "sync_cmds", "change your password on the server (your other sign-ins end)"
    ),
    "sync": Command("sync_cmds", "send local changes and receive the server's"),
    "conflicts": Command("sync_cmds", "clashes kept for a person to resolve"),
    "admin": Command("admin_cmds", "users, territories and reassignments (admins only)"),
    "history": Command("history_cmds", "a record's changes, from the server's audit trail"),
    "refused": Command("refused_cmds", "changes the server refused, kept to fix"),
    "rules": Command(
        "rules_cmds", "automation rules managers set (follow-ups, flags, leads)", "replica"
    ),
    "report": Command(
        "report_cmds", "visits, coverage, pipeline, forecast, won/lost and activity reports"
    ),
    "doctor": Command("doctor", "show what protects the data at rest", "args"),
}


def command_module(name: str) -> ModuleType:
    """The module that implements command ``name`` (imported now, on first use)."""
    return importlib.import_module(f"fieldapp.cli.{COMMANDS[name].module}")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser, with ``command``'s real options and a stand-in for every other command.

    A stand-in only names its command and its help, and accepts anything: it is
    enough to find out which command was asked for (and to list them all in
    ``--help``), after which the parser is built again with that command's module.
    """
    # Subparsers are made of the same class: every usage error is one line, exit 2.
    parser = bounds.Parser(
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
    wanted = COMMANDS[command].module if command is not None else None
    for name, spec in COMMANDS.items():
        if name in sub.choices:
            continue  # registered with the rest of its module's commands
        if spec.module == wanted:
            command_module(name).add_parsers(sub)
        else:
            sub.add_parser(name, help=spec.help, add_help=False)
    return parser


def parse_args(argv: Sequence[str] | None) -> tuple[argparse.ArgumentParser, argparse.Namespace]:
    argv = list(sys.argv[1:] if argv is None else argv)
    # First pass: which command (stand-ins take their arguments as unknown ones).
    parser = build_parser()
    first, _rest = parser.parse_known_args(argv)
    if first.command is None:
        return parser, parser.parse_args(argv)  # unknown arguments are refused here
    parser = build_parser(first.command)
    return parser, parser.parse_args(argv)


_warned: set[str] = set()


def _open(args: argparse.Namespace) -> Replica:
    from fieldapp.store.db import open_replica

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


def _database_error(exc: Exception) -> Any:
    """``exc`` if it is SQLAlchemy's OperationalError, else None.

    Looked up only when something failed: a command that never touched the database
    has not imported SQLAlchemy, and then the error cannot be one of its.
    """
    sqlalchemy_exc = sys.modules.get("sqlalchemy.exc")
    if sqlalchemy_exc is not None and isinstance(exc, sqlalchemy_exc.OperationalError):
        return exc
    return None


def _describe_operational(exc: Any) -> str:
    text = str(exc.orig)
    if "disk is full" in text or "disk I/O" in text:
        return "the disk is full or failing; nothing was saved — free some space and try again"
    if "locked" in text:
        return "the replica is busy in another program (locked); try again in a moment"
    return f"database error: {text}"


def _run(args: argparse.Namespace) -> int:
    spec = COMMANDS[args.command]
    module = command_module(args.command)
    if spec.takes == "replica":
        with closing(_open(args)) as replica:
            return int(module.run(args, replica))
    if spec.takes == "args":
        return int(module.run(args))
    return int(module.run(args, _open))


def main(argv: Sequence[str] | None = None) -> int:
    parser, args = parse_args(argv)
    _warned.clear()
    if args.command is None:
        from .gui import launch_gui

        return launch_gui(args, parser)
    _setup_logging(_log_file(args))
    try:
        code = _run(args)
        sys.stdout.flush()
        return code
    except FieldappError as exc:
        print(f"fieldapp: {exc.plain}", file=sys.stderr)
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
    except Exception as exc:
        if (db_error := _database_error(exc)) is not None:
            log.exception("database error")
            print(f"fieldapp: {_describe_operational(db_error)}", file=sys.stderr)
            return EXIT_USER_ERROR
        log.exception("unexpected error running %s", sys.argv)
        print(
            f"fieldapp: internal error (a bug); details were written to {_log_file(args)}",
            file=sys.stderr,
        )
        return EXIT_BUG
