"""The ``fieldapp-server`` command.

Like ``fieldapp`` (:mod:`fieldapp.cli.main`): a failure the operator can fix (a
missing file, a bad GeoJSON or CSV file, an unknown user or territory, an
unreachable database) is one line on stderr and exit status 1; anything else is a
bug, whose traceback goes to ``fieldapp-server.log`` in the server's data dir and
whose exit status is 70 (:mod:`fieldapp.server.cli_errors`). The commands themselves
are :mod:`fieldapp.server.cli_commands`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from fieldapp.domain.report import add_import_options
from fieldapp.server import auth, users
from fieldapp.server import cli_commands as commands
from fieldapp.server.cli_errors import guarded, log_file
from fieldapp.server.db import ENV_DATABASE_URL, Database


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


def run(args: argparse.Namespace) -> int:
    url = args.database_url
    if args.command == "serve":
        return commands.serve(args)
    db = Database.open(url)
    try:
        if args.command == "init":
            print("database ready")
        elif args.command == "user":
            return commands.user(db, args)
        elif args.command == "territory":
            return commands.territory(db, args)
        elif args.command == "history":
            return commands.verify_history(db)
        elif args.command == "erase":
            return commands.erase(db, args)
        elif args.command == "accounts" and args.action == "import":
            return commands.import_accounts(db, args)
        elif args.command == "rules":
            return commands.rules(db, args)
        else:
            return commands.assign_accounts(db, args)
    finally:
        db.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return guarded(lambda: run(args), log_file())


if __name__ == "__main__":
    sys.exit(main())
