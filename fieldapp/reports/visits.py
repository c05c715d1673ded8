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

from fieldapp.domain.reports import ReportFilter, VisitsReport, VisitsRow
from fieldapp.reports import filtering, people
from fieldapp.reports.filtering import Expr
from fieldapp.store.models import VISIT_OUTCOMES, Account, Visit

NO_OUTCOME = "none"
OTHER_OUTCOME = "other"  # a value this release does not know (from a newer client)
OUTCOME_KEYS = (*VISIT_OUTCOMES, NO_OUTCOME, OTHER_OUTCOME)
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
    labels = people.labeller(session, by)
    rows = [_row(key, labels(key), sums) for key, sums in found]
    if by in ("rep", "territory"):
        rows.sort(key=lambda r: (-r.visits, r.label.casefold()))
    present = {o for r in rows for o, n in r.outcomes.items() if n}
    outcomes = tuple(o for o in OUTCOME_KEYS if o in present)
    total = VisitsRow(
        None,
        "Total",
        sum(r.visits for r in rows),
        sum(r.timed for r in rows),
        sum(r.minutes for r in rows),
        {o: sum(r.outcomes.get(o, 0) for r in rows) for o in outcomes},
    )
    rows = [
        VisitsRow(r.key, r.label, r.visits, r.timed, r.minutes, _only(r.outcomes, outcomes))
        for r in rows
    ]
    return VisitsReport(flt, by, outcomes, rows, total)


def _only(counts: dict[str, int], keys: tuple[str, ...]) -> dict[str, int]:
    return {k: counts[k] for k in keys if counts.get(k)}


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
    if by == "week":
        days = [date.fromisoformat(k) for k in filtering.weeks(first, last)]
        ends = [d + timedelta(days=7) for d in days]
    else:
        days = [date.fromisoformat(f"{k}-01") for k in filtering.months(first, last)]
        ends = [*days[1:], filtering.next_month(days[-1])] if days else []
    after = last + timedelta(days=1)
    return [
        (
            d.isoformat()[: 10 if by == "week" else 7],
            filtering.day_start(max(d, first), flt),
            filtering.day_start(min(e, after), flt),
        )
        for d, e in zip(days, ends, strict=True)
    ]


def _local_day(value: datetime, flt: ReportFilter) -> date:
    return (value + timedelta(minutes=flt.utc_offset_minutes)).date()


def _row(key: str | None, label: str, sums: tuple[Any, ...]) -> VisitsRow:
    count, timed, minutes, *by_outcome = (v or 0 for v in sums)
    return VisitsRow(
        key,
        label,
        count,
        timed,
        round(minutes),
        dict(zip(OUTCOME_KEYS, by_outcome, strict=True)),
    )
