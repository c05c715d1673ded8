"""Visits per rep, week, month or territory: how many, how long, with what outcome.

A visit counts when it was done (checked in) inside the period; planned visits
without a check-in do not. Its length counts only when it has a check-out after the
check-in (a visit logged afterwards without times says nothing about its length).

Every figure comes from one pass over the period's range of ``ix_visits_done``
(store migration 0008), which holds all a visit report reads. Outcomes are counted
in columns of the same pass rather than grouped by, and weeks and months are one
range aggregate each (a UNION ALL): SQLite then never sorts the period's visits.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, literal, select, union_all
from sqlalchemy.orm import Session

from fieldapp.domain import report_dates, report_fold
from fieldapp.domain.reports import ReportFilter, VisitsReport
from fieldapp.reports import filtering, people
from fieldapp.reports.filtering import Expr
from fieldapp.store.models import VISIT_OUTCOMES, Account, Visit

# SQLite allows 500 terms in a compound SELECT; a statement takes this many buckets.
BUCKETS_PER_STATEMENT = 100


def _measures() -> list[ColumnElement[Any]]:
    """Visits, timed visits, their minutes, then one count per outcome (OUTCOME_KEYS)."""
    timed = Visit.checkout_at > Visit.checkin_at
    minutes = (func.julianday(Visit.checkout_at) - func.julianday(Visit.checkin_at)) * 1440.0
    return [
        func.count(),
        func.sum(case((timed, 1), else_=0)),
        func.sum(case((timed, minutes), else_=0.0)),
        *(func.sum(case((Visit.outcome == o, 1), else_=0)) for o in VISIT_OUTCOMES),
        func.sum(case((Visit.outcome.is_(None), 1), else_=0)),
        func.sum(case((Visit.outcome.not_in(VISIT_OUTCOMES), 1), else_=0)),
    ]


def _done(
    query: Select,
    flt: ReportFilter,
    start: datetime | None,
    end: datetime | None,
    *,
    joined: bool = False,
) -> Select:
    """``query`` over visits done in [start, end), by the rep and in the territory asked for.

    ``joined``: the query joins the visits' accounts already.
    """
    query = query.where(Visit.deleted_at.is_(None), Visit.checkin_at.is_not(None))
    if start is not None:
        query = query.where(Visit.checkin_at >= start)
    if end is not None:
        query = query.where(Visit.checkin_at < end)
    if flt.rep_id:
        query = query.where(Visit.owner_id == flt.rep_id)
    if flt.territory_id:
        if not joined:
            query = query.join(Account, Account.id == Visit.account_id)
        query = query.where(Account.territory_id == flt.territory_id)
    return query


def _bounds(flt: ReportFilter) -> tuple[datetime | None, datetime | None]:
    start = filtering.day_start(flt.start, flt) if flt.start else None
    end = filtering.day_start(flt.end + timedelta(days=1), flt) if flt.end else None
    return start, end


def visits(session: Session, flt: ReportFilter | None = None, by: str = "rep") -> VisitsReport:
    """One row per group: reps and territories busiest first, weeks and months in order.

    Weeks and months run over the whole period, those without visits included (a
    chart of visits per week shows a quiet week as zero rather than skipping it).
    """
    flt = flt or ReportFilter()
    filtering.check("visits", flt, by)
    if by in ("week", "month"):
        found = _per_bucket(session, flt, by)
    else:
        found = _per_group(session, flt, by)
    return report_fold.visits_report(flt, by, found, people.labeller(session, by))


def _per_group(session: Session, flt: ReportFilter, by: str) -> list[tuple[Any, tuple[Any, ...]]]:
    start, end = _bounds(flt)
    if by == "rep":
        key: Expr = Visit.owner_id
        query = _done(select(key, *_measures()), flt, start, end)
    else:
        key = Account.territory_id
        query = select(key, *_measures()).join(Account, Account.id == Visit.account_id)
        query = _done(query, flt, start, end, joined=True)
    return [(row[0], tuple(row[1:])) for row in session.execute(query.group_by(key))]


def _per_bucket(session: Session, flt: ReportFilter, by: str) -> list[tuple[Any, tuple[Any, ...]]]:
    """One range aggregate per week or month of the period, in order."""
    buckets = _buckets(session, flt, by)
    found: list[tuple[Any, tuple[Any, ...]]] = []
    for first in range(0, len(buckets), BUCKETS_PER_STATEMENT):
        parts = [
            _done(select(literal(key), *_measures()), flt, start, end)
            for key, start, end in buckets[first : first + BUCKETS_PER_STATEMENT]
        ]
        statement = union_all(*parts) if len(parts) > 1 else parts[0]
        found += [(row[0], tuple(row[1:])) for row in session.execute(statement)]
    return found


def _buckets(session: Session, flt: ReportFilter, by: str) -> list[tuple[str, datetime, datetime]]:
    """(key, start, end) of each week or month the period touches, in UTC.

    The first and last bucket are cut at the period's bounds: a month from the 15th
    counts from the 15th.
    """
    first, last = flt.start, flt.end
    if first is None or last is None:
        span = select(func.min(Visit.checkin_at), func.max(Visit.checkin_at))
        earliest, latest = session.execute(_done(span, flt, None, None)).one()
        if earliest is None:
            return []
        first = first or _local_day(earliest, flt)
        last = last or _local_day(latest, flt)
    return report_dates.buckets(first, last, by, flt)


def _local_day(value: datetime, flt: ReportFilter) -> date:
    return (value + timedelta(minutes=flt.utc_offset_minutes)).date()
