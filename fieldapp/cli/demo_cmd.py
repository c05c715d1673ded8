"""``fieldapp demo``: a demo territory in a data dir."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

from fieldapp.cli import bounds
from fieldapp.errors import FieldappError
from fieldapp.store import encryption, services
from fieldapp.store.db import DB_FILENAME, Replica, default_data_dir

Opener = Callable[[argparse.Namespace], Replica]


COMMANDS = ("demo",)


def add_parsers(sub: Any) -> None:
    demo = sub.add_parser("demo", help="fill a data dir with a realistic demo territory")
    demo.add_argument("--accounts", type=bounds.count(1, 10**7), default=2000, metavar="N")
    demo.add_argument("--seed", type=int, default=1, metavar="S")
    demo.add_argument("--replace", action="store_true", help="discard the data dir's replica first")
    demo.add_argument("--launch", action="store_true", help="open the app afterwards")
    demo.add_argument(
        "--syncable",
        action="store_true",
        help="let the demo records be sent to a server at sign-in (default: a local sandbox)",
    )


def run(args: argparse.Namespace, open_replica: Opener) -> int:
    from fieldapp.store import demo

    if args.accounts < 1:
        raise FieldappError("--accounts must be at least 1")
    data_dir = Path(args.data_dir or default_data_dir())
    if args.replace:
        encryption.remove_replica(data_dir / DB_FILENAME)
    with closing(open_replica(args)) as replica:
        with replica.read_session() as session:
            existing = services.count(session, "accounts")
        if existing:
            raise FieldappError(
                f"{data_dir} already holds {existing} accounts; use an empty --data-dir "
                "or add --replace to discard them"
            )

        def progress(done: int, total: int) -> None:
            if sys.stderr.isatty():
                print(f"\rgenerating demo data: {done}/{total}", end="", file=sys.stderr)

        summary = demo.fill(
            replica,
            accounts=args.accounts,
            seed=args.seed,
            progress=progress,
            syncable=args.syncable,
        )
        if sys.stderr.isatty():
            print(file=sys.stderr)
    counts = ", ".join(f"{n} {entity}" for entity, n in vars(summary).items() if n)
    print(f"demo data in {data_dir}: {counts}")
    if args.syncable:
        print("these records are waiting to be sent to the server you sign in to")
    else:
        print("a demo sandbox: nothing here is sent to a server (no changes waiting to sync)")
    if args.launch:
        from .gui import launch_gui

        return launch_gui(args, None)
    return 0
