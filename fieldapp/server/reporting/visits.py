"""Visits per rep, week, month or territory, over ``report_visits`` (see fieldapp.reports.visits).

The same rules as the replica's report: a visit counts when it was checked in inside
the period; its length when it has a check-out after its check-in.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import Session

from fieldapp.domain import report_dates, report_fold
from fieldapp.domain.report_fold import OUTCOME_KEYS
from fieldapp.domain.reports import ReportFilter, VisitsReport
from fieldapp.domain.values import VISIT_OUTCOMES
from fieldapp.server.reporting.common import Names, bounds, hanging_in, utc
from fieldapp.server.reporting.tables import report_accounts, report_visits
from fieldapp.server.scope import Scope

v = report_visits.c
a = report_accounts.c
# Weeks or months per statement: each visit walks the CASE of its statement's buckets.
BUCKETS_PER_STATEMENT = 60


def _measures(minutes: Any = v.minutes, outcome: Any = v.outcome) -> list[ColumnElement[Any]]:
    """Visits, timed visits, their minutes, then one count per outcome (OUTCOME_KEYS)."""
    assert OUTCOME_KEYS[-2:] == (report_fold.NO_OUTCOME, report_fold.OTHER_OUTCOME)
    return [
        func.count(),
        func.count(minutes),
        func.sum(minutes),
        *(func.sum(case((outcome == o, 1), else_=0)) for o in VISIT_OUTCOMES),
        func.sum(case((outcome.is_(None), 1), else_=0)),
        func.sum(case((outcome.not_in(VISIT_OUTCOMES), 1), else_=0)),
    ]


def _done(
    columns: list[Any],
    scope: Scope,
    flt: ReportFilter,
    start: datetime | None,
    end: datetime | None,
    *,
    by_territory: bool = False,
) -> Select:
    """``columns`` over the visits in scope done in [start, end), for the filter's rep and
    territory; the visits' accounts joined when the scope or the territory needs them
    (a visit without a known account counts in no territory, as on a replica)."""
    source: Any = report_visits
    if by_territory or flt.territory_id:
        source = report_visits.join(report_accounts, a.id == v.account_id)
    elif not scope.everything:
        source = report_visits.outerjoin(report_accounts, a.id == v.account_id)
    query = select(*columns).select_from(source)
    if not scope.everything:
        query = query.where(hanging_in(scope, v.account_id, v.owner_id))
    if flt.territory_id:
        query = query.where(a.territory_id == flt.territory_id)
    if start is not None:
        query = query.where(v.checkin_at >= start)
    if end is not None:
        query = query.where(v.checkin_at < end)
    if flt.rep_id:
        query = query.where(v.owner_id == flt.rep_id)
    return query


def visits(
    session: Session, scope: Scope, names: Names, flt: ReportFilter, by: str
) -> VisitsReport:
    if by in ("week", "month"):
        found = _per_bucket(session, scope, flt, by)
    else:
        found = _per_group(session, scope, flt, by)
    return report_fold.visits_report(flt, by, found, names.labeller(by))


def _per_group(
    session: Session, scope: Scope, flt: ReportFilter, by: str
) -> list[tuple[Any, tuple[Any, ...]]]:
    start, end = bounds(flt)
    key = v.owner_id if by == "rep" else a.territory_id
    query = _done([key, *_measures()], scope, flt, start, end, by_territory=by == "territory")
    query = query.group_by(key)
    return [(row[0], tuple(row[1:])) for row in session.execute(query)]


def _per_bucket(
    session: Session, scope: Scope, flt: ReportFilter, by: str
) -> list[tuple[Any, tuple[Any, ...]]]:
    """One pass over the period's visits per statement, each tagged with its week or
    month by a CASE over the buckets' ends (a hash aggregate: the visits are never
    sorted, and the scope is tested once per visit, not once per bucket)."""
    buckets = _buckets(session, scope, flt, by)
    found: dict[str, tuple[Any, ...]] = {}
    for first in range(0, len(buckets), BUCKETS_PER_STATEMENT):
        part = buckets[first : first + BUCKETS_PER_STATEMENT]
        tag = case(*((v.checkin_at < end, key) for key, _, end in part[:-1]), else_=part[-1][0])
        tagged = _done(
            [tag.label("bucket"), v.minutes, v.outcome], scope, flt, part[0][1], part[-1][2]
        ).subquery()
        query = select(tagged.c.bucket, *_measures(tagged.c.minutes, tagged.c.outcome))
        for row in session.execute(query.group_by(tagged.c.bucket)):
            found[row[0]] = tuple(row[1:])
    # A week or month without visits is a row of zeros (a quiet week is not skipped).
    none = (0,) * (3 + len(OUTCOME_KEYS))
    return [(key, found.get(key, none)) for key, _, _ in buckets]


def _buckets(
    session: Session, scope: Scope, flt: ReportFilter, by: str
) -> list[tuple[str, datetime, datetime]]:
    first, last = flt.start, flt.end
    if first is None or last is None:
        span = [func.min(v.checkin_at), func.max(v.checkin_at)]
        earliest, latest = session.execute(_done(span, scope, flt, None, None)).one()
        if earliest is None:
            return []
        first = first or _local_day(utc(earliest), flt)
        last = last or _local_day(utc(latest), flt)
    return report_dates.buckets(first, last, by, flt)


def _local_day(value: datetime, flt: ReportFilter) -> date:
    return (value + timedelta(minutes=flt.utc_offset_minutes)).date()
