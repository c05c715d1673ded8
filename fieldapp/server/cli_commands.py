"""What each ``fieldapp-server`` command does, given its parsed arguments and the
database (:mod:`fieldapp.server.cli` parses and dispatches). Mistakes are
:class:`~fieldapp.server.db.ServerError`: one line for the operator.
"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import json
import os
import sys
from pathlib import Path

from fieldapp.domain.geojson import parse_geojson
from fieldapp.domain.imports import parse_mappings
from fieldapp.domain.report import report_lines
from fieldapp.server import admin, audit, auth, erasure, history, territories, users
from fieldapp.server.db import ENV_DATABASE_URL, Database, ServerError, default_database_url


def password(args: argparse.Namespace) -> str:
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


def dry_run_note(args: argparse.Namespace) -> str:
    return "dry run, nothing changed: would have " if getattr(args, "dry_run", False) else ""


def user(db: Database, args: argparse.Namespace) -> int:
    who, would = audit.OPERATOR, dry_run_note(args)
    dry = args.dry_run if "dry_run" in args else False
    if args.action == "list":
        rows = users.list_users(db)
        if args.json:
            print(json.dumps([r.as_dict() for r in rows], indent=2, ensure_ascii=False))
        for u in rows if not args.json else []:
            terr = ", ".join(u.territories) or "-"
            state = "" if u.active else "  (deactivated)"
            print(f"{u.username:<20} {u.role:<8} {u.manager or '-':<20} {terr}{state}")
    elif args.action == "add":
        users.add_user(db, who, args.name, password(args), args.role, args.manager, dry_run=dry)
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
        revoked = users.reset_password(db, who, args.name, password(args), dry_run=dry)
        print(f"{would}set a new password for {args.name}; signed out {revoked} sessions")
    elif args.action in ("deactivate", "activate"):
        active = args.action == "activate"
        revoked = users.set_active(db, who, args.name, active, dry_run=dry)
        tail = "" if active else f"; revoked {revoked} sessions"
        print(f"{would}{args.action}d {args.name}{tail}")
    else:
        if not dry and not args.yes:
            confirm(f"Delete user {args.name} for good?")
        done = users.delete_user(db, who, args.name, args.reassign_to, dry_run=dry)
        heir = f" to {done.reassigned_to}" if done.reassigned_to else ""
        print(
            f"{would}deleted {done.username}; reassigned {done.records_reassigned} records, "
            f"{len(done.territories_moved)} territories and {len(done.team_moved)} users{heir}"
        )
    return 0


def rules(db: Database, args: argparse.Namespace) -> int:
    from fieldapp.server import rule_pass  # the rules engine, only for this command

    added = rule_pass.run(db, dry_run=args.dry_run)
    print(f"{dry_run_note(args)}flagged {added} account{'' if added == 1 else 's'}")
    return 0


def assign_accounts(db: Database, args: argparse.Namespace) -> int:
    moved = admin.assign_accounts(db, args.territory, args.ids, dry_run=args.dry_run)
    print(f"{dry_run_note(args)}moved {moved} accounts")
    return 0


def confirm(question: str) -> None:
    if not sys.stdin.isatty():
        raise ServerError("no terminal to confirm on; pass --yes (or try --dry-run first)")
    if input(f"{question} [y/N] ").strip().lower() not in ("y", "yes"):
        raise ServerError("cancelled; nothing changed")


def territory(db: Database, args: argparse.Namespace) -> int:
    would = dry_run_note(args)
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


def erase(db: Database, args: argparse.Namespace) -> int:
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


def verify_history(db: Database) -> int:
    verdict = history.verify(db)
    if verdict.intact:
        print(f"history intact: {verdict.entries} entries, {verdict.redacted} redacted on request")
        return 0
    for problem in verdict.problems or ():
        print(problem, file=sys.stderr)
    print(f"history TAMPERED: {len(verdict.problems or ())} problem(s) found", file=sys.stderr)
    return 1


def import_accounts(db: Database, args: argparse.Namespace) -> int:
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


def serve(args: argparse.Namespace) -> int:
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
