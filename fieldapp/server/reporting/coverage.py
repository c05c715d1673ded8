"""Coverage over ``report_accounts``: active accounts not visited within their frequency.

The replica's rules (fieldapp.reports.coverage): an account is overdue on a day when
its last visit done by the end of that day is older than its frequency (90 days by
default) or when it was never visited; inactive accounts are left out. An account is
its territory's rep's when the territory has exactly one rep, else its owner's.

The kept ``last_visit_at`` answers "as of today" for every account; for a day in the
past, an account visited since then is searched in ``ix_report_visits_account``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from fieldapp.domain import report_dates, report_fold
from fieldapp.domain.reports import CoverageReport, ReportFilter
from fieldapp.domain.visits import DEFAULT_FREQUENCY_DAYS
from fieldapp.server.models import Assignment
from fieldapp.server.reporting.common import Names, accounts_in
from fieldapp.server.reporting.tables import report_accounts, report_visits
from fieldapp.server.scope import Scope

a = report_accounts.c
v = report_visits.c


def account_rep(session: Session) -> Any:
    """SQL for the rep an account belongs to: a CASE over the territories with one rep."""
    rows = session.execute(
        select(Assignment.territory_id, func.min(Assignment.user_id))
        .group_by(Assignment.territory_id)
        .having(func.count() == 1)
    )
    sole = {territory: user for territory, user in rows}
    if not sole:
        return a.owner_id
    return case(sole, value=a.territory_id, else_=a.owner_id)


def _last_before(until: datetime) -> ColumnElement[Any]:
    searched = (
        select(func.max(v.checkin_at))
        .where(v.account_id == a.id, v.checkin_at < until)
        .scalar_subquery()
    )
    return case(
        (a.last_visit_at.is_(None), None),
        (a.last_visit_at < until, a.last_visit_at),
        else_=searched,
    )


def _cutoff(session: Session, until: datetime) -> ColumnElement[Any]:
    """The moment before which an account's last visit makes it overdue.

    A CASE over the few frequencies accounts have, worked out here: no date arithmetic
    in SQL, which SQLite and PostgreSQL spell differently.
    """
    usual = until - timedelta(days=DEFAULT_FREQUENCY_DAYS)
    found = session.scalars(
        select(a.frequency_days).where(a.frequency_days.is_not(None)).distinct()
    )
    own = {days: until - timedelta(days=days) for days in found if days is not None}
    if not own:
        return case((a.frequency_days.is_(None), usual), else_=usual)
    return case(own, value=a.frequency_days, else_=usual)


def as_of(flt: ReportFilter, today: date | None) -> date:
    """The period's last day, or today if that is earlier (no visits are known after it)."""
    today = today or report_dates.local_today(flt)
    return min(flt.end, today) if flt.end else today


def coverage(
    session: Session,
    scope: Scope,
    names: Names,
    flt: ReportFilter,
    by: str,
    *,
    today: date | None = None,
) -> CoverageReport:
    day = as_of(flt, today)
    until = report_dates.day_start(day + timedelta(days=1), flt)
    rep = account_rep(session)
    key = (a.territory_id if by == "territory" else rep).label("key")
    conds = [a.active.is_(True), accounts_in(scope)]
    if flt.territory_id:
        conds.append(a.territory_id == flt.territory_id)
    if flt.rep_id:
        conds.append(rep == flt.rep_id)
    # Materialised: folded into the query below, the last-visit search would run once
    # for each mention of it.
    states = (
        select(key, _last_before(until).label("last"), _cutoff(session, until).label("cutoff"))
        .where(*conds)
        .cte("states")
        .prefix_with("MATERIALIZED")
    )
    overdue = states.c.last.is_(None) | (states.c.last < states.c.cutoff)
    query = select(
        states.c.key,
        func.count(),
        func.sum(case((overdue, 1), else_=0)),
        func.sum(case((states.c.last.is_(None), 1), else_=0)),
    ).group_by(states.c.key)
    found = [(k, n, late, never) for k, n, late, never in session.execute(query)]
    return report_fold.coverage_report(flt, by, day, found, names.labeller(by))
