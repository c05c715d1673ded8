"""``fieldapp import KIND FILE.csv`` and ``fieldapp export KIND FILE``.

The report an import prints is :func:`fieldapp.domain.report.report_lines`, the one
``fieldapp-server accounts import`` prints too.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

from fieldapp.domain.report import add_import_options, report_lines
from fieldapp.domain.values import EXPORTABLE, IMPORTABLE
from fieldapp.store.db import Replica

from .output import print_json

COMMANDS = ("import", "export")
Opener = Callable[[argparse.Namespace], Replica]


def add_parsers(sub: Any) -> None:
    imp = sub.add_parser("import", help="import records from CSV (Salesforce, HubSpot, Dynamics)")
    kinds = imp.add_subparsers(dest="kind", required=True, metavar="KIND")
    for entity in IMPORTABLE:
        add_import_options(kinds.add_parser(entity, help=f"{entity} from a CSV file"))

    exp = sub.add_parser("export", help="export records to CSV (contacts also to vCard)")
    kinds = exp.add_subparsers(dest="kind", required=True, metavar="KIND")
    for entity in EXPORTABLE:
        what = "CSV, or vCards for a FILE.vcf" if entity == "contacts" else "CSV"
        parser = kinds.add_parser(entity, help=f"{entity} as {what}")
        parser.add_argument("file", type=Path)
        parser.add_argument("--search", metavar="Q", help="only those matching a search")
        parser.add_argument(
            "--ids-from", type=Path, metavar="FILE", help="only these ids (one a line, or a CSV)"
        )
        parser.add_argument("--territory", metavar="NAME", help="only this territory's")
        parser.add_argument("--owner", metavar="USER", help="only this user's")
        parser.add_argument(
            "--raw", action="store_true", help="do not escape cells that look like formulas"
        )


def run(args: argparse.Namespace, open_replica: Opener) -> int:
    handler = run_import if args.command == "import" else run_export
    with closing(open_replica(args)) as replica:
        return handler(args, replica)


def run_import(args: argparse.Namespace, replica: Replica) -> int:
    from fieldapp.domain.imports import parse_mappings
    from fieldapp.store import csv_import

    with replica.session() as session:
        report = csv_import.import_file(
            session,
            args.kind,
            args.file,
            encoding=args.encoding,
            mapping=parse_mappings(args.mappings),
            value_maps=args.value_maps,
            dry_run=args.dry_run,
            skip_invalid=args.skip_invalid,
        )
    if args.json:
        print_json(dataclasses.asdict(report))
    else:
        print("\n".join(report_lines(report, dry_run=args.dry_run, skip_invalid=args.skip_invalid)))
    if report.invalid_rows and not args.skip_invalid and not args.dry_run:
        return 1
    return 0


def run_export(args: argparse.Namespace, replica: Replica) -> int:
    from fieldapp.store import csv_export

    with replica.read_session() as session:
        ids = csv_export.read_ids(args.ids_from) if args.ids_from else None
        selection = csv_export.Selection(args.search, ids, args.territory, args.owner)
        if args.kind == "contacts" and args.file.suffix.lower() == ".vcf":
            from fieldapp.store import vcard_io

            n = vcard_io.export_contacts_vcf(
                session, args.file, csv_export.chosen(session, "contacts", selection)
            )
        else:
            n = csv_export.export_records(session, args.kind, args.file, selection, raw=args.raw)
    print(f"exported {n} {args.kind} to {args.file}")
    return 0
