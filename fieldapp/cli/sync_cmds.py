"""``fieldapp login|logout|password|sync|conflicts``."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from contextlib import closing
from typing import Any

from fieldapp.errors import FieldappError, NotFoundError
from fieldapp.store.db import Replica
from fieldapp.sync.account import (
    signed_in_account,
    signed_in_transport,
    signed_out,
    sync_now,
)
from fieldapp.sync.engine import (
    Progress,
    conflict_rows,
    rejection_rows,
)
from fieldapp.sync.errors import AuthRequired
from fieldapp.sync.resolutions import decide
from fieldapp.sync.signin import sign_in, sign_out

from .output import print_json, print_table

COMMANDS = ("login", "logout", "password", "sync", "conflicts")
Opener = Callable[[argparse.Namespace], Replica]


def add_parsers(sub: Any) -> None:
    login = sub.add_parser("login", help="sign in to a sync server")
    login.add_argument("--server", required=True, metavar="URL")
    login.add_argument("--user", required=True, metavar="NAME")
    login.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    sub.add_parser("logout", help="sign out and forget the token")
    password = sub.add_parser(
        "password", help="change your password on the server (your other sign-ins end)"
    )
    password.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the current and the new password from stdin, one a line",
    )
    sync = sub.add_parser("sync", help="send local changes and receive the server's")
    sync.add_argument("--json", action="store_true")
    sync.add_argument("--quiet", action="store_true", help="no progress on stderr")
    conflicts = sub.add_parser("conflicts", help="clashes kept for a person to resolve")
    actions = conflicts.add_subparsers(dest="action", required=True, metavar="ACTION")
    clist = actions.add_parser("list", help="unresolved conflicts and rejected changes")
    clist.add_argument("--all", action="store_true", help="include resolved conflicts")
    clist.add_argument("--json", action="store_true")
    resolve = actions.add_parser("resolve", help="resolve a conflict")
    resolve.add_argument("id")
    resolve.add_argument("--keep", required=True, choices=("mine", "theirs"))


def run(args: argparse.Namespace, open_replica: Opener) -> int:
    with closing(open_replica(args)) as replica:
        if args.command == "login":
            return _login(args, replica)
        if args.command == "logout":
            return _logout(replica)
        try:
            if args.command == "password":
                return _password(args, replica)
            if args.command == "sync":
                return _sync(args, replica)
            return _conflicts(args, replica)
        except AuthRequired:
            raise signed_out(replica) from None


def _login(args: argparse.Namespace, replica: Replica) -> int:
    password = (
        sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("Password: ")
    )
    done = sign_in(replica, args.server, args.user, password)
    if done.in_keyring:
        print(f"signed in to {done.server} as {done.username} ({done.role})")
    else:
        print(
            f"signed in to {done.server} as {done.username}, but there is no usable keyring "
            f"backend ({done.keyring_problem}): the token is kept for this command only and is "
            "not saved",
            file=sys.stderr,
        )
    return 0


def _logout(replica: Replica) -> int:
    server = sign_out(replica)
    if server is None:
        signed_in_account(replica)  # raises: how to sign in
    print(f"signed out of {server}")
    return 0


def _password(args: argparse.Namespace, replica: Replica) -> int:
    server, user = signed_in_account(replica)
    if args.password_stdin:
        old = sys.stdin.readline().rstrip("\r\n")
        new = sys.stdin.readline().rstrip("\r\n")
        if not old or not new:
            raise FieldappError("give the current and the new password on stdin, one a line")
    elif not sys.stdin.isatty():
        raise FieldappError("no terminal to ask for passwords; pipe them in with --password-stdin")
    else:
        old = getpass.getpass("Current password: ")
        new = getpass.getpass("New password: ")
        if getpass.getpass("Again: ") != new:
            raise FieldappError("the new passwords differ; nothing changed")
    transport = signed_in_transport(replica)
    try:
        transport.change_password(old, new)
    except AuthRequired as exc:
        if "current password" in str(exc):  # the token is fine: the old password is not
            raise FieldappError("the current password is wrong; nothing changed") from None
        raise
    finally:
        transport.close()
    print(f"changed the password of {user} on {server}; your other sign-ins have ended")
    return 0


def _progress(quiet: bool) -> Callable[[Progress], None]:
    def show(p: Progress) -> None:
        if quiet or not sys.stderr.isatty():
            return
        total = f"/{p.total}" if p.total else ""
        print(f"\r{p.phase}: {p.done}{total}   ", end="", file=sys.stderr, flush=True)

    return show


def _sync(args: argparse.Namespace, replica: Replica) -> int:
    report = sync_now(replica, _progress(args.quiet))
    if not args.quiet and sys.stderr.isatty():
        print(file=sys.stderr)
    if args.json:
        print_json(report.as_dict())
        return 0
    print(
        f"pushed {report.pushed}, pulled {report.pulled}, "
        f"conflicts {report.conflicts}, rejected {len(report.rejections)}"
    )
    for r in report.rejections:
        print(f"  rejected {r.op} of {r.entity} {r.row_id}: {r.reason}")
    return 0


def _conflicts(args: argparse.Namespace, replica: Replica) -> int:
    if args.action == "list":
        conflicts = conflict_rows(replica, args.all)
        rejections = rejection_rows(replica)
        if args.json:
            print_json({"conflicts": conflicts, "rejections": rejections})
            return 0
        rows = [
            {**c, "record": c["row_id"], "field": c["field"] or "(record deleted)"}
            for c in conflicts
        ]
        if rows:
            print_table(rows, ["id", "entity", "record", "field", "base", "mine", "theirs"])
        else:
            print("no conflicts")
        for r in rejections:
            print(f"rejected {r['op']} of {r['entity']} {r['row_id']}: {r['error']}")
        return 0
    try:
        decide(replica, args.id, args.keep)
    except NotFoundError:
        sync_now(replica)  # made since this laptop's last sync: pull it first
        decide(replica, args.id, args.keep)
    sync_now(replica)  # sends the decision first; the pull brings the kept value
    print(f"resolved {args.id}: kept {args.keep}")
    return 0
