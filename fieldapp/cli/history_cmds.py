"""``fieldapp history ID [--json]``: who changed a record, when, from where, what."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from contextlib import closing
from typing import Any

from fieldapp.store.db import Replica
from fieldapp.sync.history import lines, record_history

from .output import print_json
from .sync_cmds import sign_in_from_stdin

COMMANDS = ("history",)
Opener = Callable[[argparse.Namespace], Replica]


def add_parsers(sub: Any) -> None:
    hist = sub.add_parser("history", help="a record's changes, from the server's audit trail")
    hist.add_argument("id", help="the record's id")
    hist.add_argument("--json", action="store_true")
    hist.add_argument(
        "--password-stdin",
        action="store_true",
        help="sign in first with your password on stdin (no keyring needed)",
    )


def run(args: argparse.Namespace, open_replica: Opener) -> int:
    with closing(open_replica(args)) as replica:
        if args.password_stdin:
            sign_in_from_stdin(replica, None, None, "fieldapp history")
        entity, entries = record_history(replica, args.id)
    if args.json:
        print_json({"entity": entity, "id": args.id, "entries": [e.model_dump() for e in entries]})
        return 0
    if not entries:
        print("no changes recorded on the server yet (sync first)")
    for e in entries:
        device = f" from device {e.device[:8]}" if e.device else ""
        print(f"{e.at[:19].replace('T', ' ')} UTC  {e.user} {e.op}{device}")
        for line in lines(e):
            print(f"    {line}")
    return 0
