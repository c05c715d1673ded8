"""``fieldapp visits log|list|schedule|move|cancel`` and ``fieldapp agenda``."""

from __future__ import annotations

import argparse
import re
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from fieldapp.domain import visits as rules
from fieldapp.errors import FieldappError
from fieldapp.store import agenda, due, scheduling, search, services
from fieldapp.store.db import Replica

from . import bounds
from .output import print_json, print_table

COMMANDS = ("visits", "agenda")
LIST_COLUMNS = ("id", "planned_start", "checkin_at", "outcome", "check", "notes")


def add_parsers(sub: Any) -> None:
    visits = sub.add_parser("visits", help="log, list and schedule visits")
    actions = visits.add_subparsers(dest="action", required=True, metavar="ACTION")
    log = actions.add_parser("log", help="log a visit to an account (now, unless --at)")
    log.add_argument("account_id")
    log.add_argument("--outcome", required=True, help="successful, follow_up, no_decision, ...")
    log.add_argument("--notes")
    log.add_argument("--next-step")
    log.add_argument("--at", metavar="WHEN", help="check-in time, ISO 8601 (default: now)")
    log.add_argument("--until", metavar="WHEN", help="check-out time, ISO 8601")
    log.add_argument("--follow-up", metavar="WHEN", help="also create a follow-up task due then")
    log.add_argument("--json", action="store_true")
    vlist = actions.add_parser("list", help="visits of an account, newest first")
    vlist.add_argument("account_id")
    vlist.add_argument("--limit", type=bounds.count(), default=50)
    vlist.add_argument("--json", action="store_true")

    plan = actions.add_parser("schedule", help="plan a visit to an account")
    plan.add_argument("account", metavar="ACCOUNT", help="an account id, or words of its name")
    plan.add_argument("--at", required=True, metavar="WHEN", help="e.g. 2026-12-03T10:00 (local)")
    plan.add_argument(
        "--duration", metavar="LENGTH", help="45m, 1h, 1h30m (default: by account type)"
    )
    plan.add_argument(
        "--every", metavar="N", help="visit the account every N weeks or days (4w, 30d)"
    )
    plan.add_argument("--json", action="store_true")
    move = actions.add_parser("move", help="move a planned visit")
    move.add_argument("visit_id")
    move.add_argument("--at", required=True, metavar="WHEN")
    move.add_argument("--duration", metavar="LENGTH", help="a new length (default: keep it)")
    move.add_argument("--json", action="store_true")
    cancel = actions.add_parser("cancel", help="remove a planned visit (restorable)")
    cancel.add_argument("visit_id")
    restore = actions.add_parser("restore", help="bring back a cancelled visit")
    restore.add_argument("visit_id")

    ag = sub.add_parser("agenda", help="planned visits and tasks of a day or a week")
    ag.add_argument("--week", action="store_true", help="the whole week (Monday to Sunday)")
    ag.add_argument("--date", metavar="D", help="a day of it, YYYY-MM-DD (default: today)")
    ag.add_argument("--due", action="store_true", help="also list the accounts due for a visit")
    ag.add_argument("--json", action="store_true")


def run(args: argparse.Namespace, replica: Replica) -> int:
    if args.command == "agenda":
        return _agenda(args, replica)
    handler = {
        "log": _log,
        "list": _list,
        "schedule": _schedule,
        "move": _move,
        "cancel": _cancel,
        "restore": _restore,
    }[args.action]
    return handler(args, replica)


# --- parsing ---------------------------------------------------------------------------

_LENGTH = re.compile(r"^\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*(?:m|min)?)?\s*$", re.IGNORECASE)


def parse_duration(text: str) -> int:
    """``"45m"``, ``"1h"``, ``"1h30m"``, ``"90"`` -> minutes."""
    match = _LENGTH.match(text)
    if not text.strip() or match is None or not any(match.groups()):
        raise FieldappError(f"--duration expects e.g. 45m, 1h or 1h30m, got {text!r}")
    return int(match.group(1) or 0) * 60 + int(match.group(2) or 0)


