"""``fieldapp leads convert|demo``, the import and export groups, and launching the app."""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

from fieldapp.errors import FieldappError
from fieldapp.store import encryption, services
from fieldapp.store.db import DB_FILENAME, Replica, default_data_dir

from . import bounds, transfer
from .output import print_json

Opener = Callable[[argparse.Namespace], Replica]


def add_parsers(sub: Any) -> None:
    transfer.add_parsers(sub)

    demo = sub.add_parser("demo", help="fill a data dir with a realistic demo territory")
    demo.add_argument("--accounts", type=bounds.count(1, 10**7), default=2000, metavar="N")
    demo.add_argument("--seed", type=int, default=1, metavar="S")
    demo.add_argument("--replace", action="store_true", help="discard the data dir's replica first")
    demo.add_argument("--launch", action="store_true", help="open the app afterwards")


def run(args: argparse.Namespace, open_replica: Opener) -> int:
    if args.command == "demo":
        return _demo(args, open_replica)
    with closing(open_replica(args)) as replica:
        handler = {
            "import": transfer.run_import,
            "export": transfer.run_export,
        }[args.command]
        return handler(args, replica)


def add_convert_parser(actions: Any) -> None:
    convert = actions.add_parser("convert", help="turn a lead into account + contact + opportunity")
    convert.add_argument("id")
    convert.add_argument("--account", metavar="ID", help="attach to this existing account")
    convert.add_argument("--opportunity-name")
    convert.add_argument("--amount", type=bounds.amount)
    convert.add_argument("--no-opportunity", action="store_true")
    convert.add_argument("--json", action="store_true")


def convert_lead(args: argparse.Namespace, replica: Replica) -> int:
    with replica.session() as session:
        result = services.convert_lead(
            session,
            args.id,
            account_id=args.account,
            opportunity_name=args.opportunity_name,
            amount=args.amount,
            create_opportunity=not args.no_opportunity,
        )
    if args.json:
        print_json(dataclasses.asdict(result))
    else:
        print(f"account      {result.account_id}")
        print(f"contact      {result.contact_id}")
        if result.opportunity_id:
            print(f"opportunity  {result.opportunity_id}")
    return 0


def _demo(args: argparse.Namespace, open_replica: Opener) -> int:
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

        with replica.session() as session:
            summary = demo.generate(
                session, accounts=args.accounts, seed=args.seed, progress=progress
            )
        if sys.stderr.isatty():
            print(file=sys.stderr)
    counts = ", ".join(f"{n} {entity}" for entity, n in vars(summary).items() if n)
    print(f"demo data in {data_dir}: {counts}")
    if args.launch:
        return launch_gui(args, None)
    return 0


def launch_gui(args: argparse.Namespace, parser: argparse.ArgumentParser | None) -> int:
    """Open the desktop app, or explain why it cannot be opened."""
    if importlib.util.find_spec("fieldapp.ui.app") is None:
        print(
            "fieldapp: the desktop app is not part of this build yet; "
            "use the commands below (fieldapp --help)",
            file=sys.stderr,
        )
        if parser is not None:
            parser.print_help()
        return 0
    from fieldapp.ui.app import run_app  # type: ignore[import-not-found,unused-ignore]

    return int(run_app(args.data_dir or default_data_dir()))
