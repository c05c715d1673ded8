"""``fieldapp refused list|resend|discard``: changes the server refused, kept to fix."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from contextlib import closing
from dataclasses import asdict
from typing import Any

from fieldapp.cli import bounds
from fieldapp.errors import FieldappError
from fieldapp.store.db import Replica
from fieldapp.store.refused import discard, refused_changes, resend, resend_all

from .output import print_json, print_table

COMMANDS = ("refused",)
Opener = Callable[[argparse.Namespace], Replica]


def add_parsers(sub: Any) -> None:
    refused = sub.add_parser("refused", help="changes the server refused, kept to fix")
    actions = refused.add_subparsers(dest="action", required=True, metavar="ACTION")
    rlist = actions.add_parser("list", help="refused changes with the server's reason")
    rlist.add_argument("--json", action="store_true")
    again = actions.add_parser(
        "resend", help="send a refused change again (with the record's current values)"
    )
    again.add_argument(
        "id",
        nargs="?",
        type=bounds.count(1, bounds.MAX_ID),
        help="its id in `fieldapp refused list`",
    )
    again.add_argument("--all", action="store_true", help="every refused change")
    drop = actions.add_parser(
        "discard", help="drop a refused change: a new record is deleted, an edit undone"
    )
    drop.add_argument("id", type=bounds.count(1, bounds.MAX_ID))
    drop.add_argument("--yes", action="store_true", help="really discard it")


def run(args: argparse.Namespace, open_replica: Opener) -> int:
    with closing(open_replica(args)) as replica:
        if args.action == "list":
            return _list(args, replica)
        if args.action == "resend":
            return _resend(args, replica)
        return _discard(args, replica)


def _list(args: argparse.Namespace, replica: Replica) -> int:
    with replica.read_session() as s:
        changes = refused_changes(s)
    if args.json:
        print_json([asdict(c) for c in changes])
        return 0
    if not changes:
        print("no refused changes")
        return 0
    rows = [
        {
            "id": c.outbox_id,
            "record": f"{c.entity[:-1] if c.entity.endswith('s') else c.entity} {c.label}",
            "change": c.operation,
            "reason": c.reason,
            "refused": c.refused_at[:16].replace("T", " "),
        }
        for c in changes
    ]
    print_table(rows, ["id", "record", "change", "reason", "refused"], max_width=60)
    print("fix the record, then: fieldapp refused resend ID (or --all); or discard ID --yes")
    return 0


def _resend(args: argparse.Namespace, replica: Replica) -> int:
    if args.all == (args.id is not None):
        raise FieldappError("say which change to resend: fieldapp refused resend ID, or --all")
    with replica.session() as s:
        if args.all:
            count = resend_all(s)
        else:
            resend(s, args.id)
            count = 1
    print(f"{count} change{'' if count == 1 else 's'} queued again; run fieldapp sync to send")
    return 0


def _discard(args: argparse.Namespace, replica: Replica) -> int:
    with replica.read_session() as s:
        found = [c for c in refused_changes(s) if c.outbox_id == args.id]
    if not found:
        raise FieldappError(f"no refused change with id {args.id} (fieldapp refused list)")
    change = found[0]
    what = (
        "the new record is deleted from this laptop"
        if change.operation == "insert"
        else "the record gets back the server's values"
    )
    if not args.yes:
        raise FieldappError(
            f"discarding {change.operation} of {change.label!r} cannot be undone ({what}); "
            f"add --yes to do it"
        )
    with replica.session() as s:
        discard(s, args.id)
    print(f"discarded {change.operation} of {change.label!r}: {what}")
    return 0
