"""``fieldapp rules list|add|edit|enable|disable|delete|restore|run|undo``.

Rules are records on the replica like any other: written here, they reach the server
and the team on the next ``fieldapp sync`` (which refuses a rep's).
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp.domain import values
from fieldapp.domain.rules import KIND_TEXT, RULE_KINDS
from fieldapp.errors import FieldappError
from fieldapp.store import rules, services
from fieldapp.store.db import Replica
from fieldapp.store.models import Rule, Territory

from .output import print_json, print_table

COMMANDS = ("rules",)
EFFECTS = ("task", "flag", "lead")


def _rule_options(parser: argparse.ArgumentParser, *, adding: bool) -> None:
    parser.add_argument("--name", required=adding, help="what people see in lists")
    if adding:
        parser.add_argument(
            "--kind",
            required=True,
            choices=RULE_KINDS,
            help="; ".join(f"{k}: {t}" for k, t in KIND_TEXT.items()),
        )
    parser.add_argument(
        "--outcome", choices=values.VISIT_OUTCOMES, help="follow_up: the visit outcome"
    )
    parser.add_argument("--days", type=int, help="follow_up: the task is due this many days on")
    parser.add_argument("--title", help="follow_up: the task's title (default: the next step)")
    parser.add_argument("--priority", choices=values.TASK_PRIORITIES, help="follow_up task")
    parser.add_argument(
        "--territory", metavar="NAME", help="only this territory (default: your whole team)"
    )
    parser.add_argument("--json", action="store_true")


def add_parsers(sub: Any) -> None:
    top = sub.add_parser("rules", help="automation rules managers set (follow-ups, flags, leads)")
    actions = top.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", help="the rules that reach you").add_argument(
        "--json", action="store_true"
    )
    _rule_options(actions.add_parser("add", help="add a rule"), adding=True)
    edit = actions.add_parser("edit", help="change a rule")
    edit.add_argument("id", help="the rule's id (or its first characters)")
    _rule_options(edit, adding=False)
    for action, text in (
        ("enable", "switch a rule on"),
        ("disable", "switch a rule off (what it made stays)"),
        ("delete", "delete a rule (undo with restore)"),
        ("restore", "bring back a deleted rule"),
    ):
        one = actions.add_parser(action, help=text)
        one.add_argument("id", help="the rule's id (or its first characters)")
        one.add_argument("--json", action="store_true")
    actions.add_parser(
        "run", help="flag the accounts not visited within their frequency now"
    ).add_argument("--json", action="store_true")
    undo = actions.add_parser(
        "undo", help="take back what a rule did: delete its task, clear its flag, return a lead"
    )
    undo.add_argument("effect", choices=EFFECTS)
    undo.add_argument("id", help="the task's, flag's or lead's id")
    undo.add_argument("--json", action="store_true")


def run(args: argparse.Namespace, replica: Replica) -> int:
    if args.action == "list":
        return _list(args, replica)
    if args.action == "run":
        with replica.session() as s:
            added = rules.run_flags(s)
        _say(args, {"flags_added": added}, f"{added} account{'' if added == 1 else 's'} flagged")
        return 0
    if args.action == "undo":
        entity = {"task": "tasks", "flag": "flags", "lead": "leads"}[args.effect]
        with replica.session() as s:
            done = rules.undo(s, entity, args.id)
        _say(args, {"id": args.id, "done": done}, f"{done}; run fieldapp sync to send")
        return 0
    with replica.session() as s:
        if args.action == "add":
            rule_id = rules.save(s, _values(s, args) | {"kind": args.kind})
            verb = "added"
        else:
            rule_id = _find(s, args.id, deleted=args.action == "restore")
            verb = _change(s, args, rule_id)
        row = s.get(Rule, rule_id)
        name = row.name if row is not None else rule_id
    hint = f"; undo with fieldapp rules restore {rule_id}" if verb == "deleted" else ""
    _say(args, {"id": rule_id, "done": verb}, f"{verb} rule {name!r} ({rule_id}){hint}")
    return 0


def _change(s: Session, args: argparse.Namespace, rule_id: str) -> str:
    if args.action == "edit":
        rules.save(s, _values(s, args), rule_id)
        return "changed"
    if args.action in ("enable", "disable"):
        rules.save(s, {"enabled": args.action == "enable"}, rule_id)
        return f"{args.action}d"
    if not rules.may_set_rules(s):
        raise FieldappError("only a manager or an admin sets rules")
    if args.action == "delete":
        services.delete(s, "rules", rule_id)
        return "deleted"
    services.restore(s, "rules", rule_id)
    return "restored"


def _say(args: argparse.Namespace, data: dict[str, Any], text: str) -> None:
    if args.json:
        print_json(data)
    else:
        print(text)


def _values(s: Session, args: argparse.Namespace) -> dict[str, Any]:
    given = {
        "name": args.name,
        "outcome": args.outcome,
        "days": args.days,
        "task_title": args.title,
        "priority": args.priority,
    }
    found = {k: v for k, v in given.items() if v is not None}
    if args.territory is not None:
        territory = s.scalar(select(Territory.id).where(Territory.name == args.territory))
        if territory is None:
            raise FieldappError(f"no territory named {args.territory!r} on this laptop")
        found["territory_id"] = territory
    return found


def _find(s: Session, given: str, *, deleted: bool = False) -> str:
    query = select(Rule.id).where(Rule.id.startswith(given.strip().lower()))
    query = query.where(Rule.deleted_at.is_not(None) if deleted else Rule.deleted_at.is_(None))
    found = list(s.scalars(query.limit(2)))
    if not found:
        raise FieldappError(f"no {'deleted ' if deleted else ''}rule with id {given!r}")
    if len(found) > 1:
        raise FieldappError(f"more than one rule starts with {given!r}; give more of the id")
    return found[0]


def _list(args: argparse.Namespace, replica: Replica) -> int:
    with replica.read_session() as s:
        listed = rules.listed(s)
    if args.json:
        print_json(
            [
                {**asdict(r.rule), "text": r.text, "territory": r.territory, "author": r.author}
                for r in listed
            ]
        )
        return 0
    if not listed:
        print("no rules; a manager adds one with: fieldapp rules add --name … --kind …")
        return 0
    rows = [
        {
            "id": r.rule.id[:8],
            "name": r.rule.name,
            "rule": r.text,
            "on": "yes" if r.rule.enabled else "no",
            "by": r.author or "",
        }
        for r in listed
    ]
    print_table(rows, ["id", "name", "rule", "on", "by"], max_width=60)
    return 0
