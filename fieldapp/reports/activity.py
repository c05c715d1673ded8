"""The activity feed: what reps did, newest first.

Visits done (at check-in), notes written, tasks completed (when done) and deals
changed. The replica keeps no history of stage moves, only each deal's current
stage and the time it last changed: a deal appears once, at its last change, with
the stage it is in now. (The server's change log knows every move; the server's
feed can list each one with the same item type.)
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, String, literal, select, type_coerce, union_all
from sqlalchemy.orm import Session

from fieldapp.domain.reports import ActivityItem, ActivityReport, ReportFilter
from fieldapp.reports import filtering, people
from fieldapp.reports.filtering import Expr
from fieldapp.store.models import Account, Note, Opportunity, Task, Visit
from fieldapp.store.types import UTCDateTime

DEFAULT_LIMIT = 200


def _part(
    kind: str,
    model: Any,
    at: Any,
    text: Expr,
    flt: ReportFilter,
    limit: int,
    *extra: ColumnElement[bool],
) -> Any:
    """The newest ``limit`` items of one kind; each part is cut first, on its own index."""
    query = (
        select(
            type_coerce(at, String).label("at"),
            literal(kind).label("kind"),
            model.id.label("record_id"),
            model.owner_id.label("rep_id"),
            model.account_id.label("account_id"),
            Account.name.label("account"),
            text.label("text"),
        )
        .select_from(model)
        .outerjoin(Account, Account.id == model.account_id)
        .where(model.deleted_at.is_(None), at.is_not(None), *extra)
        .where(*filtering.between(at, flt))
        .order_by(at.desc())
        .limit(limit)
    )
    if flt.rep_id:
        query = query.where(model.owner_id == flt.rep_id)
    if flt.territory_id:
        query = query.where(Account.territory_id == flt.territory_id)
    return query.subquery().select()


def activity(
    session: Session, flt: ReportFilter | None = None, *, limit: int = DEFAULT_LIMIT
) -> ActivityReport:
    """Up to ``limit`` items in the period, newest first, for the rep and territory asked for."""
    flt = flt or ReportFilter()
    filtering.check("activity", flt, "time")
    take = limit + 1  # one more tells whether there were more
    parts = [
        _part("visit", Visit, Visit.checkin_at, Visit.outcome, flt, take),
        _part("note", Note, Note.created_at, Note.body, flt, take),
        _part("task", Task, Task.done_at, Task.title, flt, take, Task.done.is_(True)),
        _part(
            "deal",
            Opportunity,
            Opportunity.updated_at,
            Opportunity.name + " · " + Opportunity.stage,
            flt,
            take,
        ),
    ]
    feed = union_all(*parts).subquery()
    query = select(
        type_coerce(feed.c.at, UTCDateTime),
        feed.c.kind,
        feed.c.record_id,
        feed.c.rep_id,
        feed.c.account_id,
        feed.c.account,
        feed.c.text,
    ).order_by(feed.c.at.desc(), feed.c.record_id)
    rows = session.execute(query.limit(take)).all()
    names = people.rep_labels(session)
    items = [
        ActivityItem(
            at,
            kind,
            record_id,
            rep_id,
            people.rep_label(names, rep_id),
            account_id,
            account or "",
            _summary(kind, text),
        )
        for at, kind, record_id, rep_id, account_id, account, text in rows[:limit]
    ]
    return ActivityReport(flt, items, limit, len(rows) > limit)


def _summary(kind: str, text: str | None) -> str:
    text = " ".join((text or "").split())
    if kind == "visit":
        return f"Visit: {text.replace('_', ' ')}" if text else "Visit"
    if kind == "note":
        return f"Note: {text[:120]}"
    if kind == "task":
        return f"Task done: {text}"
    return f"Deal: {text}"
