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
from fieldapp.server import admin, audit, auth, erasure, history, territories, users
from fieldapp.server.db import ENV_DATABASE_URL, Database, ServerError, default_database_url

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
    add = _change(user.add_parser("add", help="add a user"))
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=users.ROLES)
    add.add_argument("--manager", metavar="NAME", help="the rep's manager")
    _password_option(add)
    user.add_parser("list", help="list users").add_argument("--json", action="store_true")
    role = _change(user.add_parser("role", help="change a user's role and/or manager"))
    role.add_argument("name")
    role.add_argument("--role", choices=users.ROLES)
    role.add_argument("--manager", metavar="NAME", help="their manager")
    role.add_argument("--no-manager", action="store_true", help="no manager any more")
    pw = _change(user.add_parser("password", help="set a new password (signs the user out)"))
    pw.add_argument("name")
    _password_option(pw)
    for action, text in (
        ("deactivate", "cut a user off: no sign-in, every token revoked at once"),
        ("activate", "let a deactivated user sign in again"),
    ):
        _change(user.add_parser(action, help=text)).add_argument("name")
    rm = _change(user.add_parser("delete", help="delete a user for good"))
    rm.add_argument("name")
    rm.add_argument(
        "--reassign-to", metavar="NAME", help="who gets their records, territories and team"
    )
    rm.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    terr = sub.add_parser("territory", help="manage territories").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    terr.add_parser("list", help="list territories").add_argument("--json", action="store_true")
    tadd = _change(terr.add_parser("add", help="add a territory"))
    tadd.add_argument("name")
    tadd.add_argument("--polygon", type=Path, metavar="FILE.geojson")
    tadd.add_argument("--postcodes", nargs="*", default=[], metavar="P")
    tadd.add_argument("--regions", nargs="*", default=[], metavar="R")
    tassign = _change(terr.add_parser("assign", help="give a territory to a rep"))
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
    _change(assign)

    rules = sub.add_parser("rules", help="automation rules").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    _change(rules.add_parser("run", help="flag accounts not visited within their frequency"))

    serve = sub.add_parser("serve", help="run the HTTP server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument(
        "--rules-every",
        type=float,
        default=24.0,
        metavar="HOURS",
        help="flag accounts not visited within their frequency this often (0: never; default 24)",
    )
    serve.add_argument(
        "--token-days",
        type=float,
        metavar="DAYS",
        help=f"how long a sign-in lasts after its last use (default: ${auth.ENV_TOKEN_DAYS} "
        f"or {auth.DEFAULT_TOKEN_DAYS:g})",
    )
    return parser


def _change(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument(
        "--dry-run", action="store_true", help="say what would change, change nothing"
    )
    return parser


def _password_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin"
    )


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
        elif args.command == "user":
            return _user(db, args)
        elif args.command == "territory":
            return _territory(db, args)
        elif args.command == "history":
            return _verify_history(db)
        elif args.command == "erase":
            return _erase(db, args)
        elif args.command == "accounts" and args.action == "import":
            return _import(db, args)
        elif args.command == "rules":
            from fieldapp.server import rule_pass

            added = rule_pass.run(db, dry_run=args.dry_run)
            print(f"{_would(args)}flagged {added} account{'' if added == 1 else 's'}")
        else:
            moved = admin.assign_accounts(db, args.territory, args.ids, dry_run=args.dry_run)
            print(f"{_would(args)}moved {moved} accounts")
    finally:
        db.close()
    return 0


def _would(args: argparse.Namespace) -> str:
    return "dry run, nothing changed: would have " if getattr(args, "dry_run", False) else ""


def _user(db: Database, args: argparse.Namespace) -> int:
    who, dry, would = audit.OPERATOR, args.dry_run if "dry_run" in args else False, _would(args)
    if args.action == "list":
        rows = users.list_users(db)
        if args.json:
            print(json.dumps([r.as_dict() for r in rows], indent=2, ensure_ascii=False))
        for u in rows if not args.json else []:
            terr = ", ".join(u.territories) or "-"
            state = "" if u.active else "  (deactivated)"
            print(f"{u.username:<20} {u.role:<8} {u.manager or '-':<20} {terr}{state}")
    elif args.action == "add":
        users.add_user(db, who, args.name, _password(args), args.role, args.manager, dry_run=dry)
        print(f"{would}added {args.role} {args.name}")
    elif args.action == "role":
        if args.role is None and args.manager is None and not args.no_manager:
            raise ServerError("say what changes: --role, --manager NAME or --no-manager")
        row = users.change_user(
            db, who, args.name, role=args.role, manager=args.manager,
            clear_manager=args.no_manager, dry_run=dry,
        )  # fmt: skip
        print(f"{would}{row.username} is now a {row.role}, manager {row.manager or '-'}")
    elif args.action == "password":
        revoked = users.reset_password(db, who, args.name, _password(args), dry_run=dry)
        print(f"{would}set a new password for {args.name}; signed out {revoked} sessions")
    elif args.action in ("deactivate", "activate"):
        active = args.action == "activate"
        revoked = users.set_active(db, who, args.name, active, dry_run=dry)
        tail = "" if active else f"; revoked {revoked} sessions"
        print(f"{would}{args.action}d {args.name}{tail}")
    else:
        if not dry and not args.yes:
            _confirm(f"Delete user {args.name} for good?")
        done = users.delete_user(db, who, args.name, args.reassign_to, dry_run=dry)
        heir = f" to {done.reassigned_to}" if done.reassigned_to else ""
        print(
            f"{would}deleted {done.username}; reassigned {done.records_reassigned} records, "
            f"{len(done.territories_moved)} territories and {len(done.team_moved)} users{heir}"
        )
    return 0


def _confirm(question: str) -> None:
    if not sys.stdin.isatty():
        raise ServerError("no terminal to confirm on; pass --yes (or try --dry-run first)")
    if input(f"{question} [y/N] ").strip().lower() not in ("y", "yes"):
        raise ServerError("cancelled; nothing changed")


def _territory(db: Database, args: argparse.Namespace) -> int:
    would = _would(args)
    if args.action == "list":
        rows = territories.list_territories(db)
        if args.json:
            print(json.dumps([r.as_dict() for r in rows], indent=2, ensure_ascii=False))
            return 0
        for t in rows:
            rule = ", ".join(
                filter(None, ["polygon" if t.polygon else "", *t.postcodes[:5], *t.regions[:5]])
            )
            reps = ", ".join(t.reps) or "-"
            print(f"{t.name:<24} {t.accounts:>7} accounts  reps {reps:<24} {rule or '-'}")
        if not rows:
            print("no territories")
    elif args.action == "add":
        polygon = read_polygon(args.polygon) if args.polygon else None
        admin.add_territory(
            db, args.name, polygon, args.postcodes, regions=args.regions, dry_run=args.dry_run
        )
        print(f"{would}added territory {args.name}")
    else:
        admin.assign_territory(db, args.name, args.rep, dry_run=args.dry_run)
        print(f"{would}given territory {args.name} to {args.rep}")
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
    if args.token_days is not None:
        if not 0 < args.token_days <= 3650:
            raise ServerError("--token-days is between 0 and 3650 days")
        os.environ[auth.ENV_TOKEN_DAYS] = str(args.token_days)  # the workers read it
    if not 0 <= args.rules_every <= 24 * 366:
        raise ServerError("--rules-every is between 0 (never) and 8784 hours")
    if args.rules_every:
        from fieldapp.server import rule_pass

        # In this process only: with --workers N the pass still runs once, not N times.
        rule_pass.every(args.database_url or default_database_url(), args.rules_every * 3600)
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
