"""The ``fieldapp-server`` command.

Like ``fieldapp`` (:mod:`fieldapp.cli.main`): a failure the operator can fix (a
missing file, a bad GeoJSON or CSV file, an unknown user or territory, an
unreachable database) is one line on stderr and exit status 1; anything else is a
bug, whose traceback goes to ``fieldapp-server.log`` in the server's data dir and
whose exit status is 70.
"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import platformdirs
from sqlalchemy.exc import ArgumentError, OperationalError

from fieldapp.domain.geojson import parse_geojson
from fieldapp.domain.imports import parse_mappings
from fieldapp.domain.report import add_import_options, report_lines
from fieldapp.errors import FieldappError
from fieldapp.server import admin, erasure, history
from fieldapp.server.db import ENV_DATABASE_URL, Database, ServerError

log = logging.getLogger("fieldapp.server")

EXIT_USER_ERROR = 1
EXIT_BUG = 70  # EX_SOFTWARE


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fieldapp-server", description="fieldapp central server")
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help=f"SQLAlchemy URL (default: ${ENV_DATABASE_URL} or a SQLite file in the data dir)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("init", help="create or upgrade the database")

    user = sub.add_parser("user", help="manage users").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    add = user.add_parser("add", help="add a user")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=admin.ROLES)
    add.add_argument("--manager", metavar="NAME", help="the rep's manager")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    user.add_parser("list", help="list users").add_argument("--json", action="store_true")

    terr = sub.add_parser("territory", help="manage territories").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    tadd = terr.add_parser("add", help="add a territory")
    tadd.add_argument("name")
    tadd.add_argument("--polygon", type=Path, metavar="FILE.geojson")
    tadd.add_argument("--postcodes", nargs="*", default=[], metavar="P")
    tassign = terr.add_parser("assign", help="give a territory to a rep")
    tassign.add_argument("name")
    tassign.add_argument("--rep", required=True, metavar="NAME")

    hist = sub.add_parser("history", help="the audit trail").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    hist.add_parser("verify", help="check the audit trail's hash chain (exit 1 if tampered)")

    erase = sub.add_parser(
        "erase", help="erase a contact or lead for good (GDPR), here and on every replica"
    )
    erase.add_argument("kind", choices=("contact", "lead"))
    erase.add_argument("id")
    erase.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    acc = sub.add_parser("accounts", help="bulk account operations").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    imp = acc.add_parser(
        "import", help="load accounts from CSV (Salesforce, HubSpot, Dynamics) into territories"
    )
    add_import_options(imp)
    assign = acc.add_parser(
        "assign", help="move accounts to a territory (default: by polygon / postcode)"
    )
    assign.add_argument("ids", nargs="*", metavar="ACCOUNT_ID", help="default: all accounts")
    assign.add_argument("--territory", metavar="NAME")

    serve = sub.add_parser("serve", help="run the HTTP server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    return parser


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise ServerError("no password on standard input (--password-stdin reads one line)")
        return password
    if not sys.stdin.isatty():
        raise ServerError("no terminal to ask for the password; pipe it in with --password-stdin")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise ServerError("the passwords differ")
    return first


def run(args: argparse.Namespace) -> int:
    url = args.database_url
    if args.command == "serve":
        return _serve(args)
    db = Database.open(url)
    try:
        if args.command == "init":
            print("database ready")
        elif args.command == "user" and args.action == "add":
            admin.add_user(db, args.name, _password(args), args.role, args.manager)
            print(f"added {args.role} {args.name}")
        elif args.command == "user":
            users = admin.list_users(db)
            if args.json:
                print(json.dumps(users, indent=2))
            for u in users if not args.json else []:
                terr = ", ".join(u["territories"]) or "-"
                print(f"{u['username']:<20} {u['role']:<8} {u['manager'] or '-':<20} {terr}")
        elif args.command == "territory" and args.action == "add":
            polygon = read_polygon(args.polygon) if args.polygon else None
            admin.add_territory(db, args.name, polygon, args.postcodes)
            print(f"added territory {args.name}")
        elif args.command == "territory":
            admin.assign_territory(db, args.name, args.rep)
            print(f"territory {args.name} now belongs to {args.rep}")
        elif args.command == "history":
            return _verify_history(db)
        elif args.command == "erase":
            return _erase(db, args)
        elif args.command == "accounts" and args.action == "import":
            return _import(db, args)
        else:
            moved = admin.assign_accounts(db, args.territory, args.ids)
            print(f"moved {moved} accounts")
    finally:
        db.close()
    return 0


def _erase(db: Database, args: argparse.Namespace) -> int:
    if not args.yes:
        if not sys.stdin.isatty():
            raise ServerError("erasing cannot be undone: add --yes to confirm")
        answer = input(f"Erase {args.kind} {args.id} for good, on every replica? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("nothing erased")
            return 1
    done = erasure.erase(db, admin.SYSTEM, args.kind, args.id)
    if done.already:
        print(f"{args.kind} {args.id} was erased before")
    else:
        print(
            f"erased {args.kind} {args.id}: {done.redacted} history entries redacted; "
            "replicas drop it on their next sync"
        )
    return 0


def _verify_history(db: Database) -> int:
    verdict = history.verify(db)
    if verdict.intact:
        print(f"history intact: {verdict.entries} entries, {verdict.redacted} redacted on request")
        return 0
    for problem in verdict.problems or ():
        print(problem, file=sys.stderr)
    print(f"history TAMPERED: {len(verdict.problems or ())} problem(s) found", file=sys.stderr)
    return 1


def _import(db: Database, args: argparse.Namespace) -> int:
    report = admin.import_accounts(
        db,
        args.file,
        encoding=args.encoding,
        mapping=parse_mappings(args.mappings),
        value_maps=args.value_maps,
        dry_run=args.dry_run,
        skip_invalid=args.skip_invalid,
    )
    if args.json:
        print(json.dumps(dataclasses.asdict(report), indent=2, ensure_ascii=False))
    else:
        print("\n".join(report_lines(report, dry_run=args.dry_run, skip_invalid=args.skip_invalid)))
    return 1 if report.invalid_rows and not args.skip_invalid and not args.dry_run else 0


def read_polygon(path: Path) -> dict[str, object]:
    """The territory shape in a GeoJSON file; ServerError (one line) for anything else."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ServerError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise ServerError(f"{path} is a folder, not a GeoJSON file") from None
    except PermissionError:
        raise ServerError(f"{path} cannot be read (permission denied)") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ServerError(
            f"{path} is not UTF-8 text (byte {exc.start}); GeoJSON is UTF-8"
        ) from None
    try:
        return parse_geojson(text)
    except ValueError as exc:
        raise ServerError(f"{path}: {exc}") from None


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from fieldapp.server.http import NoDelayHTTP

    db = Database.open(args.database_url)  # migrate once, before the workers start
    db.close()
    if args.database_url:
        os.environ[ENV_DATABASE_URL] = args.database_url
    uvicorn.run(
        "fieldapp.server.app:app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        http=NoDelayHTTP,
        # Sync clients pause between requests; keep their connections open meanwhile.
        timeout_keep_alive=75,
        log_level="warning",
    )
    return 0


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


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return guarded(lambda: run(args), log_file())


if __name__ == "__main__":
    sys.exit(main())
