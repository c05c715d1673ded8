"""``fieldapp accounts|contacts|leads|opportunities|tasks list|show|add|update|delete``
and ``accounts nearby`` (in :mod:`places_cmds`).

The options of ``add`` are made from the field declarations in
:mod:`fieldapp.store.fields`, so the command line accepts exactly what the store does.
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import TYPE_CHECKING, Any

from fieldapp.cli import bounds
from fieldapp.errors import FieldappError
from fieldapp.store import fields, reading

from . import places_cmds
from .output import print_json, print_record, print_table

if TYPE_CHECKING:
    from fieldapp.store.db import Replica

# Columns shown by ``list``; the full record is in ``show`` and ``--json``.
LIST_COLUMNS: dict[str, tuple[str, ...]] = {
    "accounts": ("id", "name", "type", "city", "postcode", "status"),
    "contacts": ("id", "first_name", "last_name", "title", "email", "phone"),
    "leads": ("id", "first_name", "last_name", "company", "rating", "score", "status"),
    "opportunities": ("id", "name", "stage", "amount", "currency", "close_date"),
    "tasks": ("id", "title", "due_at", "priority", "done"),
}
ENTITIES = tuple(LIST_COLUMNS)


def add_parsers(sub: Any) -> None:
    for entity in ENTITIES:
        parser = sub.add_parser(entity, help=f"list, show, add, update or delete {entity}")
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        lister = actions.add_parser("list", help=f"list {entity}")
        lister.add_argument("--search", "-s", metavar="Q", help="full-text search (prefixes)")
        lister.add_argument(
            "--limit", type=bounds.count(), default=50, help="at most N (default 50)"
        )
        lister.add_argument(
            "--offset", type=bounds.count(0, 10**9), default=0, help="skip the first N"
        )
        lister.add_argument("--json", action="store_true", help="print JSON")

        show = actions.add_parser("show", help=f"show one of the {entity}")
        show.add_argument("id")
        show.add_argument("--json", action="store_true", help="print JSON")

        add = actions.add_parser("add", help=f"add one of the {entity}")
        for field in fields.SPECS[entity]:
            rule = fields.SPECS[entity][field]
            flag = "--" + field.replace("_", "-")
            extra = ["--lat"] if field == "latitude" else ["--lon"] if field == "longitude" else []
            add.add_argument(
                flag,
                *extra,
                dest=f"field_{field}",
                metavar="VALUE",
                help="(required)" if rule.required else None,
            )
        add.add_argument("--json", action="store_true", help="print the new record as JSON")

        upd = actions.add_parser("update", help=f"change fields of one of the {entity}")
        upd.add_argument("id")
        upd.add_argument(
            "--set",
            dest="assignments",
            action="append",
            required=True,
            metavar="FIELD=VALUE",
            help="repeatable; an empty value clears the field",
        )
        upd.add_argument("--json", action="store_true", help="print the record as JSON")
        if entity == "opportunities":
            upd.add_argument(
                "--reopen",
                action="store_true",
                help="allow moving a won or lost deal back to an open stage",
            )

        rm = actions.add_parser("delete", help=f"delete one of the {entity} (restorable)")
        rm.add_argument("id")

        restore = actions.add_parser("restore", help="undo a delete")
        restore.add_argument("id")

        if entity == "leads":
            add_convert_parser(actions)
        if entity == "accounts":
            places_cmds.add_nearby_parser(actions)


def parse_assignments(assignments: list[str]) -> dict[str, str | None]:
    values: dict[str, str | None] = {}
    for item in assignments:
        field, sep, value = item.partition("=")
        if not sep or not field.strip():
            raise FieldappError(f"--set expects FIELD=VALUE, got {item!r}")
        values[field.strip()] = value if value != "" else None
    return values


def run(args: argparse.Namespace, replica: Replica) -> int:
    entity: str = args.command
    action: str = args.action
    # Listing and showing read through Core (store/reading.py): the ORM, the models'
    # mapping and the write paths are imported only by the actions that change records.
    if action == "list":
        if args.search:
            rows = _search(replica, entity, args.search, args.limit)
        else:
            with replica.connect() as conn:
                rows = reading.list_rows(conn, entity, limit=args.limit, offset=args.offset)
        if args.json:
            print_json(rows)
        else:
            print_table(rows, LIST_COLUMNS[entity])
        return 0
    if action == "show":
        with replica.connect() as conn:
            record = reading.get(conn, entity, args.id)
        print_json(record) if args.json else print_record(record)
        return 0
    if action == "nearby":
        return places_cmds.run_nearby(args, replica)
    return _change(args, replica)


def _search(replica: Replica, entity: str, query: str, limit: int) -> list[dict[str, Any]]:
    from fieldapp.store import search  # only a search loads its query parser

    with replica.read_session() as session:
        ids = search.search_ids(session, entity, query, limit=limit)
        conn = session.connection()  # the same transaction as the search
        return [reading.get(conn, entity, i) for i in ids]


def _change(args: argparse.Namespace, replica: Replica) -> int:
    """The actions that write: through the ORM's sessions, whose flush hook writes the outbox."""
    from fieldapp.store import services

    entity: str = args.command
    action: str = args.action
    if action == "add":
        values = {
            key.removeprefix("field_"): value
            for key, value in vars(args).items()
            if key.startswith("field_") and value is not None
        }
        with replica.session() as session:
            new_id = services.create(session, entity, values)
            record = services.get(session, entity, new_id)
        if args.json:
            print_json(record)
        else:
            print(new_id)
        return 0
    if action == "update":
        values = parse_assignments(args.assignments)
        with replica.session() as session:
            if entity == "opportunities":
                from fieldapp.store import deals  # a deal's stage rules, for deals only

                try:
                    changed = deals.update(session, args.id, values, reopen=args.reopen)
                except deals.ReopenRefused as exc:
                    raise FieldappError(f"{exc}; add --reopen to do that") from exc
            else:
                changed = services.update(session, entity, args.id, values)
            record = services.get(session, entity, args.id)
        if args.json:
            print_json(record)
        else:
            print(f"updated {len(changed)} field(s)" if changed else "nothing changed")
        return 0
    if action == "delete":
        with replica.session() as session:
            gone = services.delete(session, entity, args.id)
        extra = f" and {len(gone) - 1} related record(s)" if len(gone) > 1 else ""
        print(f"deleted {args.id}{extra}; undo with: fieldapp {entity} restore {args.id}")
        return 0
    if action == "restore":
        with replica.session() as session:
            back = services.restore(session, entity, args.id)
        print(f"restored {len(back)} record(s)" if back else "it was not deleted")
        return 0
    if action == "convert":
        return convert_lead(args, replica)
    raise AssertionError(action)


def add_convert_parser(actions: Any) -> None:
    convert = actions.add_parser("convert", help="turn a lead into account + contact + opportunity")
    convert.add_argument("id")
    convert.add_argument("--account", metavar="ID", help="attach to this existing account")
    convert.add_argument("--opportunity-name")
    convert.add_argument("--amount", type=bounds.amount)
    convert.add_argument("--no-opportunity", action="store_true")
    convert.add_argument("--json", action="store_true")


def convert_lead(args: argparse.Namespace, replica: Replica) -> int:
    from fieldapp.store import services

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
