"""The ``fieldapp-server`` command."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from fieldapp.server import admin
from fieldapp.server.db import ENV_DATABASE_URL, Database, ServerError


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

    acc = sub.add_parser("accounts", help="bulk account operations").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    imp = acc.add_parser("import", help="load accounts from CSV into territories")
    imp.add_argument("file", type=Path)
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
        return sys.stdin.readline().rstrip("\n")
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
            polygon = json.loads(args.polygon.read_text()) if args.polygon else None
            if polygon is not None:
                admin._polygons(polygon)  # validate
            admin.add_territory(db, args.name, polygon, args.postcodes)
            print(f"added territory {args.name}")
        elif args.command == "territory":
            admin.assign_territory(db, args.name, args.rep)
            print(f"territory {args.name} now belongs to {args.rep}")
        elif args.command == "accounts" and args.action == "import":
            counts = admin.import_accounts(db, args.file)
            print(
                f"imported {counts['imported']} accounts ({counts['unassigned']} in no territory)"
            )
        else:
            moved = admin.assign_accounts(db, args.territory, args.ids)
            print(f"moved {moved} accounts")
    finally:
        db.close()
    return 0


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


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except ServerError as exc:
        print(f"fieldapp-server: {exc}", file=sys.stderr)
        return 1
    except (OSError, json.JSONDecodeError) as exc:
        print(f"fieldapp-server: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
