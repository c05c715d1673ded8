"""Read-only queries the screens need, returning plain values.

Each function takes a session for one operation and runs on a worker thread (see
:mod:`fieldapp.ui.background`); what it returns crosses to the GUI thread, so it is
tuples, dicts and frozen dataclasses, never ORM objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, select
from sqlalchemy.orm import Session

from fieldapp.store import agenda, last_visits, refused, sandbox, scheduling, search, services
from fieldapp.store.models import (
    Account,
    Contact,
    Lead,
    Note,
    Opportunity,
    Task,
    Territory,
    Visit,
)
from fieldapp.store.types import utcnow
from fieldapp.sync import team
from fieldapp.ui.task_queries import TaskRow, day_bounds, open_tasks

# --- accounts list ------------------------------------------------------------------

ACCOUNT_COLUMNS = ("name", "type", "status", "city", "postcode", "tags", "last_visit")
ACCOUNT_HEADERS = ("Name", "Type", "Status", "City", "Postcode", "Tags", "Last visit")
SEARCH_LIMIT = 500


@dataclass(frozen=True)
class AccountFilter:
    search: str = ""
    type: str | None = None
    status: str | None = None
    territory_id: str | None = None
    tag: str | None = None
    not_visited_days: int = 0
    sort_column: str = "name"
    descending: bool = False

    def is_plain(self) -> bool:
        return not (self.type or self.status or self.territory_id or self.tag) and (
            self.not_visited_days <= 0
        )


def _last_visit() -> Any:
    return last_visits.last_visit_at()


def _conditions(flt: AccountFilter) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = [Account.deleted_at.is_(None)]
    if flt.type:
        conds.append(Account.type == flt.type)
    if flt.status:
        conds.append(Account.status == flt.status)
    if flt.territory_id:
        conds.append(Account.territory_id == flt.territory_id)
    if flt.tag:
        tag = " ".join(flt.tag.lower().split())
        conds.append(("," + Account.tags + ",").like(f"%,{tag},%"))
    if flt.not_visited_days > 0:
        cutoff = utcnow() - timedelta(days=flt.not_visited_days)
        conds.append(
            ~exists().where(
                Visit.account_id == Account.id,
                Visit.deleted_at.is_(None),
                Visit.checkin_at >= cutoff,
            )
        )
    return conds


def account_ids(session: Session, flt: AccountFilter) -> list[str]:
    """Ids of the accounts the list shows, in display order."""
    conds = _conditions(flt)
    if flt.search.strip():
        hits = search.search_ids(session, "accounts", flt.search, limit=SEARCH_LIMIT)
        if not hits:
            return []
        if flt.is_plain() and flt.sort_column == "relevance":
            return hits
        conds.append(Account.id.in_(hits))
        if flt.sort_column == "relevance":
            rank = {h: i for i, h in enumerate(hits)}
            found = set(session.scalars(select(Account.id).where(and_(*conds))))
            return sorted(found, key=rank.__getitem__)
    key: Any = (
        _last_visit()
        if flt.sort_column == "last_visit"
        else getattr(Account, flt.sort_column if flt.sort_column in ACCOUNT_COLUMNS else "name")
    )
    if flt.sort_column == "name":
        key = func.lower(Account.name)
    order = [key.desc() if flt.descending else key.asc(), Account.id]
    return list(session.scalars(select(Account.id).where(and_(*conds)).order_by(*order)))


def account_rows(session: Session, ids: list[str]) -> dict[str, tuple[Any, ...]]:
    """Display values (in :data:`ACCOUNT_COLUMNS` order) of the given accounts."""
    if not ids:
        return {}
    rows = session.execute(
        select(
            Account.id,
            Account.name,
            Account.type,
            Account.status,
            Account.city,
            Account.postcode,
            Account.tags,
            _last_visit(),
        ).where(Account.id.in_(ids))
    )
    out: dict[str, tuple[Any, ...]] = {}
    for row in rows:
        last = row[7]
        out[row[0]] = (*row[1:7], last.replace(tzinfo=UTC) if last is not None else None)
    return out


def territories(session: Session) -> list[tuple[str, str]]:
    """(id, label) of each territory, the label naming its reps as the server last said."""
    rows = session.execute(
        select(Territory.id, Territory.name)
        .where(Territory.deleted_at.is_(None))
        .order_by(Territory.name)
    )
    reps = team.rep_names_by_territory(session.connection())
    return [(r[0], team.territory_label(r[1], reps.get(r[0], []))) for r in rows]


# --- account 360 ------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    when: datetime
    kind: str  # note | visit | task
    text: str
    row_id: str
    account_id: str | None = None  # the account the entry opens, where there is one


@dataclass(frozen=True)
class AccountDetail:
    account: dict[str, Any]
    contacts: list[dict[str, Any]] = field(default_factory=list)
    opportunities: list[dict[str, Any]] = field(default_factory=list)
    visits: list[dict[str, Any]] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    open_visit_id: str | None = None


def _live(session: Session, model: Any, *conds: Any, order: Any = None) -> list[dict[str, Any]]:
    query = select(model).where(model.deleted_at.is_(None), *conds)
    if order is not None:
        query = query.order_by(order)
    return [obj.to_dict() for obj in session.scalars(query)]


def account_detail(session: Session, account_id: str) -> AccountDetail:
    account = services.get(session, "accounts", account_id)
    contacts = _live(session, Contact, Contact.account_id == account_id, order=Contact.last_name)
    opps = _live(session, Opportunity, Opportunity.account_id == account_id, order=Opportunity.name)
    visits = _live(
        session,
        Visit,
        Visit.account_id == account_id,
        order=func.coalesce(Visit.checkin_at, Visit.planned_start).desc(),
    )
    tasks = _live(session, Task, Task.account_id == account_id, order=Task.due_at)
    notes = _live(session, Note, Note.account_id == account_id)
    timeline: list[TimelineEntry] = []
    for note in notes:
        timeline.append(TimelineEntry(note["created_at"], "note", note["body"], note["id"]))
    for visit in visits:
        when = visit["checkin_at"] or visit["planned_start"]
        if when is None:
            continue
        outcome = visit["outcome"] or ("planned" if not visit["checkin_at"] else "open")
        text = f"Visit — {outcome.replace('_', ' ')}"
        check = scheduling.describe_check(
            visit["checkin_flag"], visit["checkin_distance_m"], visit["checkin_accuracy_m"]
        )
        if check:
            text += f" ({check})"
        if visit["notes"]:
            text += f": {visit['notes']}"
        timeline.append(TimelineEntry(when, "visit", text, visit["id"]))
    for task in tasks:
        when = task["done_at"] if task["done"] else task["due_at"]
        if when is None:
            continue
        state = "done" if task["done"] else "due"
        timeline.append(TimelineEntry(when, "task", f"Task {state}: {task['title']}", task["id"]))
    timeline.sort(key=lambda e: e.when, reverse=True)
    open_visit = next(
        (v["id"] for v in visits if v["checkin_at"] is not None and v["checkout_at"] is None),
        None,
    )
    return AccountDetail(account, contacts, opps, visits, tasks, timeline, open_visit)


# --- leads ------------------------------------------------------------------------------

LEAD_COLUMNS = ("name", "company", "rating", "score", "status", "email")
LEAD_HEADERS = ("Name", "Company", "Rating", "Score", "Status", "Email")


def leads(
    session: Session, text: str = "", include_converted: bool = False
) -> list[tuple[Any, ...]]:
    """``(id, name, company, rating, score, status, email)`` rows, hottest first."""
    conds: list[Any] = [Lead.deleted_at.is_(None)]
    if not include_converted:
        conds.append(Lead.status != "converted")
    if text.strip():
        conds.append(Lead.id.in_(search.search_ids(session, "leads", text, limit=SEARCH_LIMIT)))
    rating_order = func.instr("hot warm cold", Lead.rating)
    rows = session.execute(
        select(
            Lead.id,
            Lead.first_name,
            Lead.last_name,
            Lead.company,
            Lead.rating,
            Lead.score,
            Lead.status,
            Lead.email,
        )
        .where(*conds)
        .order_by(rating_order, Lead.score.desc(), Lead.last_name)
    )
    return [
        (r[0], f"{r[1] or ''} {r[2]}".strip(), r[3] or "", r[4], r[5], r[6], r[7] or "")
        for r in rows
    ]


# --- pipeline: see fieldapp/store/board.py ---------------------------------------------


# --- tasks and today --------------------------------------------------------------------


@dataclass(frozen=True)
class VisitRow:
    id: str
    account_id: str
    account: str
    planned_start: datetime | None
    checkin_at: datetime | None
    checkout_at: datetime | None
    outcome: str | None


@dataclass(frozen=True)
class Today:
    planned: list[VisitRow]
    due: list[TaskRow]
    recent: list[TimelineEntry]


def today(session: Session) -> Today:
    """The signed-in user's day: their planned visits and tasks (a manager's replica holds
    the whole team's, which belong in the Team panel and the reps' agendas)."""
    start, end = day_bounds()
    me = agenda.device_user_id(session)
    rows = session.execute(
        select(
            Visit.id,
            Visit.account_id,
            Account.name,
            Visit.planned_start,
            Visit.checkin_at,
            Visit.checkout_at,
            Visit.outcome,
        )
        .join(Account, Account.id == Visit.account_id)
        .where(
            Visit.deleted_at.is_(None),
            Visit.planned_start >= start,
            Visit.planned_start < end,
            *agenda.owned_by(Visit.owner_id, me),
        )
        .order_by(Visit.planned_start)
    )
    planned = [VisitRow(*r) for r in rows]
    due = open_tasks(session, owner_id=me, due_before=end)
    recent: list[TimelineEntry] = []
    visits = session.execute(
        select(Visit.id, Visit.checkin_at, Visit.outcome, Account.name, Account.id)
        .join(Account, Account.id == Visit.account_id)
        .where(Visit.deleted_at.is_(None), Visit.checkin_at.is_not(None))
        .order_by(Visit.checkin_at.desc())
        .limit(15)
    )
    for vid, checkin, outcome, account, account_id in visits:
        if checkin is None:
            continue
        label = (outcome or "open").replace("_", " ")
        text = f"Visited {account} — {label}"
        recent.append(TimelineEntry(checkin, "visit", text, vid, account_id))
    notes = session.execute(
        select(Note.id, Note.created_at, Note.body, Account.name, Account.id)
        .outerjoin(Account, Account.id == Note.account_id)
        .where(Note.deleted_at.is_(None))
        .order_by(Note.created_at.desc())
        .limit(15)
    )
    for nid, when, body, account, account_id in notes:
        text = f"Note on {account}: {body}" if account else f"Note: {body}"
        recent.append(TimelineEntry(when, "note", text, nid, account_id))
    recent.sort(key=lambda e: e.when, reverse=True)
    return Today(planned, due, recent[:15])


# --- status bar --------------------------------------------------------------------------


def counts(session: Session) -> dict[str, int]:
    out = {e: services.count(session, e) for e in ("accounts", "leads", "opportunities", "tasks")}
    out["outbox"] = services.pending_outbox(session)
    out["sandbox"] = int(sandbox.is_sandbox(session))
    out["refused"] = refused.refused_count(session)
    return out
