"""``fieldapp login|logout|password|sync|conflicts``."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from contextlib import closing
from dataclasses import asdict
from typing import Any

from fieldapp.cli import bounds
from fieldapp.errors import FieldappError, NotFoundError
from fieldapp.store.db import Replica
from fieldapp.sync import state
from fieldapp.sync.account import (
    refuse_sandbox,
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
from fieldapp.sync.report import sync_history
from fieldapp.sync.resolutions import decide
from fieldapp.sync.signin import SignedIn, sign_in, sign_out

from .output import print_json, print_table

REFUSALS_SHOWN = 10  # refusals printed one by one after a sync

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
    sync.add_argument(
        "--password-stdin",
        action="store_true",
        help="sign in first with the password on stdin (for scripts; no keyring needed)",
    )
    sync.add_argument("--server", metavar="URL", help="with --password-stdin: the server")
    sync.add_argument("--user", metavar="NAME", help="with --password-stdin: the user")
    sync.add_argument(
        "--history", action="store_true", help="show the last syncs instead of syncing"
    )
    sync.add_argument("--limit", type=bounds.count(), default=50, help="with --history: how many")
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
                return _change_password(args, replica)
            if args.command == "sync":
                return _sync(args, replica)
            return _conflicts(args, replica)
        except AuthRequired:
            raise signed_out(replica) from None


def _login(args: argparse.Namespace, replica: Replica) -> int:
    done = _sign_in(replica, args.server, args.user, args.password_stdin)
    if done.in_keyring:
        print(f"signed in to {done.server} as {done.username} ({done.role})")
    return 0


def _sign_in(replica: Replica, server: str, user: str, password_stdin: bool) -> SignedIn:
    """Sign in; without a keyring say once (on stderr) that the token stays in memory."""
    refuse_sandbox(replica)  # before asking for a password
    done = sign_in(replica, server, user, _password(password_stdin))
    if done.adopted:
        print(
            f"{done.adopted} record{'' if done.adopted == 1 else 's'} made on this laptop "
            f"before signing in now belong{'s' if done.adopted == 1 else ''} to {done.username}",
            file=sys.stderr,
        )
    if not done.in_keyring:
        print(
            f"signed in to {done.server} as {done.username}, but there is no usable keyring "
            f"backend ({done.keyring_problem}): the token is kept in memory for this command "
            "only and is not saved (fieldapp sync --password-stdin signs in for each run)",
            file=sys.stderr,
        )
    return done


def sign_in_from_stdin(
    replica: Replica, server: str | None, user: str | None, command: str
) -> None:
    """Sign in for this command with the password on stdin's first line (no keyring needed).

    The server and user default to the ones this replica last signed in with.
    """
    with replica.engine.connect() as conn:
        server = server or state.get(conn, "server")
        user = user or state.get(conn, "username")
    if not server or not user:
        raise FieldappError(
            f"say where to sign in: {command} --password-stdin --server URL --user NAME"
        )
    _sign_in(replica, server.rstrip("/"), user, True)


def _password(from_stdin: bool) -> str:
    if not from_stdin:
        return getpass.getpass("Password: ")
    line = sys.stdin.readline()
    if not line.strip():
        raise FieldappError("--password-stdin: no password on stdin")
    return line.rstrip("\r\n")


def _logout(replica: Replica) -> int:
    server = sign_out(replica)
    if server is None:
        signed_in_account(replica)  # raises: how to sign in
    print(f"signed out of {server}")
    return 0


def _change_password(args: argparse.Namespace, replica: Replica) -> int:
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
    if args.history:
        return _history(args, replica)
    if args.password_stdin:
        sign_in_from_stdin(replica, args.server, args.user, "fieldapp sync")
    elif args.server or args.user:
        raise FieldappError("--server and --user go with --password-stdin (or use fieldapp login)")
    report = sync_now(replica, _progress(args.quiet))
    if not args.quiet and sys.stderr.isatty():
        print(file=sys.stderr)
    if args.json:
        print_json(report.as_dict())
        return 0
    for line in report.sentences():
        print(line)
    for r in report.rejections[:REFUSALS_SHOWN]:
        print(f"  refused {r.op} of {r.entity} {r.row_id}: {r.reason}")
    if len(report.rejections) > REFUSALS_SHOWN:
        # A first sync can be refused thousands of times over one cause (a territory
        # only an admin may create): the first few say why, the list has them all.
        more = len(report.rejections) - REFUSALS_SHOWN
        print(f"  … and {more} more (fieldapp refused list)")
    return 0


def _history(args: argparse.Namespace, replica: Replica) -> int:
    runs = sync_history(replica, max(1, args.limit))
    if args.json:
        print_json([asdict(r) for r in runs])
        return 0
    if not runs:
        print("no syncs yet")
        return 0
    rows = [
        {
            "when": r.started_at[:19].replace("T", " "),
            "result": "ok" if r.ok else "failed",
            "sent": r.counts.get("sent", 0),
            "received": r.counts.get("received", 0),
            "refused": r.counts.get("refused", 0),
            "conflicts": r.counts.get("conflicts", 0),
            "what happened": r.error or "; ".join(r.sentences),
        }
        for r in runs
    ]
    columns = ["when", "result", "sent", "received", "refused", "conflicts", "what happened"]
    print_table(rows, columns, max_width=70)
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