def _every(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return rules.parse_frequency(text)
    except ValueError as exc:
        raise FieldappError(f"--every: {exc}") from None


def _day(text: str | None) -> date:
    if text is None:
        return agenda.local_today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FieldappError(f"--date expects YYYY-MM-DD, got {text!r}") from None


def resolve_account(session: Session, text: str) -> str:
    """An account id, or the one account whose name the words find."""
    if re.fullmatch(r"[0-9a-fA-F-]{36}", text.strip()):
        return str(services.get(session, "accounts", text.strip().lower())["id"])
    hits = search.search_ids(session, "accounts", text, limit=6)
    if not hits:
        raise FieldappError(f"no account matches {text!r}")
    if len(hits) > 1:
        names = "; ".join(f"{services.get(session, 'accounts', h)['name']} ({h})" for h in hits[:5])
        raise FieldappError(f"{text!r} matches several accounts, give the id: {names}")
    return hits[0]


# --- visits ---------------------------------------------------------------------------


def _list(args: argparse.Namespace, replica: Replica) -> int:
    with replica.read_session() as session:
        services.get(session, "accounts", args.account_id)
        rows = services.list_records(
            session, "visits", limit=None, where={"account_id": args.account_id}
        )
    rows.sort(key=lambda r: r["checkin_at"] or r["planned_start"] or r["created_at"], reverse=True)
    rows = rows[: args.limit]
    if args.json:
        print_json(rows)
    else:
        for row in rows:
            row["check"] = scheduling.describe_check(
                row["checkin_flag"], row["checkin_distance_m"], row["checkin_accuracy_m"]
            )
        print_table(rows, LIST_COLUMNS)
    return 0


def _log(args: argparse.Namespace, replica: Replica) -> int:
    with replica.session() as session:
        visit_id = services.log_visit(
            session,
            args.account_id,
            outcome=args.outcome,
            notes=args.notes,
            next_step=args.next_step,
            checkin_at=args.at,
            checkout_at=args.until,
            follow_up_due=args.follow_up,
        )
        record = services.get(session, "visits", visit_id)
    print_json(record) if args.json else print(visit_id)
    return 0


def _schedule(args: argparse.Namespace, replica: Replica) -> int:
    minutes = parse_duration(args.duration) if args.duration else None
    every = _every(args.every)
    with replica.session() as session:
        account_id = resolve_account(session, args.account)
        visit_id = scheduling.schedule_visit(
            session, account_id, args.at, minutes=minutes, every_days=every
        )
        record = services.get(session, "visits", visit_id)
        name = services.get(session, "accounts", account_id)["name"]
    if args.json:
        print_json(record)
    else:
        when = _when(record["planned_start"], record["planned_end"])
        plan = f", {rules.describe_frequency(every)}" if every else ""
        print(f"{visit_id}  {name}  {when}{plan}")
    return 0


def _move(args: argparse.Namespace, replica: Replica) -> int:
    minutes = parse_duration(args.duration) if args.duration else None
    with replica.session() as session:
        moved = scheduling.move_visit(session, args.visit_id, args.at, minutes=minutes)
        record = services.get(session, "visits", args.visit_id)
    print_json(record) if args.json else print(f"{args.visit_id}  {_when(moved.start, moved.end)}")
    return 0


def _cancel(args: argparse.Namespace, replica: Replica) -> int:
    with replica.session() as session:
        scheduling.cancel_visit(session, args.visit_id)
    print(f"cancelled {args.visit_id} (fieldapp visits restore {args.visit_id} brings it back)")
    return 0


def _restore(args: argparse.Namespace, replica: Replica) -> int:
    with replica.session() as session:
        services.restore(session, "visits", args.visit_id)
    print(f"restored {args.visit_id}")
    return 0


# --- agenda ---------------------------------------------------------------------------


def _when(start: datetime, end: datetime | None) -> str:
    first = start.astimezone()
    text = first.strftime("%a %Y-%m-%d %H:%M")
    return text + (f"–{end.astimezone():%H:%M}" if end is not None else "")


def _agenda(args: argparse.Namespace, replica: Replica) -> int:
    day = _day(args.date)
    with replica.read_session() as session:
        shown = agenda.agenda_for(session, day, week=args.week)
        due_list = due.due_for_visit(session) if args.due else None
    if args.json:
        data: dict[str, Any] = {
            "start": shown.start,
            "end": shown.end,
            "visits": [_visit_json(v) for v in shown.visits],
            "tasks": [_task_json(t) for t in shown.tasks],
        }
        if due_list is not None:
            data["due"] = {
                "total": due_list.total,
                "accounts": [_due_json(a) for a in due_list.accounts],
            }
        print_json(data)
        return 0
    _print_agenda(shown, day, args.week)
    if due_list is not None:
        print()
        print(f"Due for a visit: {due_list.total:,} accounts")
        for a in due_list.accounts[:50]:
            last = (
                f"last visit {a.last_visit_at.astimezone():%Y-%m-%d}"
                if a.last_visit_at
                else ("never visited")
            )
            print(f"  {a.name} ({a.city or '-'}) — {last}, {a.days_overdue} days overdue  {a.id}")
    return 0


def _visit_json(v: agenda.AgendaVisit) -> dict[str, Any]:
    return {
        "id": v.id,
        "account_id": v.account_id,
        "account": v.account,
        "city": v.city,
        "start": v.start,
        "end": v.end,
        "state": v.state,
        "planned": v.planned,
        "checkin_at": v.checkin_at,
        "checkout_at": v.checkout_at,
        "outcome": v.outcome,
        "checkin_flag": v.checkin_flag,
        "checkin_distance_m": v.checkin_distance_m,
        "route_plan_id": v.route_plan_id,
    }


def _task_json(t: agenda.AgendaTask) -> dict[str, Any]:
    return {
        "id": t.id,
        "title": t.title,
        "due_at": t.due_at,
        "all_day": t.all_day,
        "done": t.done,
        "priority": t.priority,
        "account_id": t.account_id,
        "account": t.account,
    }


def _due_json(a: due.DueAccount) -> dict[str, Any]:
    return {
        "id": a.id,
        "name": a.name,
        "city": a.city,
        "frequency_days": rules.frequency_days(a.frequency_days),
        "last_visit_at": a.last_visit_at,
        "due_at": a.due_at,
        "days_overdue": a.days_overdue,
    }


def _print_agenda(shown: agenda.Agenda, day: date, week: bool) -> None:
    first = agenda.week_start(day) if week else day
    days = [first + timedelta(days=i) for i in range(7 if week else 1)]
    if week:
        last = days[-1]
        print(f"Week {first.isocalendar().week} · {first:%a %d %b} – {last:%a %d %b %Y}")
    for d in days:
        visits = [v for v in shown.visits if v.start.astimezone().date() == d]
        tasks = [t for t in shown.tasks if t.due_at.astimezone().date() == d]
        print(f"{d:%a %d %b %Y}" + ("  (today)" if d == agenda.local_today() else ""))
        if not visits and not tasks:
            print("  nothing planned")
        for t in (t for t in tasks if t.all_day):
            print(f"  all day      {'☑' if t.done else '☐'} {t.title}" + _of(t.account))
        entries: list[tuple[datetime, str]] = []
        for v in visits:
            span = f"{v.start.astimezone():%H:%M}–{v.end.astimezone():%H:%M}"
            state = v.state.replace("_", " ")
            check = scheduling.describe_check(v.checkin_flag, v.checkin_distance_m, None)
            city = f" ({v.city})" if v.city else ""
            line = f"  {span}  {v.account}{city}  {state}" + (f" · {check}" if check else "")
            entries.append((v.start, line + f"  {v.id}"))
        for t in (t for t in tasks if not t.all_day):
            line = f"  {t.due_at.astimezone():%H:%M}        {'☑' if t.done else '☐'} {t.title}"
            entries.append((t.due_at, line + _of(t.account)))
        for _when_at, line in sorted(entries, key=lambda e: e[0]):
            print(line)


def _of(account: str | None) -> str:
    return f" — {account}" if account else ""
