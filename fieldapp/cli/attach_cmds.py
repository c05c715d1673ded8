"""``fieldapp attach`` and ``fieldapp attachments``: photos and files from the shell."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from fieldapp.cli.output import print_json, print_table
from fieldapp.domain.values import ATTACHMENT_PARENTS
from fieldapp.store import attachments
from fieldapp.store.db import Replica

PARENT_NAMES = {"account": "accounts", "visit": "visits", "deal": "opportunities"}


def add_parsers(sub: Any) -> None:
    attach = sub.add_parser("attach", help="attach photos or files to an account, visit or deal")
    attach.add_argument("kind", choices=sorted(PARENT_NAMES) + list(ATTACHMENT_PARENTS))
    attach.add_argument("record_id")
    attach.add_argument("files", nargs="+", type=Path, metavar="FILE")
    listing = sub.add_parser("attachments", help="an account's photos and files")
    listing.add_argument("account_id")
    listing.add_argument("--json", action="store_true")


def run(args: argparse.Namespace, replica: Replica) -> int:
    if args.command == "attach":
        parent = PARENT_NAMES.get(args.kind, args.kind)
        made = []
        with replica.session() as session:
            for path in args.files:
                made.append(
                    attachments.attach_file(session, replica.data_dir, parent, args.record_id, path)
                )
        print(f"attached {len(made)} file(s); they are sent to the server with the next sync")
        return 0
    with replica.read_session() as session:
        rows = attachments.attachments_of(session, replica.data_dir, account_id=args.account_id)
    described = [attachments.describe(info) for info in rows]
    if args.json:
        print_json(described)
    else:
        columns = ("id", "on", "filename", "type", "size", "pixels", "on_this_laptop")
        print_table(described, columns)
    return 0
