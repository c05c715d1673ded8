"""``fieldapp admin …``: users, territories and reassignments with the signed-in admin's token.

Everything goes through the server's admin API (sync/admin_api.py); the server decides
who may do what, and a refusal is said in words ("only an admin can …"). Every command
takes ``--json``; every change ``--dry-run`` (the server checks and counts, keeps nothing).
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

from fieldapp.errors import FieldappError
from fieldapp.store.db import Replica
from fieldapp.sync.account import signed_in_account, signed_in_transport, signed_out
from fieldapp.sync.admin_api import AdminApi
from fieldapp.sync.errors import AuthRequired, Forbidden

from .admin_show import show_diff, show_proposals
from .output import print_json, print_table
from .sync_cmds import sign_in_from_stdin

COMMANDS = ("admin",)
ROLES = ("rep", "manager", "admin")
Opener = Callable[[argparse.Namespace], Replica]
# What each command does, for "only an admin can …".
DOING = {
    "users": "manage users",
    "territories": "manage territories",
    "assign": "reassign territories and accounts",
    "apply": "apply a proposal",
    "proposals": "see assignment proposals",
    "rollback": "roll back assignments",
    "audit": "read the admin audit trail",
}


def _flags(parser: argparse.ArgumentParser, change: bool = True) -> argparse.ArgumentParser:
    parser.add_argument("--json", action="store_true", help="print the server's answer as JSON")
    if change:
        parser.add_argument(
            "--dry-run", action="store_true", help="say what would change, change nothing"
        )
    return parser


def add_parsers(sub: Any) -> None:
    top = sub.add_parser("admin", help="users, territories and reassignments (admins only)")
    top.add_argument(
        "--password-stdin",
        dest="sign_in_stdin",
        action="store_true",
        help="sign in first with your password on stdin's first line (no keyring needed); "
        "a new user's password, if asked for, comes on the next line",
    )
    groups = top.add_subparsers(dest="group", required=True, metavar="GROUP")

    users = groups.add_parser("users", help="who may sign in").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    _flags(users.add_parser("list", help="every user"), change=False)
    add = _flags(users.add_parser("add", help="add a user"))
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--manager", metavar="NAME")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    role = _flags(users.add_parser("role", help="change a user's role and/or manager"))
    role.add_argument("name")
    role.add_argument("--role", choices=ROLES)
    role.add_argument("--manager", metavar="NAME")
    role.add_argument("--no-manager", action="store_true")
    for action, text in (
        ("deactivate", "cut a user off at once (no sign-in, every session ends)"),
        ("activate", "let a deactivated user sign in again"),
    ):
        _flags(users.add_parser(action, help=text)).add_argument("name")
    reset = _flags(users.add_parser("reset-password", help="set a new password (signs them out)"))
    reset.add_argument("name")
    reset.add_argument("--password-stdin", action="store_true")
    rm = _flags(users.add_parser("delete", help="delete a user for good"))
    rm.add_argument("name")
    rm.add_argument("--reassign-to", metavar="NAME", help="who gets their records and territories")
    rm.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    terr = groups.add_parser("territories", help="territories and their reps").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    _flags(terr.add_parser("list", help="every territory"), change=False)
    create = _flags(terr.add_parser("create", help="add a territory"))
    create.add_argument("name")
    create.add_argument("--polygon", type=Path, metavar="FILE.geojson")
    create.add_argument("--postcodes", nargs="+", metavar="P", help="postcodes or prefixes")
    create.add_argument("--regions", nargs="+", metavar="R", help="regions or countries")
    create.add_argument("--manager", metavar="NAME")
    rename = _flags(terr.add_parser("rename", help="rename a territory"))
    rename.add_argument("name")
    rename.add_argument("new_name")
    delete = _flags(terr.add_parser("delete", help="delete a territory that holds no accounts"))
    delete.add_argument("name")
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    reps = _flags(terr.add_parser("set-reps", help="give a territory its reps (one or several)"))
    reps.add_argument("name")
    reps.add_argument("reps", nargs="+", metavar="REP")

    assign = _flags(
        groups.add_parser("assign", help="move a territory to reps and/or accounts to it"),
        change=False,
    )
    assign.add_argument("--territory", required=True, metavar="T")
    assign.add_argument("--rep", nargs="+", metavar="R", help="the territory's reps after")
    which = assign.add_mutually_exclusive_group()
    which.add_argument("--accounts", nargs="+", metavar="ID", help="accounts moving into T")
    which.add_argument("--match", action="store_true", help="the accounts T's shape holds")
    assign.add_argument("--note", help="why (kept with the proposal)")
    mode = assign.add_mutually_exclusive_group(required=True)
    mode.add_argument("--preview", action="store_true", help="make a proposal, print its diff")
    mode.add_argument("--apply", action="store_true", help="make a proposal and apply it")
    apply = _flags(groups.add_parser("apply", help="apply a previewed proposal"))
    apply.add_argument("version", type=int)
    _flags(groups.add_parser("proposals", help="every proposal and rollback"), change=False)
    back = _flags(groups.add_parser("rollback", help="restore the assignment after VERSION"))
    back.add_argument("version", type=int, help="an applied version (0: before the first)")
    audit = _flags(groups.add_parser("audit", help="the admin audit trail"), change=False)
    audit.add_argument("--limit", type=int, default=50)


def run(args: argparse.Namespace, open_replica: Opener) -> int:
    with closing(open_replica(args)) as replica:
        if args.sign_in_stdin:
            sign_in_from_stdin(replica, None, None, "fieldapp admin")
        _, me = signed_in_account(replica)
        transport = signed_in_transport(replica)
        try:
            return _dispatch(args, AdminApi(transport))
        except AuthRequired:
            raise signed_out(replica) from None
        except Forbidden:
            doing = DOING.get(args.group, "do this")
            raise FieldappError(
                f"only an admin can {doing}; you are signed in as {me}, who is not an admin"
            ) from None
        finally:
            transport.close()


def _dispatch(args: argparse.Namespace, api: AdminApi) -> int:
    if args.group == "users":
        return _users(args, api)
    if args.group == "territories":
        return _territories(args, api)
    if args.group == "assign":
        version = api.propose(
            args.territory, reps=args.rep, accounts=args.accounts, match=args.match, note=args.note
        )
        diff = api.apply(version) if args.apply else api.diff(version)
        return _print(args, diff, show_diff)
    if args.group == "apply":
        return _print(args, api.apply(args.version, dry_run=args.dry_run), show_diff)
    if args.group == "rollback":
        return _print(args, api.rollback(args.version, dry_run=args.dry_run), show_diff)
    if args.group == "proposals":
        return _print(args, api.proposals(), show_proposals)
    rows = api.audit(_limit(args.limit))
    if args.json:
        print_json(rows)
    else:
        print_table(rows, ["id", "at", "actor", "action", "target", "outcome"])
    return 0


def _limit(value: int) -> int:
    if not 1 <= value <= 10_000:
        raise FieldappError("--limit is between 1 and 10000")
    return value


def _print(args: argparse.Namespace, data: Any, show: Callable[[Any], None]) -> int:
    if args.json:
        print_json(data)
    else:
        show(data)
    return 0


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise FieldappError("no password on standard input (--password-stdin reads one line)")
        return password
    if not sys.stdin.isatty():
        raise FieldappError("no terminal to ask for the password; pipe it in with --password-stdin")
    first = getpass.getpass("New password: ")
    if getpass.getpass("Again: ") != first:
        raise FieldappError("the passwords differ; nothing changed")
    return first


def _confirm(args: argparse.Namespace, question: str) -> None:
    if args.yes or args.dry_run:
        return
    if not sys.stdin.isatty():
        raise FieldappError("no terminal to confirm on; pass --yes (or try --dry-run first)")
    if input(f"{question} [y/N] ").strip().lower() not in ("y", "yes"):
        raise FieldappError("cancelled; nothing changed")


def _done(args: argparse.Namespace, reply: dict[str, Any], text: str) -> int:
    if args.json:
        print_json(reply)
    else:
        print(("dry run, nothing changed: would have " if args.dry_run else "") + text)
    return 0


def _users(args: argparse.Namespace, api: AdminApi) -> int:
    dry = args.dry_run if "dry_run" in args else False
    if args.action == "list":
        rows = api.users()
        if args.json:
            print_json(rows)
            return 0
        shown = [
            {
                **u,
                "territories": ", ".join(u["territories"]),
                "active": "yes" if u["active"] else "NO",
            }
            for u in rows
        ]
        print_table(shown, ["username", "role", "manager", "active", "territories"])
        return 0
    if args.action == "add":
        reply = api.add_user(args.name, _password(args), args.role, args.manager, dry_run=dry)
        return _done(args, reply, f"added {args.role} {args.name}")
    if args.action == "role":
        if args.role is None and args.manager is None and not args.no_manager:
            raise FieldappError("say what changes: --role, --manager NAME or --no-manager")
        reply = api.change_user(
            args.name,
            role=args.role,
            manager=args.manager,
            clear_manager=args.no_manager,
            dry_run=dry,
        )
        manager = reply.get("manager") or "no manager"
        return _done(args, reply, f"made {args.name} a {reply['role']} ({manager})")
    if args.action in ("deactivate", "activate"):
        reply = api.set_active(args.name, args.action == "activate", dry_run=dry)
        tail = f"; {reply['revoked']} sessions ended" if args.action == "deactivate" else ""
        return _done(args, reply, f"{args.action}d {args.name}{tail}")
    if args.action == "reset-password":
        reply = api.reset_password(args.name, _password(args), dry_run=dry)
        return _done(
            args, reply, f"set a new password for {args.name}; {reply['revoked']} sessions ended"
        )
    _confirm(args, f"Delete user {args.name} for good?")
    reply = api.delete_user(args.name, args.reassign_to, dry_run=dry)
    heir = f" to {args.reassign_to}" if args.reassign_to else ""
    return _done(
        args,
        reply,
        f"deleted {args.name}; {reply['records_reassigned']} records and "
        f"{len(reply['territories_moved'])} territories reassigned{heir}",
    )


def _territories(args: argparse.Namespace, api: AdminApi) -> int:
    dry = args.dry_run if "dry_run" in args else False
    if args.action == "list":
        rows = api.territories()
        if args.json:
            print_json(rows)
            return 0
        shown = [
            {
                **t,
                "reps": ", ".join(t["reps"]),
                "shape": ", ".join(
                    filter(
                        None, ["polygon" if t["polygon"] else "", *t["postcodes"], *t["regions"]]
                    )
                ),
            }
            for t in rows
        ]
        print_table(shown, ["name", "accounts", "reps", "manager", "shape"])
        return 0
    if args.action == "create":
        polygon = _read_polygon(args.polygon) if args.polygon else None
        reply = api.create_territory(
            args.name,
            polygon=polygon,
            postcodes=args.postcodes,
            regions=args.regions,
            manager=args.manager,
            dry_run=dry,
        )
        return _done(args, reply, f"created territory {args.name}")
    if args.action == "rename":
        reply = api.change_territory(args.name, name=args.new_name, dry_run=dry)
        return _done(args, reply, f"renamed territory {args.name} to {args.new_name}")
    if args.action == "delete":
        _confirm(args, f"Delete territory {args.name}?")
        reply = api.delete_territory(args.name, dry_run=dry)
        return _done(args, reply, f"deleted territory {args.name}")
    reply = api.set_reps(args.name, args.reps, dry_run=dry)
    if args.json:
        print_json(reply)
    else:
        show_diff(reply)
    return 0


def _read_polygon(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise FieldappError(f"no such file: {path}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FieldappError(f"{path} is not a GeoJSON file ({exc})") from None
    if not isinstance(value, dict):
        raise FieldappError(f"{path} is not a GeoJSON object")
    return value
